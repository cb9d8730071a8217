// STOP-GAP until the card registry lands (engineer "cards"): the integrator replaces this with
// the registry's own accessor (see createServices' `loadCard`). Today's registry holds only
// {id, name}, so a character is a card with just a name; a V2 card JSON (the `chara` chunk's
// JSON: {spec, data:{…}}) at <dataDir>/app/cards/<characterId>.json adds the other fields.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CharacterRegistry } from '../../app-data/characters.ts';
import { promptCardFromJson, type LoadCard, type PromptCard } from './card.ts';

const MAX_CARD_BYTES = 8 * 1024 * 1024;

export function interimCardLoader(characters: Pick<CharacterRegistry, 'get'>, dataDir: string): LoadCard {
  return async (characterId) => {
    const character = await characters.get(characterId);
    if (!character) return undefined;
    const base: PromptCard = { name: character.name };
    let text: string;
    try {
      text = await readFile(path.join(dataDir, 'app', 'cards', `${characterId}.json`), 'utf8');
    } catch {
      return base; // no card file: a card with just a name
    }
    if (text.length > MAX_CARD_BYTES) return base;
    try {
      return promptCardFromJson(JSON.parse(text.replace(/^\uFEFF/, '')), character.name) ?? base;
    } catch {
      return base;
    }
  };
}

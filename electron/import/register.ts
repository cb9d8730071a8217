// Imported chats belong to characters the app may not know yet: list each such character (a
// registry entry with the source's name), so its chats show up in the app. Known ones are left alone.
import { CharacterName } from '../../shared/character-contract.ts';
import type { CharacterRegistry } from '../app-data/characters.ts';
import type { ImportedChat } from './types.ts';

export async function registerImportedCharacters(registry: CharacterRegistry, chats: readonly ImportedChat[], now = Date.now()): Promise<string[]> {
  const added: string[] = [];
  for (const chat of chats) {
    if (added.includes(chat.characterId) || (await registry.get(chat.characterId))) continue;
    const name = CharacterName.safeParse(chat.characterName);
    await registry.addEntry({ id: chat.characterId, name: name.success ? name.data : chat.characterId, created: now });
    added.push(chat.characterId);
  }
  return added;
}

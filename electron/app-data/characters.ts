// The minimal character registry: id + display name, in <dataDir>/app/characters.json.
// Card import and a real registry come with a later issue; ids already obey CharacterId.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { Character } from '../../shared/ipc-contract.ts';
import { jsonFile } from './json-file.ts';

const FileSchema = z.object({ characters: z.array(Character) });

export interface CharacterRegistry {
  list(): Promise<Character[]>;
  get(id: string): Promise<Character | undefined>;
  create(name: string): Promise<Character>;
}

/** A readable, filesystem-safe id: a slug of the name plus a random suffix. */
export function characterIdFor(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .toLowerCase();
  return `${slug || 'character'}-${randomBytes(4).toString('hex')}`;
}

export function openCharacterRegistry(dataDir: string, now: () => number = Date.now): CharacterRegistry {
  // One bad entry (a hand edit, a newer version's field) must not cost the user every other character.
  const salvage = (json: unknown) => {
    const list = (json as { characters?: unknown })?.characters;
    if (!Array.isArray(list)) return undefined;
    return { characters: list.flatMap((c) => { const r = Character.safeParse(c); return r.success ? [r.data] : []; }) };
  };
  const file = jsonFile(path.join(dataDir, 'app', 'characters.json'), FileSchema, () => ({ characters: [] }), salvage);
  return {
    async list() {
      return (await file.read()).characters;
    },
    async get(id) {
      return (await file.read()).characters.find((c) => c.id === id);
    },
    async create(name) {
      const character: Character = { id: characterIdFor(name), name: name.trim(), created: now() };
      await file.update((cur) => ({ characters: [...cur.characters, character] }));
      return character;
    },
  };
}

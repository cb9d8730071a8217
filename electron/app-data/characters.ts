// The character registry (<dataDir>/app/characters.json: id, name, times, avatar flag, tags: what
// the list needs) and each character's card files (card-files.ts). `get(id)` is the main-side
// accessor for the full card. Characters from before cards existed have no card file: they read
// as a blank card with their name, and get one on their first edit.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { Character } from '../../shared/ipc-contract.ts';
import { blankCard, type CardData, type CardDataPatch, type CharacterCard } from '../../shared/character-card.ts';
import { StoreError } from '../../shared/errors.ts';
import { jsonFile } from './json-file.ts';
import { openCardFiles, type CardFiles } from './card-files.ts';
import { takeBackup } from '../durable/backups.ts';
import { nodeFs } from '../durable/fs-seam.ts';
import { cardToJson, cardToPng } from '../cards/card-codec.ts';
import { readCardFile } from '../cards/card-reader.ts';
import { placeholderImage } from '../cards/thumbnail.ts';

const FileSchema = z.object({ characters: z.array(Character) });

export interface ExportedCard {
  fileName: string;
  mime: 'image/png' | 'application/json';
  bytes: Buffer;
}

export interface CharacterRegistry {
  list(): Promise<Character[]>;
  /** The full card (V2 field names) with id, name, times, avatar flag; undefined if unknown. */
  get(id: string): Promise<CharacterCard | undefined>;
  create(name: string): Promise<Character>;
  /**
   * A PNG or JSON card file, read off the main thread (card-reader.ts). A card whose own id is
   * already here replaces that character's card (its chats stay). `warnings`: the picture was
   * left out or got no thumbnail, and why.
   */
  importCard(bytes: Uint8Array): Promise<{ character: Character; replaced: boolean; warnings: string[] }>;
  update(id: string, patch: CardDataPatch): Promise<CharacterCard>;
  exportCard(id: string, format: 'png' | 'json'): Promise<ExportedCard>;
  /** The small avatar as a data: URL, or null. */
  avatarDataUrl(id: string): Promise<string | null>;
  /** For the trash: drop or put back a registry entry (files are moved by the caller). */
  removeEntry(id: string): Promise<void>;
  addEntry(c: Character): Promise<void>;
  readonly files: CardFiles;
  /** Runs `task` after every earlier registry change, before any later one. */
  serial<T>(task: () => Promise<T>): Promise<T>;
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

function fileNameFor(name: string, ext: string): string {
  const base = name.replace(/[^\p{L}\p{N} _.-]+/gu, '').trim().slice(0, 80) || 'character';
  return `${base}.${ext}`;
}

/**
 * card.json for an imported card, from the worker's JSON of it (cardJsonBody): the same document
 * as JSON.stringify({ id, created, updated, card }, null, 2), with `character_uuid` first.
 */
function cardDocBytes(id: string, created: number, updated: number, body: Buffer): Buffer {
  const q = JSON.stringify(id);
  const head = `{\n  "id": ${q},\n  "created": ${created},\n  "updated": ${updated},\n  "card": {\n    "character_uuid": ${q},`;
  return Buffer.concat([Buffer.from(head, 'utf8'), body, Buffer.from('\n}\n', 'utf8')]);
}

export function openCharacterRegistry(dataDir: string, now: () => number = Date.now, retention: () => number = () => 5): CharacterRegistry {
  // One bad entry (a hand edit, a newer version's field) must not cost the user every other character.
  const salvage = (json: unknown) => {
    const list = (json as { characters?: unknown })?.characters;
    if (!Array.isArray(list)) return undefined;
    return { characters: list.flatMap((c) => { const r = Character.safeParse(c); return r.success ? [r.data] : []; }) };
  };
  const registryFile = path.join(dataDir, 'app', 'characters.json');
  const backupRegistry = (file: string) => takeBackup(nodeFs, path.join(dataDir, 'app', 'backups', 'characters.json'), file, retention(), now());
  const file = jsonFile(registryFile, FileSchema, () => ({ characters: [] }), salvage, backupRegistry);
  const files = openCardFiles(dataDir, { retention, now });
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T,>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };
  const entry = async (id: string) => (await file.read()).characters.find((c) => c.id === id);
  const put = (c: Character) => file.update((cur) => ({ characters: cur.characters.some((x) => x.id === c.id) ? cur.characters.map((x) => (x.id === c.id ? c : x)) : [...cur.characters, c] }));

  async function get(id: string): Promise<CharacterCard | undefined> {
    const e = await entry(id);
    if (!e) return undefined;
    const doc = await files.readDoc(id);
    const card: CardData = doc?.card ?? blankCard(e.name);
    return { id, name: card.name, created: e.created, updated: doc?.updated ?? e.updated ?? e.created, hasAvatar: e.hasAvatar === true, card };
  }

  function entryFor(id: string, card: Pick<CardData, 'name' | 'tags'>, created: number, updated: number, hasAvatar: boolean): Character {
    return { id, name: card.name.slice(0, 200), created, updated, hasAvatar, tags: card.tags.slice(0, 50) };
  }

  return {
    files,
    serial,
    async list() {
      return (await file.read()).characters;
    },
    get,
    create: (name) =>
      serial(async () => {
        const character: Character = { id: characterIdFor(name), name: name.trim(), created: now() };
        await put(character);
        return character;
      }),
    async importCard(bytes) {
      // Read off the main thread; throws INVALID_INPUT or TOO_LARGE before anything is written.
      const read = await readCardFile(bytes);
      return serial(async () => {
        const id = read.ownId ?? characterIdFor(read.name);
        const existing = await entry(id);
        const t = now();
        // Picture first, card next, registry last: a crash in between leaves files nobody lists yet.
        if (read.avatar) {
          await files.write(id, 'avatar.png', read.avatar);
          if (read.thumbnail) await files.write(id, 'thumb.png', read.thumbnail);
        }
        const created = existing?.created ?? t;
        await files.write(id, 'card.json', cardDocBytes(id, created, t, read.body));
        const character = entryFor(id, read, created, t, Boolean(read.avatar) || existing?.hasAvatar === true);
        await put(character);
        return { character, replaced: existing !== undefined, warnings: read.warnings };
      });
    },
    update: (id, patch) =>
      serial(async () => {
        const cur = await get(id);
        if (!cur) throw new StoreError('NOT_FOUND', `no character with id ${id}`);
        const t = now();
        const card: CardData = { ...cur.card, ...patch };
        await files.write(id, 'card.json', JSON.stringify({ id, created: cur.created, updated: t, card }, null, 2) + '\n');
        await put(entryFor(id, card, cur.created, t, cur.hasAvatar));
        return { ...cur, name: card.name, updated: t, card };
      }),
    async exportCard(id, format) {
      const cur = await get(id);
      if (!cur) throw new StoreError('NOT_FOUND', `no character with id ${id}`);
      const card: CardData = { ...cur.card, character_uuid: id };
      if (format === 'json') return { fileName: fileNameFor(card.name, 'json'), mime: 'application/json', bytes: Buffer.from(cardToJson(card), 'utf8') };
      const image = (await files.read(id, 'avatar.png')) ?? placeholderImage();
      return { fileName: fileNameFor(card.name, 'png'), mime: 'image/png', bytes: cardToPng(card, image) };
    },
    async avatarDataUrl(id) {
      const e = await entry(id);
      if (!e?.hasAvatar) return null;
      const thumb = await files.read(id, 'thumb.png');
      return thumb ? `data:image/png;base64,${thumb.toString('base64')}` : null;
    },
    removeEntry: async (id) => {
      await file.update((cur) => ({ characters: cur.characters.filter((c) => c.id !== id) }));
    },
    addEntry: async (c) => {
      await put(c);
    },
  };
}

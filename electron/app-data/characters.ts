// The character registry and each character's card files (card-files.ts). The list is derived
// from the card folders (character-folders.ts: a folder synced from another computer is listed,
// one trashed there is not); <dataDir>/app/characters.json (id, name, times, avatar flag, tags) is
// still written, and still lists characters from before cards (no folder) and keeps the exact entry
// of a character whose card file is not newer than it. `get(id)` is the main-side
// accessor for the full card. Characters from before cards existed have no card file: they read
// as a blank card with their name, and get one on their first edit.
// A card names its own id: importing a card whose id is here already never silently takes the
// character over. The same card is a no-op; another card is imported as a new character, or
// (asked, or chosen) replaces it after the current card is kept whole as a previous card.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import { Character, type ImportCharacterResult, type OnCardConflict, type PreviousCard } from '../../shared/character-contract.ts';
import { blankCard, type CardData, type CardDataPatch, type CharacterCard } from '../../shared/character-card.ts';
import { StoreError } from '../../shared/errors.ts';
import { jsonFile } from './json-file.ts';
import { CardDoc, openCardFiles, type CardFiles } from './card-files.ts';
import { takeBackup } from '../durable/backups.ts';
import { nodeFs } from '../durable/fs-seam.ts';
import { cardToJson, cardToPng } from '../cards/card-codec.ts';
import { changedCardFields } from '../cards/card-diff.ts';
import { readCardFile, type CardRead } from '../cards/card-reader.ts';
import { openPreviousCards } from './previous-cards.ts';
import { entryFromDoc, openCharacterFolders } from './character-folders.ts';
import { readFile, stat, unlink } from 'node:fs/promises';
import { errnoOf, fsyncDir } from '../durable/durable.ts';

const FileSchema = z.object({ characters: z.array(Character) });

/** The picture code (pngjs) is loaded when a picture is handled: listing or registering characters (the CLI's import) needs none of it. */
const pictures = () => import('../cards/thumbnail.ts');

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
   * A PNG or JSON card file, read off the main thread (card-reader.ts; `warnings` in the result: the
   * picture was left out or got no thumbnail, and why). A card whose own id is here already: the same card (text and picture)
   * is 'unchanged'; another card follows `onConflict` (default 'new': a new character beside it;
   * 'ask': 'conflict', nothing written; 'replace': its chats stay, the current card is kept as a previous card).
   */
  importCard(bytes: Uint8Array, opts?: { onConflict?: OnCardConflict }): Promise<ImportCharacterResult>;
  /** The cards an import (or a restore) replaced, newest first. */
  previousCards(id: string): Promise<PreviousCard[]>;
  /** Puts a previous card back; the current one is kept as a previous card in turn. */
  restorePreviousCard(id: string, versionId: string): Promise<ImportCharacterResult>;
  update(id: string, patch: CardDataPatch): Promise<CharacterCard>;
  exportCard(id: string, format: 'png' | 'json'): Promise<ExportedCard>;
  /** The small avatar as a data: URL, or null. */
  avatarDataUrl(id: string): Promise<string | null>;
  /** For the trash: drop or put back a registry entry (files are moved by the caller). */
  removeEntry(id: string): Promise<void>;
  addEntry(c: Character): Promise<void>;
  readonly files: CardFiles;
  /**
   * Sync tools' conflict copies of card files (two computers edited one card): each other version
   * is kept as a previous card of its character (restorable), then the copy is removed. A copy that
   * is not a card of ours is left alone and named in `left`.
   */
  resolveConflictCopies(): Promise<{ kept: number; left: string[] }>;
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
/** The card the worker read, as an object (its JSON bytes without the id: cardDocBytes). */
function cardOf(read: CardRead): CardData {
  return JSON.parse(`{${read.body.toString('utf8')}`) as CardData;
}

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
  const previous = openPreviousCards(dataDir, retention);
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T,>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  };
  const trashRoot = path.join(dataDir, 'app', 'trash');
  const folders = openCharacterFolders(files.root, trashRoot, (f) => readFile(f).catch(() => undefined));
  const liveFolder = (id: string) => stat(files.dir(id)).then((s) => s.isDirectory(), () => false);

  /** Registry entries (in their order) and then characters known only by their folder. */
  async function listAll(): Promise<Character[]> {
    const registry = (await file.read()).characters;
    const found = await folders.scan();
    const out: Character[] = [];
    let trashed: Set<string> | undefined;
    for (const e of registry) {
      const f = found.get(e.id);
      if (f) {
        // Edited on another computer (its card file is newer than our entry): the card's own entry.
        out.push(f.doc.updated > (e.updated ?? e.created) ? entryFromDoc(f.doc, f.hasAvatar) : e);
        continue;
      }
      // No card file: a character from before cards, unless its folder went to the trash (here or on another computer).
      trashed ??= await folders.trashedIds();
      if (!trashed.has(e.id) || (await liveFolder(e.id))) out.push(e);
    }
    const listed = new Set(registry.map((e) => e.id));
    for (const [id, f] of found) if (!listed.has(id)) out.push(entryFromDoc(f.doc, f.hasAvatar));
    return out;
  }
  const entry = async (id: string) => (await listAll()).find((c) => c.id === id);
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

  /**
   * Writes `card` as character `id`'s (a new one, or over `existing`). `avatar`: the new picture;
   * undefined keeps the current one (a JSON card carries none); null removes it (a restore).
   */
  async function writeCard(id: string, incoming: CardData, avatar: Buffer | null | undefined, existing: Character | undefined, made?: { thumb: Buffer | undefined }): Promise<Character> {
    const t = now();
    const card: CardData = { ...incoming, character_uuid: id };
    // Picture first, card next, registry last: a crash in between leaves files nobody lists yet.
    if (avatar) {
      await files.write(id, 'avatar.png', avatar);
      // `made`: the card worker's thumbnail, or none (it gave up): never decoded here then.
      const thumb = made ? made.thumb : (await pictures()).thumbnail(avatar);
      if (thumb) await files.write(id, 'thumb.png', thumb);
      else await files.remove(id, 'thumb.png'); // the old picture's thumbnail is not this one's
    } else if (avatar === null) {
      await files.remove(id, 'avatar.png');
      await files.remove(id, 'thumb.png');
    }
    const created = existing?.created ?? t;
    await files.write(id, 'card.json', JSON.stringify({ id, created, updated: t, card }, null, 2) + '\n');
    const hasAvatar = avatar === null ? false : Boolean(avatar) || existing?.hasAvatar === true;
    const character = entryFor(id, card, created, t, hasAvatar);
    await put(character);
    return character;
  }

  /**
   * A card as the card worker read it, written as character `id` (new): its JSON bytes go to
   * card.json as they are, so a big card is never stringified on the main thread.
   */
  async function writeRead(id: string, read: CardRead, existing: Character | undefined): Promise<Character> {
    const t = now();
    // A new id, but files a crash left under it (written before the registry listed them) must not show through.
    if (read.avatar) await files.write(id, 'avatar.png', read.avatar);
    else await files.remove(id, 'avatar.png');
    if (read.thumbnail) await files.write(id, 'thumb.png', read.thumbnail);
    else await files.remove(id, 'thumb.png');
    const created = existing?.created ?? t;
    await files.write(id, 'card.json', cardDocBytes(id, created, t, read.body));
    const character = entryFor(id, read, created, t, Boolean(read.avatar) || existing?.hasAvatar === true);
    await put(character);
    return character;
  }

  /** What differs between character `id`'s card and picture and an incoming card; [] when it is the same card. */
  async function differences(current: CharacterCard, card: CardData, avatar: Buffer | null | undefined): Promise<string[]> {
    // The id is the character's either way (a legacy or edited card may not carry it).
    const changed = changedCardFields({ ...current.card, character_uuid: current.id }, { ...card, character_uuid: current.id });
    if (avatar === null ? current.hasAvatar : avatar !== undefined && !(await samePicture(current, avatar))) changed.push('picture');
    return changed;
  }
  async function samePicture(current: CharacterCard, avatar: Buffer): Promise<boolean> {
    const stored = current.hasAvatar ? await files.read(current.id, 'avatar.png') : undefined;
    // A character without a picture exports with the placeholder: that file is still the same card.
    return stored ? stored.equals(avatar) : avatar.equals((await pictures()).placeholderImage());
  }

  /** Card `card` (+ picture) for character `existing`, already different from its card: replaced, after the current one is kept. */
  /** `thumb`: the picture's thumbnail as the card worker made it (or could not); else it is made here. */
  async function replace(existing: Character, card: CardData, avatar: Buffer | null | undefined, thumb?: { value: Buffer | undefined }): Promise<ImportCharacterResult> {
    const current = (await get(existing.id))!;
    const picture = current.hasAvatar ? await files.read(existing.id, 'avatar.png') : undefined;
    const kept = await previous.keep(current, picture, now());
    const character = await writeCard(existing.id, card, avatar, existing, thumb && { thumb: thumb.value });
    return { kind: 'replaced', character, previous: kept };
  }

  return {
    files,
    serial,
    list: listAll,
    resolveConflictCopies: () =>
      serial(async () => {
        let kept = 0;
        const left: string[] = [];
        for (const c of await listAll()) {
          for (const copy of await folders.conflictCopies(c.id)) {
            const at = path.join(files.dir(c.id), copy.name);
            const cur = await get(c.id);
            if (!cur) break;
            if (copy.of === 'card') {
              let doc: CardDoc | undefined;
              try {
                const r = CardDoc.safeParse(JSON.parse((await readFile(at)).toString('utf8')));
                doc = r.success && r.data.id === c.id ? r.data : undefined;
              } catch {
                doc = undefined;
              }
              if (!doc) {
                left.push(path.join(c.id, copy.name));
                continue;
              }
              const picture = cur.hasAvatar ? await files.read(c.id, 'avatar.png') : undefined;
              await previous.keep({ ...cur, name: doc.card.name, created: doc.created, updated: doc.updated, card: doc.card }, picture, now());
            } else if (copy.of === 'avatar') {
              await previous.keep(cur, await readFile(at), now()); // this card with the other picture
            } // a thumbnail is made from the picture: nothing to keep
            await unlink(at).catch((e: unknown) => {
              if (errnoOf(e) !== 'ENOENT') throw e;
            });
            await fsyncDir(files.dir(c.id));
            kept += copy.of === 'thumb' ? 0 : 1;
          }
        }
        return { kept, left };
      }),
    get,
    create: (name) =>
      serial(async () => {
        const character: Character = { id: characterIdFor(name), name: name.trim(), created: now() };
        // Its card file first: the folder is what another computer's app lists (character-folders.ts).
        const doc: CardDoc = { id: character.id, created: character.created, updated: character.created, card: blankCard(character.name) };
        await files.write(character.id, 'card.json', JSON.stringify(doc, null, 2) + '\n');
        await put(character);
        return character;
      }),
    async importCard(bytes, opts = {}) {
      // Read off the main thread; throws INVALID_INPUT or TOO_LARGE before anything is written.
      const read = await readCardFile(bytes);
      const told = read.warnings.length ? { warnings: read.warnings } : {};
      return serial(async (): Promise<ImportCharacterResult> => {
        const existing = read.ownId === undefined ? undefined : await entry(read.ownId);
        if (!existing) {
          const id = read.ownId ?? characterIdFor(read.name);
          return { kind: 'imported', character: await writeRead(id, read, undefined), ...told };
        }
        // Only a card whose id is taken is compared, so only then is its JSON parsed here.
        const card = cardOf(read);
        const changed = await differences((await get(existing.id))!, card, read.avatar);
        if (changed.length === 0) return { kind: 'unchanged', character: existing, ...told };
        const choice = opts.onConflict ?? 'new';
        if (choice === 'ask') return { kind: 'conflict', existing, incoming: { name: read.name, hasAvatar: read.avatar !== undefined, changed: changed.slice(0, 100) }, ...told };
        if (choice === 'replace') return { ...(await replace(existing, card, read.avatar, { value: read.thumbnail })), ...told };
        return { kind: 'imported', character: await writeRead(characterIdFor(read.name), read, undefined), idTakenBy: existing, ...told };
      });
    },
    previousCards: (id) => previous.list(id),
    restorePreviousCard: (id, versionId) =>
      serial(async (): Promise<ImportCharacterResult> => {
        const existing = await entry(id);
        if (!existing) throw new StoreError('NOT_FOUND', `no character with id ${id}`);
        const { doc, avatar } = await previous.read(id, versionId);
        const picture = avatar ?? null; // a card kept without a picture comes back without one
        if ((await differences((await get(id))!, doc.card, picture)).length === 0) return { kind: 'unchanged', character: existing };
        return replace(existing, doc.card, picture);
      }),
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
      const image = (await files.read(id, 'avatar.png')) ?? (await pictures()).placeholderImage();
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

// A character to the trash and back, card and chats together; nothing is destroyed.
// Delete: (1) trashed.json (the chat list) is written into the card folder, (2) each chat goes to
// the store's trash (store.deleteChat), (3) the card folder moves to <dataDir>/app/trash/<id>.<ms>/,
// (4) the registry entry goes. Each step is durable; a crash between steps leaves the character
// listed (delete again: the chat list is merged), never lost. Restore runs the other way round.
import { readFile, readdir, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { Character, type DeletedCharacter } from '../../shared/ipc-contract.ts';
import { CharacterId, ChatId, EpochMs } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { errnoOf, fsyncDir, ioError, mkdirDurable } from '../durable/durable.ts';
import type { ChatStore } from '../store/types.ts';
import type { CharacterRegistry } from './characters.ts';

const MANIFEST = 'trashed.json';
const Manifest = z.object({ id: CharacterId, entry: Character, deletedAt: EpochMs, chats: z.array(ChatId) });
type Manifest = z.infer<typeof Manifest>;

export interface CharacterTrash {
  trash(id: string): Promise<{ chatIds: string[] }>;
  list(): Promise<DeletedCharacter[]>;
  /** `chats`: which of its chats come back with it (default: all that went with it). */
  restore(trashId: string, opts?: { chats?: readonly string[] }): Promise<{ character: Character; chatIds: string[] }>;
}

export function openCharacterTrash(dataDir: string, characters: CharacterRegistry, store: ChatStore, now: () => number = Date.now): CharacterTrash {
  const root = path.join(dataDir, 'app', 'trash');
  const files = characters.files;

  async function readManifest(dir: string): Promise<Manifest | undefined> {
    const bytes = await readFile(path.join(dir, MANIFEST), 'utf8').catch(() => undefined);
    if (bytes === undefined) return undefined;
    try {
      const r = Manifest.safeParse(JSON.parse(bytes));
      return r.success ? r.data : undefined;
    } catch {
      return undefined;
    }
  }

  return {
    trash: (id) =>
      characters.serial(async () => {
        const entry = (await characters.list()).find((c) => c.id === id);
        if (!entry) throw new StoreError('NOT_FOUND', `no character with id ${id}`);
        const live = (await store.listChats(id)).map((c) => c.chatId);
        const earlier = await readManifest(files.dir(id)); // an interrupted delete: its chats are already in the trash
        const chats = [...new Set([...(earlier?.chats ?? []), ...live])];
        const manifest: Manifest = { id, entry, deletedAt: now(), chats };
        await files.write(id, MANIFEST, JSON.stringify(manifest, null, 2) + '\n');
        for (const chatId of live) await store.deleteChat(chatId);
        const target = path.join(root, `${id}.${manifest.deletedAt}`);
        try {
          await mkdirDurable(root);
          await rename(files.dir(id), target);
          await fsyncDir(root);
          await fsyncDir(files.root);
        } catch (e) {
          throw ioError(e, `moving character ${id} to the trash`);
        }
        await characters.removeEntry(id);
        return { chatIds: chats };
      }),
    async list() {
      const names = await readdir(root).catch((e: unknown) => {
        if (errnoOf(e) === 'ENOENT') return [] as string[];
        throw ioError(e, 'listing the trash');
      });
      const out: DeletedCharacter[] = [];
      for (const trashId of names) {
        const m = await readManifest(path.join(root, trashId));
        if (m) out.push({ trashId, id: m.id, name: m.entry.name, deletedAt: m.deletedAt, chatCount: m.chats.length });
      }
      return out.sort((a, b) => b.deletedAt - a.deletedAt);
    },
    restore: (trashId, opts) =>
      characters.serial(async () => {
        const dir = path.join(root, path.basename(trashId));
        const m = await readManifest(dir);
        if (!m) throw new StoreError('NOT_FOUND', 'that character is not in the trash');
        if ((await characters.list()).some((c) => c.id === m.id)) {
          throw new StoreError('CONFLICT', `a character with id ${m.id} exists again (re-imported?); delete or rename it first`, { id: m.id });
        }
        try {
          await mkdirDurable(files.root);
          await rename(dir, files.dir(m.id));
          await fsyncDir(files.root);
          await fsyncDir(root);
        } catch (e) {
          throw ioError(e, `restoring character ${m.id}`);
        }
        await characters.addEntry(m.entry);
        const restored: string[] = [];
        for (const chatId of opts?.chats ?? m.chats) {
          // Already back (a restore interrupted after this chat) or gone: the rest still come back.
          const ok = await store.undeleteChat(chatId).then(() => true, (e: unknown) => {
            if (e instanceof StoreError && (e.code === 'NOT_FOUND' || e.code === 'CONFLICT')) return false;
            throw e;
          });
          if (ok) restored.push(chatId);
        }
        // Back to a plain character folder: a later delete starts a fresh chat list.
        await unlink(path.join(files.dir(m.id), MANIFEST)).then(() => fsyncDir(files.dir(m.id)), () => undefined);
        return { character: m.entry, chatIds: restored };
      }),
  };
}

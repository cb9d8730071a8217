// One character's files: <dataDir>/app/characters/<id>/{card.json, avatar.png, thumb.png}.
// Written like chats: atomic rewrite (temp + fsync + rename + directory fsync + read-back check),
// and a file that exists is copied to <dataDir>/app/backups/<id>/<file>/ before it is replaced.
import path from 'node:path';
import { z } from 'zod';
import { CardData } from '../../shared/character-card.ts';
import { CharacterId, EpochMs } from '../../shared/chat-format.ts';
import { atomicRewrite, errnoOf, fsyncDir, ioError, mkdirDurable } from '../durable/durable.ts';
import { takeBackup } from '../durable/backups.ts';
import { nodeFs, type FsSeam } from '../durable/fs-seam.ts';

export const CardDoc = z.object({ id: CharacterId, created: EpochMs, updated: EpochMs, card: CardData });
export type CardDoc = z.infer<typeof CardDoc>;

/** trashed.json: the chat list a delete writes before it moves anything (character-trash.ts). */
export type CardFileName = 'card.json' | 'avatar.png' | 'thumb.png' | 'trashed.json';

export interface CardFiles {
  readonly root: string;
  dir(id: string): string;
  readDoc(id: string): Promise<CardDoc | undefined>;
  read(id: string, name: CardFileName): Promise<Buffer | undefined>;
  /** Durable, backed up first when the file exists. */
  write(id: string, name: CardFileName, data: string | Buffer): Promise<void>;
  /** Backed up first, then removed; nothing to do when it does not exist. */
  remove(id: string, name: CardFileName): Promise<void>;
}

export function openCardFiles(dataDir: string, opts: { fs?: FsSeam; retention?: () => number; now?: () => number } = {}): CardFiles {
  const fs = opts.fs ?? nodeFs;
  const root = path.join(dataDir, 'app', 'characters');
  const backups = path.join(dataDir, 'app', 'backups');
  const dir = (id: string) => path.join(root, CharacterId.parse(id));
  async function read(id: string, name: CardFileName) {
    try {
      return await fs.readFile(path.join(dir(id), name));
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return undefined;
      throw ioError(e, `reading ${name} of character ${id}`);
    }
  }
  return {
    root,
    dir,
    read,
    async readDoc(id) {
      const bytes = await read(id, 'card.json');
      if (!bytes) return undefined;
      let json: unknown;
      try {
        json = JSON.parse(bytes.toString('utf8'));
      } catch {
        json = undefined;
      }
      const parsed = CardDoc.safeParse(json);
      return parsed.success && parsed.data.id === id ? parsed.data : undefined;
    },
    async write(id, name, data) {
      const file = path.join(dir(id), name);
      try {
        await mkdirDurable(dir(id), { fs });
        const exists = await fs.stat(file).then(() => true, () => false);
        if (exists) await takeBackup(fs, path.join(backups, id, name), file, opts.retention?.() ?? 5, (opts.now ?? Date.now)());
        await atomicRewrite(fs, file, data);
      } catch (e) {
        throw ioError(e, `saving ${name} of character ${id}`);
      }
    },
    async remove(id, name) {
      const file = path.join(dir(id), name);
      try {
        if (!(await fs.stat(file).then(() => true, () => false))) return;
        await takeBackup(fs, path.join(backups, id, name), file, opts.retention?.() ?? 5, (opts.now ?? Date.now)());
        await fs.unlink(file);
        await fsyncDir(dir(id));
      } catch (e) {
        throw ioError(e, `removing ${name} of character ${id}`);
      }
    },
  };
}

// Cards an import replaced, kept whole (text and picture) so the user can bring one back:
// <dataDir>/app/backups/<id>/previous/<ms>-<seq>/{card.json, avatar.png?}. A version is written
// into a `.partial` folder (each file by atomicRewrite) and renamed into place, so it is listed
// only once complete. The newest `keep` versions stay (at least 10: replaces are rare and deliberate).
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CharacterCard } from '../../shared/character-card.ts';
import type { PreviousCard } from '../../shared/ipc-contract.ts';
import { CharacterId } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { atomicRewrite, errnoOf, fsyncDir, ioError, mkdirDurable } from '../durable/durable.ts';
import { nodeFs } from '../durable/fs-seam.ts';
import { CardDoc } from './card-files.ts';

const VERSION = /^\d{13}-\d{4}$/;
const MIN_KEPT = 10;

export interface PreviousCards {
  /** Sets `current` (and its picture) aside as a previous card of its character. */
  keep(current: CharacterCard, avatar: Buffer | undefined, at: number): Promise<PreviousCard>;
  /** Newest first. */
  list(id: string): Promise<PreviousCard[]>;
  /** NOT_FOUND when that version is not (or no longer) kept. */
  read(id: string, versionId: string): Promise<{ doc: CardDoc; avatar: Buffer | undefined }>;
}

export function openPreviousCards(dataDir: string, retention: () => number = () => 5): PreviousCards {
  const dirOf = (id: string) => path.join(dataDir, 'app', 'backups', CharacterId.parse(id), 'previous');
  const names = async (dir: string) =>
    readdir(dir).catch((e: unknown) => {
      if (errnoOf(e) === 'ENOENT') return [] as string[];
      throw ioError(e, 'listing previous cards');
    });

  async function readVersion(id: string, versionId: string) {
    const dir = path.join(dirOf(id), versionId);
    const bytes = await nodeFs.readFile(path.join(dir, 'card.json')).catch(() => undefined);
    let doc: CardDoc | undefined;
    try {
      const r = bytes && CardDoc.safeParse(JSON.parse(bytes.toString('utf8')));
      doc = r && r.success && r.data.id === id ? r.data : undefined;
    } catch {
      doc = undefined;
    }
    if (!doc) return undefined;
    const avatar = await nodeFs.readFile(path.join(dir, 'avatar.png')).catch(() => undefined);
    return { doc, avatar };
  }

  return {
    async keep(current, avatar, at) {
      const dir = dirOf(current.id);
      try {
        await mkdirDurable(dir);
        const taken = new Set(await names(dir));
        let seq = 0;
        let versionId: string;
        do versionId = `${String(at).padStart(13, '0')}-${String(seq++).padStart(4, '0')}`;
        while (taken.has(versionId));
        const partial = path.join(dir, `${versionId}.partial`);
        await rm(partial, { recursive: true, force: true });
        await mkdirDurable(partial);
        const doc: CardDoc = { id: current.id, created: current.created, updated: current.updated, card: current.card };
        await atomicRewrite(nodeFs, path.join(partial, 'card.json'), JSON.stringify(doc, null, 2) + '\n');
        if (avatar) await atomicRewrite(nodeFs, path.join(partial, 'avatar.png'), avatar);
        await rename(partial, path.join(dir, versionId));
        await fsyncDir(dir);
        // Rotation only once the new version is in place; leftovers of an interrupted keep go too.
        const versions = [...taken, versionId].filter((n) => VERSION.test(n)).sort().reverse();
        const drop = [...versions.slice(Math.max(MIN_KEPT, retention())), ...[...taken].filter((n) => n.endsWith('.partial'))];
        for (const n of drop) await rm(path.join(dir, n), { recursive: true, force: true }).catch(() => {});
        return { versionId, name: current.card.name, replacedAt: at, hasAvatar: avatar !== undefined };
      } catch (e) {
        throw ioError(e, `keeping the previous card of character ${current.id}`);
      }
    },
    async list(id) {
      const out: PreviousCard[] = [];
      for (const versionId of (await names(dirOf(id))).filter((n) => VERSION.test(n)).sort().reverse()) {
        const v = await readVersion(id, versionId);
        if (v) out.push({ versionId, name: v.doc.card.name, replacedAt: Number(versionId.slice(0, 13)), hasAvatar: v.avatar !== undefined });
      }
      return out;
    },
    async read(id, versionId) {
      const v = VERSION.test(versionId) ? await readVersion(id, versionId) : undefined;
      if (!v) throw new StoreError('NOT_FOUND', `no previous card ${versionId} of character ${id}`);
      return v;
    },
  };
}

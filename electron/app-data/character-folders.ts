// The character list derived from the per-character folders, app/characters/<id>/card.json: a folder
// that a sync tool brings from another computer is a character here too, one it trashes there (the
// folder moves to app/trash/<id>.<ms>) leaves. A sync tool's conflict copy of a card file (two
// computers edited one card) is named as in shared design: Syncthing `card.sync-conflict-<date>-
// <time>-<device>.json`, Dropbox `card (<who>'s conflicted copy <date>).json`, Nextcloud
// `card (conflicted copy <date> <time>).json`, OneDrive `card-<COMPUTER>.json`.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Character } from '../../shared/character-contract.ts';
import { CharacterId } from '../../shared/chat-format.ts';
import { errnoOf, ioError } from '../durable/durable.ts';
import { CardDoc } from './card-files.ts';

/** `<base>.<ext>`'s conflict copies, for base card / avatar / thumb: [whole, base, ext]. */
const CONFLICT = [
  /^(card|avatar|thumb)\.sync-conflict-\d{8}-\d{6}-[A-Za-z0-9]+\.(json|png)$/,
  /^(card|avatar|thumb) \([^)]*conflicted copy[^)]*\)\.(json|png)$/,
  /^(card|avatar|thumb)-[A-Za-z0-9][A-Za-z0-9-]*\.(json|png)$/,
];
const OWN_EXT: Record<string, string> = { card: 'json', avatar: 'png', thumb: 'png' };

/** Which card file `name` is a sync tool's conflict copy of, if any. */
export function conflictCopyOf(name: string): 'card' | 'avatar' | 'thumb' | undefined {
  for (const re of CONFLICT) {
    const m = re.exec(name);
    if (m && OWN_EXT[m[1]!] === m[2]) return m[1] as 'card' | 'avatar' | 'thumb';
  }
  return undefined;
}

interface Cached {
  key: string;
  doc: CardDoc | undefined;
}

/** A character's list entry from its card file. */
export function entryFromDoc(doc: CardDoc, hasAvatar: boolean): Character {
  return { id: doc.id, name: doc.card.name.slice(0, 200), created: doc.created, updated: doc.updated, hasAvatar, tags: doc.card.tags.slice(0, 50) };
}

export interface CharacterFolders {
  /** Every folder with a valid card.json: its card document and whether it has a picture. */
  scan(): Promise<Map<string, { doc: CardDoc; hasAvatar: boolean }>>;
  /** Ids in the trash (app/trash/<id>.<ms>): a character trashed here or on another computer. */
  trashedIds(): Promise<Set<string>>;
  /** The conflict copies in a character's folder. */
  conflictCopies(id: string): Promise<{ name: string; of: 'card' | 'avatar' | 'thumb' }[]>;
}

export function openCharacterFolders(root: string, trashRoot: string, readCard: (file: string) => Promise<Buffer | undefined>): CharacterFolders {
  // Card files can be large (lorebooks): each is parsed again only when its file changed.
  const cache = new Map<string, Cached>();
  const list = (dir: string) =>
    readdir(dir).catch((e: unknown) => {
      if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return [] as string[];
      throw ioError(e, 'listing the characters');
    });
  async function docOf(id: string): Promise<CardDoc | undefined> {
    const file = path.join(root, id, 'card.json');
    const st = await stat(file, { bigint: true }).catch(() => null);
    if (!st?.isFile()) {
      cache.delete(id);
      return undefined;
    }
    const key = `${st.ino}:${st.size}:${st.mtimeNs}`;
    const hit = cache.get(id);
    if (hit?.key === key) return hit.doc;
    const bytes = await readCard(file);
    let doc: CardDoc | undefined;
    try {
      const r = bytes && CardDoc.safeParse(JSON.parse(bytes.toString('utf8')));
      doc = r && r.success && r.data.id === id ? r.data : undefined;
    } catch {
      doc = undefined; // torn or hand-broken: not listed from its folder (a registry entry may still list it)
    }
    cache.set(id, { key, doc });
    return doc;
  }
  return {
    async scan() {
      const out = new Map<string, { doc: CardDoc; hasAvatar: boolean }>();
      const ids = (await list(root)).filter((n) => CharacterId.safeParse(n).success);
      for (const id of ids) {
        const doc = await docOf(id);
        if (!doc) continue;
        const hasAvatar = await stat(path.join(root, id, 'avatar.png')).then((s) => s.isFile(), () => false);
        out.set(id, { doc, hasAvatar });
      }
      for (const id of cache.keys()) if (!ids.includes(id)) cache.delete(id);
      return out;
    },
    async trashedIds() {
      const ids = new Set<string>();
      for (const n of await list(trashRoot)) {
        const dot = n.lastIndexOf('.');
        if (dot > 0 && /^\d+$/.test(n.slice(dot + 1))) ids.add(n.slice(0, dot));
      }
      return ids;
    },
    async conflictCopies(id) {
      return (await list(path.join(root, CharacterId.parse(id)))).flatMap((name) => {
        const of = conflictCopyOf(name);
        return of ? [{ name, of }] : [];
      });
    },
  };
}

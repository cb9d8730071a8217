// Whole trees: a SillyTavern `data/<user>/chats/` (or `data/<user>/`) folder, and a CardShark
// `chats/` folder with folders.json ({charId: "Clean Name"}) and active_chats.json ({charId: chat_id}).
// Finds the chat files (never the repair backups) and what each folder says about its character.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { StoreError } from '../../shared/errors.ts';

export interface SourceEntry {
  path: string;
  /** Path relative to what the user named (the file name for a single file). */
  name: string;
  /** Name of the folder the file sits in, below the root; undefined for a file at the root. */
  folder?: string;
}

export interface CardSharkMaps {
  /** folders.json: charId → folder name. */
  folders: Record<string, string>;
  /** active_chats.json: charId → chat id. */
  active: Record<string, string>;
}

export interface Tree {
  entries: SourceEntry[];
  maps: CardSharkMaps;
  skipped: { source: string; reason: string }[];
}

const isBackupDir = (name: string) => name === '.backups' || name === 'backups';

export async function collectSources(path: string): Promise<Tree> {
  const st = await stat(path).catch((e: NodeJS.ErrnoException) => {
    throw new StoreError(e.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR', `cannot read ${path} (${e.code ?? 'error'})`, { errno: e.code });
  });
  const tree: Tree = { entries: [], maps: { folders: {}, active: {} }, skipped: [] };
  if (st.isFile()) {
    tree.entries.push({ path, name: basename(path) });
    return tree;
  }
  if (!st.isDirectory()) throw new StoreError('INVALID_INPUT', `${path} is neither a file nor a folder`);
  tree.maps.folders = await readMap(path, 'folders.json', tree);
  tree.maps.active = await readMap(path, 'active_chats.json', tree);
  await walk(path, path, tree);
  tree.entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return tree;
}

async function walk(root: string, dir: string, tree: Tree): Promise<void> {
  const names = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const d of names) {
    const full = join(dir, d.name);
    const rel = relative(root, full);
    if (d.isDirectory()) {
      // Repair backups hold older copies of chats that are imported anyway; hidden folders are not chats.
      if (isBackupDir(d.name) || d.name.startsWith('.')) tree.skipped.push({ source: rel + sep, reason: 'backup or hidden folder' });
      else await walk(root, full, tree);
    } else if (d.isFile()) {
      if (d.name.endsWith('.jsonl')) {
        const folder = dir === root ? undefined : basename(dirname(full));
        tree.entries.push(folder === undefined ? { path: full, name: rel } : { path: full, name: rel, folder });
      } else if (d.name.endsWith('.bak')) tree.skipped.push({ source: rel, reason: 'repair backup' });
    }
  }
}

/** A side file that is missing is empty; one that is unreadable is reported and ignored. */
async function readMap(root: string, file: string, tree: Tree): Promise<Record<string, string>> {
  const text = await readFile(join(root, file), 'utf8').catch(() => null);
  if (text === null) return {};
  try {
    const v = JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
    return Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch (e) {
    tree.skipped.push({ source: file, reason: `unreadable (${(e as Error).message}); folder names are used instead` });
    return {};
  }
}

/**
 * The CardShark character id a chat folder belongs to, by the three layouts seen:
 * `<Clean Name>` (folders.json's value), `<Name>-<charId>`, `<charId[:8]>`.
 */
export function characterFromFolder(folder: string, maps: CardSharkMaps): string | undefined {
  const entries = Object.entries(maps.folders);
  return (
    entries.find(([, name]) => name === folder)?.[0] ??
    entries.find(([id]) => folder.endsWith(`-${id}`))?.[0] ??
    (/^[0-9a-f]{8}$/i.test(folder) ? entries.find(([id]) => id.toLowerCase().startsWith(folder.toLowerCase()))?.[0] : undefined)
  );
}

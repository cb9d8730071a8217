// Finding chat files: every chat under chats/<character>/ at open (clearing what a crash left of
// interrupted rewrites, backups and quarantine copies; a chat id found in two folders stays with its
// own), the chat a path belongs to, and a file that appeared while the app runs (the watcher):
// listed, imported into a new chat, or reported.
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CharacterId } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { errnoOf, ioError, sha256 } from '../../durable/durable.ts';
import type { FsSeam } from '../../durable/fs-seam.ts';
import { fullStateSteps } from '../compaction.ts';
import { runSliced } from '../time-slices.ts';
import { CHAT_FILE, REWRITE_TEMP, type Layout } from '../layout.ts';
import { HEADER_MAX } from '../log/open-log.ts';
import { parseHeader } from '../records.ts';
import { warmSafeParse } from '../warm-parse.ts';
import type { ChatStore, DiscoveredChat } from '../types.ts';
import { conflictCopyOf } from '../merge/conflict-names.ts';
import { assertOpen, type ChatLocation, type StoreContext } from './context.ts';
import { CopyGone, type CopyMerges } from './merge-copies.ts';

/** Backups and quarantine copies are written as `.partial` and renamed when durable: a crash leaves the partial. */
export async function removePartialCopies(fs: FsSeam, layout: Layout): Promise<void> {
  for (const root of [layout.backupsRoot, layout.quarantineRoot]) {
    if (!existsSync(root)) continue; // none yet: told without an error object
    for (const sub of await fs.readdir(root).catch(() => [] as string[])) {
      const names = await fs.readdir(join(root, sub)).catch(() => [] as string[]);
      for (const name of names) if (name.endsWith('.partial')) await fs.unlink(join(root, sub, name)).catch(() => {});
    }
  }
}

/**
 * Finds every chat file, and removes temp files left by rewrites a crash interrupted. A chat id in
 * two folders (its file copied into another character's folder) stays with its own folder: the one
 * the chat index remembers (`remembered`), else the one its header names. The other file is not
 * listed: the watcher finds it unlisted and imports it into a new chat, as it does a conflict file.
 */
export async function discoverChats(fs: FsSeam, layout: Layout, remembered: (chatId: string) => string | undefined = () => undefined): Promise<Map<string, ChatLocation>> {
  const chats = new Map<string, ChatLocation>();
  const twice = new Map<string, ChatLocation[]>();
  for (const characterId of await fs.readdir(layout.chatsDir)) {
    if (!warmSafeParse(CharacterId, characterId).success) continue;
    const dir = layout.characterDir(characterId);
    const names = await fs.readdir(dir).catch((e) => {
      if (errnoOf(e) === 'ENOTDIR') return [] as string[];
      throw e;
    });
    for (const name of names) {
      if (REWRITE_TEMP.test(name)) {
        await fs.unlink(join(dir, name)).catch(() => {});
        continue;
      }
      const m = CHAT_FILE.exec(name);
      if (!m) continue;
      const loc = { characterId, path: join(dir, name) };
      const first = chats.get(m[1]!);
      if (!first) chats.set(m[1]!, loc);
      else twice.set(m[1]!, [...(twice.get(m[1]!) ?? [first]), loc]);
    }
  }
  for (const [chatId, locs] of twice) chats.set(chatId, await ownFolder(fs, chatId, locs, remembered(chatId)));
  return chats;
}

/** Of the files of one chat id, the chat's own: in the folder the index remembers, else the one its header names, else the first. */
async function ownFolder(fs: FsSeam, chatId: string, locs: ChatLocation[], remembered: string | undefined): Promise<ChatLocation> {
  const known = locs.find((l) => l.characterId === remembered);
  if (known) return known;
  for (const loc of locs) if ((await headerOf(fs, loc.path))?.character_id === loc.characterId) return loc;
  return locs[0]!;
}

async function headerOf(fs: FsSeam, path: string) {
  const fh = await fs.open(path, 'r').catch(() => null);
  if (!fh) return null;
  try {
    const buf = Buffer.alloc(HEADER_MAX);
    const { bytesRead } = await fh.read(buf, 0, HEADER_MAX, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    const parsed = parseHeader(buf.toString('utf8', 0, nl === -1 ? bytesRead : nl).replace(/\r$/, ''));
    return parsed.ok ? parsed.header : null;
  } catch {
    return null;
  } finally {
    await fh.close();
  }
}

/** The chat whose file is at this path, if the store lists one. */
export function chatIdForPath(ctx: StoreContext, path: string): string | null {
  // A chat file is named by its id: one lookup (the watcher asks for every file at start-up).
  const id = CHAT_FILE.exec(basename(path))?.[1];
  return id !== undefined && ctx.chats.get(id)?.path === path ? id : null;
}

/** The public calls that list or import a discovered file: the same checks as for any other caller. */
type ChatCalls = Pick<ChatStore, 'getChat' | 'importChat'> & { merges?: CopyMerges };

/**
 * A file that appeared under chats/<character>/: listed, imported into a new chat (conflict copies,
 * taken ids), or reported as legacy. Never modified. `seen`: the caller's record of bytes imported
 * (kept after the imported chat is deleted), by SHA-256.
 */
export async function discoverChat(ctx: StoreContext, store: ChatCalls, path: string, options: { seen?: (sha256: string) => Promise<boolean> } = {}): Promise<DiscoveredChat> {
  assertOpen(ctx);
  const characterId = basename(dirname(path));
  if (dirname(dirname(path)) !== ctx.layout.chatsDir || !warmSafeParse(CharacterId, characterId).success) return { kind: 'ignored', reason: 'not in a character folder' };
  const name = basename(path);
  if (!name.endsWith('.jsonl') || REWRITE_TEMP.test(name)) return { kind: 'ignored', reason: 'not a chat file' };
  const known = chatIdForPath(ctx, path);
  if (known) return { kind: 'known', chatId: known };
  // A sync tool's conflict copy of a chat we list: merged into it, never a chat of its own. Read
  // by the merge (only the bytes it does not share with the chat are read into memory).
  const copyOf = conflictCopyOf(name);
  if (copyOf !== null && store.merges && ctx.chats.has(copyOf)) return mergeConflictCopy(ctx.fs, store.merges, copyOf, path);
  let buf: Buffer;
  try {
    buf = await ctx.fs.readFile(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return { kind: 'ignored', reason: 'gone' };
    throw ioError(e, `reading ${name}`);
  }
  // Listed while it was read (the store's own write, e.g. an import, seen before it was registered).
  const listedMeanwhile = chatIdForPath(ctx, path);
  if (listedMeanwhile) return { kind: 'known', chatId: listedMeanwhile };
  // In slices: a file dropped into the folder can be 20 MiB of tiny lines (seconds of parsing).
  const state = await runSliced(fullStateSteps(buf), { check: () => assertOpen(ctx) });
  if ('error' in state) return { kind: 'legacy', path, reason: state.error };
  const m = CHAT_FILE.exec(name);
  if (m && state.header.chat_id === m[1]) {
    // On the chat's queue: a createChat of our own registers its path there, after its rename.
    const chatId = m[1]!;
    // A copy in another folder of a chat whose header names a folder that holds its file too: that
    // file is the chat (as at open, ownFolder), whichever of the two the watcher sees first.
    const named = state.header.character_id;
    const ownElsewhere = named !== characterId && warmSafeParse(CharacterId, named).success && (await ctx.fs.stat(ctx.layout.chatFile(named, chatId)).then(() => true, () => false));
    const listed = await ctx.queue.run(chatId, async () => {
      if (ctx.chats.get(chatId)?.path === path) return 'known' as const;
      if (ctx.chats.has(chatId) || ownElsewhere) return 'taken' as const;
      ctx.chats.set(chatId, { characterId, path }); // a chat file copied in as it is: list it
      return 'listed' as const;
    });
    if (listed === 'known') return { kind: 'known', chatId };
    if (listed === 'listed') return { kind: 'listed', summary: await store.getChat(chatId) };
  }
  // A sync tool's conflict copy, or a copy whose id is taken: its content goes into a new chat in one
  // atomic write (a crash leaves none or all of it), under an id derived from the bytes, so the same
  // bytes are imported at most once, even when the caller's record of them was lost. The file stays as it is.
  const sha = sha256(buf);
  if (await options.seen?.(sha)) return { kind: 'imported_before', sha256: sha };
  const { fileImportInput } = await import('../import-chat.ts'); // loaded only when a file is imported
  const input = fileImportInput(state, { characterId, fileName: name, sha256: sha, created: ctx.now() });
  try {
    return { kind: 'imported', summary: await store.importChat(input), from: name, sha256: sha };
  } catch (e) {
    if (e instanceof StoreError && e.code === 'CONFLICT' && e.details?.reason === 'exists') return { kind: 'imported_before', sha256: sha };
    throw e;
  }
}

/** A conflict copy of a listed chat: merged into it (then removed), or left as it is and reported when it is no copy of that chat. */
async function mergeConflictCopy(fs: FsSeam, merges: CopyMerges, chatId: string, path: string): Promise<DiscoveredChat> {
  let first: string | null;
  try {
    first = await firstLine(fs, path);
  } catch (e) {
    throw ioError(e, `reading ${basename(path)}`);
  }
  if (first === null) return { kind: 'ignored', reason: 'gone' };
  const header = parseHeader(first.replace(/\r$/, ''));
  if (!header.ok) return { kind: 'not_merged', path, chatId, reason: header.reason };
  if (header.header.chat_id !== chatId) return { kind: 'not_merged', path, chatId, reason: `its header names chat ${header.header.chat_id}` };
  try {
    const r = await merges.mergeCopy(chatId, path);
    return { kind: 'merged', summary: r.summary, from: basename(path), merged: r.merged };
  } catch (e) {
    if (e instanceof CopyGone) return { kind: 'ignored', reason: 'gone' };
    if (e instanceof StoreError && e.code === 'CORRUPT') return { kind: 'not_merged', path, chatId, reason: e.message };
    throw e;
  }
}

/** A file's first line (at most HEADER_MAX bytes of it, as a header is), null when there is no file. */
async function firstLine(fs: FsSeam, path: string): Promise<string | null> {
  let fh;
  try {
    fh = await fs.open(path, 'r');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw e;
  }
  try {
    const buf = Buffer.alloc(HEADER_MAX);
    const { bytesRead } = await fh.read(buf, 0, HEADER_MAX, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
    return buf.toString('utf8', 0, nl === -1 ? bytesRead : nl);
  } finally {
    await fh.close();
  }
}

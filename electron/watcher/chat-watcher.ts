// Watches the chats folder (one chokidar watcher on the folder, depth 1: chats/<character>/<chat>.jsonl)
// for changes made by other programs: editors, sync tools, a second copy of a file.
//
// chokidar's events are hints, never facts: `change` events are throttled (later ones within
// 50 ms are dropped, not delayed), and editors' atomic saves and write-file-atomic temp files
// produce add/unlink pairs. So each event only schedules a check of that path after a settle
// delay; the check stats the file until its size stops changing and then decides from what is on
// disk: the store's own last write (same dev, inode and size) is not an outside change — no time
// window is involved, so a real edit made just after a save is never lost.
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { ChatStore } from '../store/types.ts';
import type { Emit, GenerationManager } from '../generation/manager.ts';
import type { ConflictKeeper } from './conflict-copy.ts';
import { conflictCopyOf } from '../store/merge/conflict-names.ts';
import { memoryImportedFiles, type ImportedFiles } from './imported-files.ts';
import { errnoOf, sha256 } from '../durable/durable.ts';
import { StoreError } from '../../shared/errors.ts';
import type { ChatSummary } from '../../shared/chat-format.ts';

export interface ChatWatcherOptions {
  /** The chats folder (store layout: `<dataDir>/chats`). */
  chatsDir: string;
  store: ChatStore;
  generation: Pick<GenerationManager, 'busy' | 'abandon'>;
  keeper: ConflictKeeper;
  emit: Emit;
  /** Files already imported (persisted by services, so a restart does not import them again). */
  imported?: ImportedFiles;
  /** Quiet time after the last event for a path before it is checked, and between size checks. Default 100 ms. */
  settleMs?: number;
  /** How long a file may keep growing before it is read anyway (its torn tail is then reported, not cut). Default 3 s. */
  maxSettleMs?: number;
  log?: (message: string) => void;
}

export interface ChatWatcher {
  /** Resolves once chokidar has set up its watches. */
  ready: Promise<void>;
  /** Resolves when no check is scheduled or running (tests, benches). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Names that are never chats: write-file-atomic temps (`x.jsonl.123`), partial copies, anything not `.jsonl`. Folders have no dot. */
export function ignoredPath(path: string): boolean {
  const name = basename(path);
  return name.includes('.') && !name.endsWith('.jsonl');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function startChatWatcher(o: ChatWatcherOptions): ChatWatcher {
  const settleMs = o.settleMs ?? 100;
  const maxSettleMs = o.maxSettleMs ?? 3000;
  const log = o.log ?? ((m: string) => console.warn(`[watcher] ${m}`));
  const timers = new Map<string, NodeJS.Timeout>();
  const checks = new Map<string, Promise<void>>();
  let closed = false;
  let errorsReported = 0;
  /** Contents imported (conflict copies), by hash, and the files they came from: the same bytes are not imported twice. */
  const imported = o.imported ?? memoryImportedFiles();

  const watcher: FSWatcher = watch(o.chatsDir, {
    ignoreInitial: true,
    depth: 1,
    // A function: string entries are exact paths, not globs.
    ignored: (p: string) => ignoredPath(p),
  });

  /** A stat taken when the latest event for a path came in: the check compares against it. */
  const seen = new Map<string, Promise<Awaited<ReturnType<typeof statOrNull>> | undefined>>();

  function hint(path: string) {
    if (closed || !path.endsWith('.jsonl')) return;
    seen.set(path, statOrNull(path).catch(() => undefined));
    clearTimeout(timers.get(path));
    timers.set(
      path,
      setTimeout(() => {
        timers.delete(path);
        // One check per path at a time; a hint during a check runs another check after it.
        const prev = checks.get(path) ?? Promise.resolve();
        const next = prev.then(() => check(path)).catch((e: unknown) => log(`checking ${path} failed: ${String(e)}`));
        checks.set(path, next);
        void next.finally(() => {
          if (checks.get(path) === next) checks.delete(path);
        });
      }, settleMs),
    );
  }

  watcher.on('add', hint).on('change', hint).on('unlink', hint);
  watcher.on('error', (e: unknown) => {
    // ENOSPC here is the inotify watch limit, not a full disk.
    const code = errnoOf(e);
    log(`watching ${o.chatsDir} failed: ${String(e)}`);
    if (errorsReported++ < 3) {
      o.emit('notice', {
        level: 'warning',
        message: code === 'ENOSPC' ? 'Changes made to chats by other programs cannot be watched: the system limit of file watches is reached (fs.inotify.max_user_watches).' : `Changes made to chats by other programs may go unnoticed: ${String((e as Error)?.message ?? e)}`,
      });
    }
  });
  // Files that arrived while the app was not running (a sync tool's conflict copy, a copied chat)
  // are not in the store's list: once watching, each gets the same check as a new file. A chat
  // whose file was replaced meanwhile gets the check of a changed chat (its app version compared).
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve())).then(async () => {
    for (const p of o.store.chatsToCompare()) hint(p);
    await scanUnlisted();
  });

  async function scanUnlisted(): Promise<void> {
    const dirs = await readdir(o.chatsDir).catch(() => [] as string[]);
    for (const d of dirs) {
      const names = await readdir(join(o.chatsDir, d)).catch(() => [] as string[]);
      for (const name of names) {
        const p = join(o.chatsDir, d, name);
        if (!ignoredPath(p) && name.endsWith('.jsonl') && !o.store.chatIdForPath(p)) hint(p);
      }
    }
  }

  async function statOrNull(path: string) {
    try {
      return await stat(path, { bigint: true });
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return null;
      throw e;
    }
  }

  /** Waits until the file stops changing (another program may still be writing), up to maxSettleMs. */
  async function settled(path: string) {
    // The first comparison is with the stat taken at the event, settleMs ago: a file that did not
    // change since is settled without another wait.
    let prev = await seen.get(path);
    seen.delete(path);
    let st = await statOrNull(path);
    const until = Date.now() + maxSettleMs;
    while (st && Date.now() < until) {
      if (prev && prev.ino === st.ino && prev.size === st.size && prev.mtimeNs === st.mtimeNs) return st;
      await sleep(settleMs);
      prev = st;
      st = await statOrNull(path);
    }
    return st;
  }

  /**
   * Whether a streaming reply may go on into the chat's file as it is now: it holds every version the
   * app wrote (appVersions), and ends with a whole line (another program still writing a line there
   * makes the file read-only for the app: the reply is kept in a copy then, as before).
   */
  async function replyCommutes(chatId: string, path: string): Promise<boolean> {
    const end = await lastByte(path);
    if (end !== 0x0a) return false;
    const versions = await o.store.appVersions(chatId).catch(() => null);
    // The file itself must hold every version (the reply so far too): one held only through a sync
    // tool's conflict copy beside it may end the reply at an older text the next chunk would follow.
    return !!versions?.length && versions.every((v) => v.inFile && !v.viaCopy);
  }

  async function lastByte(path: string): Promise<number | null> {
    const fh = await open(path, 'r').catch(() => null);
    if (!fh) return null;
    try {
      const { size } = await fh.stat();
      if (size === 0) return null;
      const b = Buffer.alloc(1);
      await fh.read(b, 0, 1, size - 1);
      return b[0]!;
    } finally {
      await fh.close();
    }
  }

  async function check(path: string): Promise<void> {
    if (closed) return;
    const st = await settled(path);
    if (closed) return;
    const chatId = o.store.chatIdForPath(path);
    if (!chatId) {
      if (st) await discoverOnce(path, st);
      else await copyGone(path);
      return;
    }
    // Our own write: the file is exactly what the store last wrote (checked again on the chat's queue,
    // as a write of ours may have landed between the stat and the comparison), and no earlier write
    // of ours is kept that the file may have lost (the store wrote into a file another program put there).
    if (st && (o.store.isOwnState(chatId, st) || (await o.store.isOwnStateNow(chatId))) && !(await o.store.ownVersionPending(chatId))) return;
    // Unsaved app state for this chat (a streaming reply), or saved messages the new file lacks: keep both.
    // A file deleted outside the app is taken as meant (only a streaming reply is kept then).
    // A reply streaming into a file the other program replaced with a version that holds all the
    // app wrote (the reply so far too: a sync tool's version from the other computer) goes on into
    // it: its next checkpoint is made on the file as it is now, if the reply's message is still as
    // the app had it (else that write is refused and the reply kept in a copy, generation/manager.ts).
    const reply = o.generation.busy(chatId) && !(st && (await replyCommutes(chatId, path))) ? await o.generation.abandon(chatId) : undefined;
    if (st || reply) await o.keeper.keep(chatId, reply, basename(dirname(path))); // chats/<character>/<chat>.jsonl
    await o.keeper.pending(chatId);
    if (closed) return;
    // A chat whose file is gone leaves the list; the store tells its onChatGone listeners (services.ts
    // emits chat:removed), as it does when a read or write meets the missing file before this check.
    if (!st) {
      if (await o.store.forgetIfGone(chatId)) log(`chat ${chatId} was deleted outside the app`);
      return;
    }
    const summary = await o.store.refreshChat(chatId).catch((e: unknown) => {
      if (e instanceof StoreError && e.code === 'NOT_FOUND') return undefined; // deleted by the app meanwhile
      throw e;
    });
    if (!summary) return; // deleted meanwhile (the store's onChatGone tells of it), or by the app itself
    // Changed again after the comparison, before the re-read: the store kept what it had not compared with that file.
    if (await o.store.ownVersionToCompareNow(chatId)) hint(path);
    o.emit('chat:changed', { chatId, characterId: summary.characterId, summary, source: 'external' });
    const why = readOnlyNotice(summary);
    if (why) o.emit('notice', { level: 'warning', message: why });
  }

  /**
   * A sync tool's conflict copy of a chat went (merged, pruned by the sync tool, deleted): if the
   * app's version of the chat was kept for that copy's merge, the chat is compared again now (what
   * it lacks without the copy goes into a conflict-copy chat, as when no copy existed).
   */
  async function copyGone(path: string): Promise<void> {
    const id = conflictCopyOf(basename(path));
    const chatPath = id && join(dirname(path), `${id}.jsonl`);
    if (chatPath && o.store.chatIdForPath(chatPath) === id && (await o.store.ownVersionPending(id))) hint(chatPath);
  }

  /**
   * A file the store does not list: listed, or its content imported, but the same bytes at most once.
   * The bytes' hash decides (the store derives the import's id from it, so even a crash between the
   * import and the record cannot import them twice); an unchanged file (same stat) is not read again.
   */
  async function discoverOnce(path: string, st: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint }): Promise<void> {
    const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`;
    const rel = relative(o.chatsDir, path);
    const known = await imported.file(rel);
    if (known?.key === key) {
      // Unchanged since. Recorded by an earlier version (no hash): these unchanged bytes are the ones it imported.
      if (known.sha256 === null) {
        const bytes = await readFile(path).catch(() => null);
        if (bytes) await imported.set(rel, key, sha256(bytes));
      }
      return;
    }
    const sha = await discovered(path, (hash) => imported.hasContent(hash));
    if (sha) await imported.set(rel, key, sha);
  }

  /** The hash of the file's bytes when they were imported, now or before; null when nothing was imported. */
  async function discovered(path: string, seen: (sha256: string) => Promise<boolean>): Promise<string | null> {
    const r = await o.store.discoverChat(path, { seen }).catch((e: unknown) => {
      // A conflict copy met its chat changing while it was merged: tried again once things settle.
      if (e instanceof StoreError && e.code === 'CONFLICT' && e.details?.reason === 'changed_outside') {
        hint(path);
        return null;
      }
      throw e;
    });
    if (!r) return null;
    switch (r.kind) {
      case 'merged':
        log(`${path} (another copy of chat ${r.summary.chatId}) was merged into it and removed; its bytes are in backups/${r.summary.chatId}/`);
        o.emit('chat:changed', { chatId: r.summary.chatId, characterId: r.summary.characterId, summary: r.summary, source: 'external' });
        if (r.merged > 0) o.emit('notice', { level: 'info', message: `"${r.summary.title}": merged ${r.merged} message${r.merged === 1 ? '' : 's'} from another copy (${r.from}).` });
        return null;
      case 'not_merged':
        log(`${path} looks like a conflict copy of chat ${r.chatId} but was not merged: ${r.reason}`);
        o.emit('notice', { level: 'warning', message: `${basename(path)} looks like a sync tool's copy of a chat but is not one of this chat (${r.reason}); it was left as it is.` });
        return null;
      case 'listed':
      case 'imported':
        o.emit('chat:changed', { chatId: r.summary.chatId, characterId: r.summary.characterId, summary: r.summary, source: 'external' });
        if (r.kind === 'imported') {
          log(`${path} was imported as chat ${r.summary.chatId}`);
          o.emit('notice', { level: 'info', message: `${r.from} appeared in the chats folder; its messages are listed as "${r.summary.title}". The file itself was left as it is.` });
          return r.sha256;
        }
        return null;
      case 'imported_before':
        return r.sha256;
      case 'legacy':
        log(`${path} is not a CardShark chat file (${r.reason})`);
        o.emit('notice', { level: 'warning', message: `${basename(path)} appeared in the chats folder but is not a CardShark chat (${r.reason}). Import it from its original format to use it; the file was left as it is.` });
        return null;
      default:
        return null;
    }
  }

  return {
    ready,
    async idle() {
      for (;;) {
        if (timers.size === 0 && checks.size === 0) return;
        await Promise.all([...checks.values()]);
        if (timers.size) await sleep(settleMs);
      }
    },
    async close() {
      closed = true;
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await watcher.close();
      await Promise.all([...checks.values()]);
    },
  };
}

/** What a user is told when another program's change left a chat read-only: the cause the store found, never a guess. */
export function readOnlyNotice(summary: ChatSummary): string | null {
  if (summary.status !== 'read_only') return null;
  if (summary.readOnlyReason === 'newer_format') return `"${summary.title}" was changed by another program and is now saved in a newer format than this version of CardShark knows; it is read-only. The file was left as it is.`;
  return `"${summary.title}" was changed by another program and its last line is incomplete (that program may still be writing it); it is read-only until the line is complete, or until you repair the chat. The file was left as it is.`;
}

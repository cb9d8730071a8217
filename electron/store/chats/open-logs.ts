// The chat logs the store has open: opened on first use, at most MAX_OPEN_LOGS at once (the least
// recently used idle ones are closed), and forgotten when a chat's file is rewritten, moved or gone.
// Opening decides who wrote a torn last line (own-states.ts) and the chat's revision (a changed
// file's never repeats one handed out before). A chat whose file was deleted outside the app
// leaves the list of chats here (dropIfGone).
// Opening and closing a log are told to `ownVersions` (own-versions.ts): a closing log may hold
// the only readable copy of what the app wrote last.
import { StoreError } from '../../../shared/errors.ts';
import { errnoOf } from '../../durable/durable.ts';
import { sameStamp } from '../../durable/guarded-rewrite.ts';
import { ChatLog } from '../log/chat-log.ts';
import { newChatMemo, type ChatMemo } from '../log/chat-memo.ts';
import type { FileState } from '../log/log-file.ts';
import { logged } from '../oplog-sink.ts';
import type { StoreContext } from './context.ts';

const MAX_OPEN_LOGS = 64;

/**
 * How long a chat file found missing is looked for again before it counts as deleted outside the
 * app. A sync tool replaces a file in two renames (Syncthing resolving a conflict: the chat moves
 * aside to its conflict name, then the sync tool's temp file moves in), leaving the path missing in
 * between: two syscalls apart, normally microseconds, tens of milliseconds on a busy or slow disk.
 * A quarter of a second covers that many times over, and is what a real delete costs the one read
 * or write that meets it (the watcher waits its own settle time on top, before it looks).
 */
const MISSING_GRACE_MS = 250;
const MISSING_POLL_MS = 10;

/**
 * What becomes of the app's version of a chat when its log closes (see OwnVersions):
 * - 'keep': kept readable (an idle log evicted, a log closed after a failed write or to be re-read);
 * - 'rewrite': the app rewrites the file itself next (compaction): its own new file takes the kept one's place;
 * - 'compared': the watcher compared what was kept with the file: the file becomes the app's version;
 * - 'drop': the chat is gone, or the user chose another version of it: nothing kept of it, before either.
 */
export type OwnVersionOnClose = 'keep' | 'rewrite' | 'compared' | 'drop';

/** What is told of logs opening and closing (OwnVersions). */
export interface LogEvents {
  opened(chatId: string, log: ChatLog): void;
  closing(chatId: string, log: ChatLog | undefined, then: OwnVersionOnClose): Promise<void>;
  /** Resolves once what was asked so far is done. */
  idle(): Promise<void>;
}

export class OpenLogs {
  private readonly ctx: StoreContext;
  /** Map order is the LRU order: the least recently used first. */
  private readonly logs = new Map<string, ChatLog>();
  /** Set once by the store (the parts that listen are made after this one). */
  ownVersions: LogEvents | undefined;

  constructor(ctx: StoreContext) {
    this.ctx = ctx;
  }

  /** The chat's log if it is open (its place in the LRU order unchanged). */
  peek(chatId: string): ChatLog | undefined {
    return this.logs.get(chatId);
  }

  /** Every open log, least recently used first (a copy: closing them is safe meanwhile). */
  all(): [string, ChatLog][] {
    return [...this.logs];
  }

  /** The chat's open log, or its file opened now (NOT_FOUND for a chat not listed, or deleted outside the app). */
  async log(chatId: string): Promise<ChatLog> {
    const open = this.logs.get(chatId);
    if (open) {
      this.logs.delete(chatId); // re-insert: Map order is the LRU order
      this.logs.set(chatId, open);
      return open;
    }
    const { ctx } = this;
    const loc = ctx.chats.get(chatId);
    if (!loc) throw new StoreError('NOT_FOUND', `chat ${chatId} does not exist`, { chatId });
    let memo = ctx.memos.get(chatId);
    if (!memo) ctx.memos.set(chatId, (memo = newChatMemo()));
    // Without the lock this process reads on, but never cuts a torn tail: the file is another's now.
    if (!(await ctx.lock.holds())) memo.external = true;
    const m = memo;
    // A torn last line is cut off only if the store wrote it: never once another program changed the file.
    const tornTailIsOwn = (file: FileState, tailStart: number) => !m.external && ctx.ownStates.tornTailIsOwn(chatId, file, tailStart);
    const openFile = () => logged(ctx.oplog, 'open', chatId, () => ChatLog.open(ctx.fs, chatId, loc.characterId, loc.path, ctx.layout.quarantineDir(chatId), m, tornTailIsOwn), (l) => l.size);
    const log = await openFile().catch(async (e: unknown) => {
      // A chat that cannot be read now (EACCES, EIO) is listed as unreadable until it can be again.
      if (e instanceof StoreError && e.code === 'IO_ERROR') ctx.index.delete(chatId);
      if (!(e instanceof StoreError && e.details?.errno === 'ENOENT')) throw e;
      // Deleted outside the app while no log was open: not an unreadable chat, a missing one.
      if (await this.dropIfGone(chatId)) throw new StoreError('NOT_FOUND', `chat ${chatId} was deleted outside the app`, { chatId });
      // Missing only for a moment (a sync tool moved it aside and put its own version in place):
      // another program's file now, read as one changed outside the app (its tail never cut).
      m.external = true;
      ctx.ownStates.notOurs(chatId);
      return openFile();
    });
    ctx.ownStates.opened(chatId);
    if (log.tornTail === 'cut') ctx.ownStates.wrote(chatId, log.fileState()); // the cut was the store's write
    if (log.tornTail === 'kept') {
      m.external = true; // another program's line: that program wrote last
      ctx.ownStates.notOurs(chatId);
    }
    log.revisionOffset = this.revisionOffset(chatId, log, m);
    m.revision = { state: log.fileState(), value: log.revision, offset: log.revisionOffset };
    this.ctx.handed.set(chatId, m.revision);
    this.logs.set(chatId, log);
    this.ownVersions?.opened(chatId, log);
    return log;
  }

  /**
   * The offset a chat's revision carries over the file's own (ChatLog.revision). The same file as
   * last seen keeps its revision; a file changed since (by another program: an edit in place of
   * the same size, a shorter file) gets one past every revision handed out before, so a stale
   * `expectedRevision` never matches again. Across a restart likewise, from what the last run handed
   * out (persisted: handed-revisions.ts) and what the chat index recorded.
   */
  private revisionOffset(chatId: string, log: ChatLog, memo: ChatMemo): number {
    const natural = log.fileRevision;
    const state = log.fileState();
    const past = (prev: { state: FileState; value: number; offset: number }) => (sameStamp(prev.state, state) ? prev.offset : natural > prev.value ? 0 : prev.value + 1 - natural);
    if (memo.revision) return past(memo.revision);
    // The first open of this session: past what the last run handed out (index.json `revisions`),
    // and past what the chat index recorded for the file (its summary follows the app's writes).
    const handed = this.ctx.handed.get(chatId);
    let offset = handed ? past(handed) : 0;
    const e = this.ctx.index.get(chatId);
    if (e) {
      const same = state.mtimeNs !== -1n && e.file.ino === String(state.ino) && e.file.size === state.size && e.file.mtimeNs === String(state.mtimeNs);
      // Changed since the index recorded it (an edit in place while the app was closed): past the
      // recorded revision; a file that only grew keeps its own.
      offset = Math.max(offset, same ? e.summary.revision - natural : natural > e.summary.revision ? 0 : e.summary.revision + 1 - natural);
    }
    return offset;
  }

  /** Records, for index.json, the revision each open log stands at (its writes move it). */
  noteRevisions(): void {
    for (const [id, log] of this.logs) this.ctx.handed.note(id, handedOf(log));
  }

  /** Bounds open files and index memory: the least recently used idle chats are closed. */
  async evictIdle(current: string): Promise<void> {
    for (const id of this.logs.keys()) {
      if (this.logs.size <= MAX_OPEN_LOGS) return;
      if (id !== current && !this.ctx.queue.busy(id)) await this.forget(id);
    }
  }

  /** Closes the chat's log: what memory held of its file is read anew next time. `ownVersion`: see OwnVersionOnClose. */
  async forget(chatId: string, ownVersion: OwnVersionOnClose = 'keep'): Promise<void> {
    const log = this.logs.get(chatId);
    this.logs.delete(chatId);
    if (log) {
      // The revision as it stands after this session's writes: a reopen (or the next run) goes past it.
      const last = handedOf(log);
      const memo = this.ctx.memos.get(chatId);
      if (memo) memo.revision = last;
      this.ctx.handed.set(chatId, last);
    }
    await this.ownVersions?.closing(chatId, log, ownVersion).catch(() => {}); // best effort (a full disk): the log closes all the same
    await log?.close();
  }

  /**
   * A chat whose file was deleted outside the app leaves the store's list of chats. A file missing
   * for a moment is not deleted (see MISSING_GRACE_MS): false then, and the caller goes on with the
   * file there now, as one changed outside the app. Called on the chat's queue: the wait holds it,
   * which needs nothing else to move on.
   */
  async dropIfGone(chatId: string): Promise<boolean> {
    const { ctx } = this;
    const loc = ctx.chats.get(chatId);
    if (!loc) return true;
    const gone = await this.missingAfterGrace(loc.path);
    if (gone && ctx.chats.get(chatId) !== loc) return true; // left the list meanwhile (told then)
    if (gone) {
      await this.forget(chatId, 'drop');
      ctx.chats.delete(chatId);
      ctx.memos.delete(chatId);
      ctx.index.delete(chatId);
      for (const listener of ctx.goneListeners) {
        try {
          listener(chatId, loc.characterId);
        } catch {
          // a listener's failure is its own: the chat has left the list all the same
        }
      }
    }
    return gone;
  }

  /** Whether the path is missing, and still is after MISSING_GRACE_MS (looked at every MISSING_POLL_MS). */
  private async missingAfterGrace(path: string): Promise<boolean> {
    const missing = () => this.ctx.fs.stat(path).then(
      () => false,
      (e: unknown) => errnoOf(e) === 'ENOENT',
    );
    const end = performance.now() + MISSING_GRACE_MS;
    for (;;) {
      if (!(await missing())) return false;
      if (performance.now() >= end) return true;
      await new Promise((r) => setTimeout(r, MISSING_POLL_MS));
    }
  }
}

/** What a log has handed out: its revision now, for the file state it has. */
function handedOf(log: ChatLog): { state: FileState; value: number; offset: number } {
  return { state: log.fileState(), value: log.revision, offset: log.revisionOffset };
}

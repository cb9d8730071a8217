// Keeps the chat index (chat-index.ts) true to the chat files: at open it keeps only the
// persisted entries whose files are unchanged and summarises the rest in the background; after
// each write it updates the chat's entry in O(1); a summary not in the index is computed from the
// chat's log and recorded.
import { PREVIEW_CHARS, type ChatSummary, type Message } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import type { FsSeam } from '../../durable/fs-seam.ts';
import type { ChatIndex, IndexEntry, IndexProgress } from '../chat-index.ts';
import { branchLinkOf } from '../branch-chat.ts';
import type { ChatLog } from '../log/chat-log.ts';
import type { ChatTasks } from './chat-tasks.ts';
import type { ChatLocation, StoreContext } from './context.ts';

/** Chats summarised at once by the background indexing (well under the open-log bound). */
const INDEX_WORKERS = 8;
/** The background indexing starts this long after open. */
const INDEX_START_DELAY_MS = 300;

/** A write's effect on the chat's summary (see noteWrite). */
export interface WriteEffect {
  added?: Message[];
  touched?: string;
  removed?: string;
  title?: string;
  timestamp: number;
}

/**
 * Of the persisted index's entries (ChatIndex.read), keeps each whose file still has the size,
 * inode and mtime it recorded (one stat per chat, in parallel); every other chat is re-read (in the
 * background, or when it is listed). A missing or damaged index file (null) keeps nothing.
 */
export async function adoptPersistedIndex(fs: FsSeam, chats: Map<string, ChatLocation>, index: ChatIndex, persisted: Map<string, IndexEntry> | null): Promise<void> {
  if (!persisted) {
    index.markChanged();
    return;
  }
  const ids = [...chats.keys()];
  const BATCH = 512;
  for (let i = 0; i < ids.length; i += BATCH) {
    await Promise.all(
      ids.slice(i, i + BATCH).map(async (id) => {
        const e = persisted.get(id);
        const loc = chats.get(id)!;
        if (!e || e.summary.characterId !== loc.characterId || e.file.mtimeNs === undefined || e.file.ino === undefined) return;
        const st = await fs.stat(loc.path, { bigint: true }).catch(() => null);
        if (st && Number(st.size) === e.file.size && String(st.ino) === e.file.ino && String(st.mtimeNs) === e.file.mtimeNs) index.adopt(e);
      }),
    );
  }
  if (index.size !== persisted.size) index.markChanged();
}

export class IndexKeeper {
  private readonly ctx: StoreContext;
  private readonly tasks: ChatTasks;
  private readonly onIndexProgress: ((p: IndexProgress) => void) | undefined;
  private indexing: Promise<void> = Promise.resolve();
  /** Ends the start delay of the background indexing at once (close must not wait for it). */
  private stopDelay: (() => void) | undefined;

  constructor(ctx: StoreContext, tasks: ChatTasks, onIndexProgress: ((p: IndexProgress) => void) | undefined) {
    this.ctx = ctx;
    this.tasks = tasks;
    this.onIndexProgress = onIndexProgress;
  }

  /** A chat's summary computed from its log (a full index of it). */
  async summarize(log: ChatLog): Promise<ChatSummary> {
    const base = { chatId: log.chatId, characterId: log.characterId, sizeBytes: log.size, revision: log.revision };
    if (log.status === 'corrupt' || !log.header) {
      return { ...base, title: `Unreadable chat (${log.chatId.slice(0, 8)})`, messageCount: 0, created: 0, updated: 0, preview: null, status: 'corrupt' };
    }
    const s = await log.stats();
    const why = log.status === 'read_only' && log.readOnlyReason ? { readOnlyReason: log.readOnlyReason } : {};
    const branchOf = branchLinkOf(log.header.metadata);
    return { ...base, title: log.title ?? log.header.title, messageCount: s.messageCount, created: log.header.timestamp, updated: s.updated, preview: s.preview, status: log.status, ...why, ...(branchOf ? { branchOf } : {}) };
  }

  /**
   * The summary of a file the store just wrote whole (a merge) from what the writer counted in it
   * (log/tail-index.ts's rules: live messages, the newest title a meta record sets): only its newest
   * message is read, the file is not indexed. When the log is not plainly readable, or the newest
   * message does not agree with the count or proves unreadable: the full summary (summaryOf).
   */
  async summaryOfWritten(log: ChatLog, known: { live: number; title: string | undefined }): Promise<ChatSummary> {
    if (log.status !== 'ok' || !log.header) return this.summaryOf(log);
    const warned = log.warnings.length;
    const last = await log.newest().catch(() => undefined);
    if (last === undefined || log.warnings.length !== warned || (last === null) !== (known.live === 0)) return this.summaryOf(log);
    const s = log.statsOf(known.live, last);
    const branchOf = branchLinkOf(log.header.metadata);
    const summary: ChatSummary = { chatId: log.chatId, characterId: log.characterId, sizeBytes: log.size, revision: log.revision, title: known.title ?? log.header.title, messageCount: s.messageCount, created: log.header.timestamp, updated: s.updated, preview: s.preview, status: log.status, ...(branchOf ? { branchOf } : {}) };
    this.ctx.index.set({ summary, lastId: last?.id ?? null, lastStamp: last ? (last.edited ?? last.timestamp) : 0, file: log.identity });
    return { ...summary };
  }

  /** The index entry, if it describes exactly the file this log has open. */
  currentEntry(log: ChatLog): IndexEntry | undefined {
    const e = this.ctx.index.get(log.chatId);
    const id = log.identity;
    const sameMtime = e?.file.mtimeNs === undefined || id.mtimeNs === undefined || e.file.mtimeNs === id.mtimeNs;
    return e && e.file.ino === id.ino && e.file.size === id.size && sameMtime && e.summary.revision === log.revision ? e : undefined;
  }

  /** The chat's summary: from the index when current, else computed from the log (a full index of it) and recorded. */
  async summaryOf(log: ChatLog): Promise<ChatSummary> {
    const cur = this.currentEntry(log);
    if (cur) return { ...cur.summary };
    const summary = await this.summarize(log);
    const last = summary.status === 'corrupt' ? null : await log.newest().catch(() => null);
    this.ctx.index.set({ summary, lastId: last?.id ?? null, lastStamp: last ? (last.edited ?? last.timestamp) : 0, file: log.identity });
    return { ...summary };
  }

  /**
   * After a write: the entry that was current before it is updated in O(1) (no scan; the preview is
   * re-read only when the newest message itself changed). Without one, the entry is dropped and
   * recomputed when next needed.
   */
  async noteWrite(log: ChatLog, before: IndexEntry | undefined, w: WriteEffect): Promise<void> {
    const { index } = this.ctx;
    if (!before) {
      index.delete(log.chatId);
      return;
    }
    const summary: ChatSummary = {
      ...before.summary,
      revision: log.revision,
      sizeBytes: log.size,
      messageCount: before.summary.messageCount + (w.added?.length ?? 0) - (w.removed ? 1 : 0),
    };
    if (w.title !== undefined) summary.title = w.title;
    let lastId = before.lastId;
    let lastStamp = before.lastStamp;
    const newest = w.added?.at(-1);
    if (newest) {
      lastId = newest.id;
      lastStamp = newest.edited ?? newest.timestamp;
      summary.preview = newest.content.slice(0, PREVIEW_CHARS);
    } else if ((w.touched !== undefined && w.touched === before.lastId) || (w.removed !== undefined && w.removed === before.lastId)) {
      const last = await log.newest().catch(() => undefined);
      if (last === undefined) {
        index.delete(log.chatId);
        return;
      }
      lastId = last?.id ?? null;
      lastStamp = last ? (last.edited ?? last.timestamp) : 0;
      summary.preview = last ? last.content.slice(0, PREVIEW_CHARS) : null;
    }
    // As summarize computes it from the file: the header's times, the last record's, the newest message's.
    summary.updated = Math.max(log.header?.timestamp ?? 0, log.header?.updated ?? 0, w.timestamp, lastStamp);
    index.set({ summary, lastId, lastStamp, file: log.identity });
  }

  /** What a chat that cannot be read is listed as (null: it does not exist); other errors are rethrown. */
  unreadableSummary(chatId: string, e: unknown): ChatSummary | null {
    if (e instanceof StoreError && e.code === 'NOT_FOUND') return null;
    if (!(e instanceof StoreError) || e.code === 'CLOSED') throw e;
    const loc = this.ctx.chats.get(chatId);
    return { chatId, characterId: loc?.characterId ?? '', title: `Unreadable chat (${chatId.slice(0, 8)})`, messageCount: 0, created: 0, updated: 0, preview: null, status: 'corrupt', sizeBytes: 0, revision: 0 };
  }

  /** One chat's summary into the index; an unreadable chat (EACCES, EIO) gets a summary saying so, unindexed. */
  indexOne(chatId: string): Promise<ChatSummary | null> {
    return this.tasks.onChat(chatId, (log) => this.summaryOf(log), true).catch((e) => this.unreadableSummary(chatId, e));
  }

  /** Computes the entry of every chat that has none, one chat at a time, in the background. */
  startIndexing(): void {
    const { ctx } = this;
    const missing = [...ctx.chats.keys()].filter((id) => !ctx.index.get(id));
    const total = ctx.chats.size;
    this.onIndexProgress?.({ done: total - missing.length, total, ready: missing.length === 0 });
    if (missing.length === 0) return;
    this.indexing = (async () => {
      // The first window's own requests go first: its chat's newest page is not queued behind a
      // full scan of some big chat (a listing summarises its character's missing chats itself).
      await new Promise<void>((r) => {
        const timer = setTimeout(r, INDEX_START_DELAY_MS);
        this.stopDelay = () => {
          clearTimeout(timer);
          r();
        };
      });
      this.stopDelay = undefined;
      let done = total - missing.length;
      let last = 0;
      let next = 0;
      // A few chats at a time: reading a small chat is mostly waiting for the disk (open, stat, reads).
      const worker = async () => {
        while (next < missing.length) {
          const id = missing[next++]!;
          // Let requests in between chats (a listing, the first window's chat), without a macrotask per chat.
          if (next % 16 === 0) await new Promise<void>((r) => setImmediate(r));
          if (ctx.closed) return;
          if (!ctx.index.get(id) && ctx.chats.has(id)) await this.indexOne(id);
          done++;
          // At most every 100 ms (and at the end): a progress bar needs no more.
          const now = performance.now();
          if (now - last >= 100) {
            last = now;
            this.onIndexProgress?.({ done: Math.min(done, ctx.chats.size), total: ctx.chats.size, ready: false });
          }
        }
      };
      await Promise.all(Array.from({ length: INDEX_WORKERS }, worker));
      if (ctx.closed) return;
      this.onIndexProgress?.({ done: ctx.index.size, total: ctx.chats.size, ready: true });
    })().catch(() => {});
  }

  /** Resolves when the background (re)indexing started at open has finished. */
  whenIndexed(): Promise<void> {
    return this.indexing;
  }

  /** On close: the background indexing does not wait out its start delay. */
  stopWaiting(): void {
    this.stopDelay?.();
  }
}

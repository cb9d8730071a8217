// The chat store: owns the data directory (under an exclusive lock), one ChatLog per open chat,
// and a write queue per chat. Every public call validates its input with the shared zod schemas
// first, so bad input gets INVALID_INPUT and never reaches the disk.
import { randomUUID } from 'node:crypto';
import { basename, dirname, join, relative } from 'node:path';
import { z } from 'zod';
import {
  ChatId,
  CharacterId,
  Extra,
  CreateChatInput,
  FORMAT_NAME,
  FORMAT_VERSION,
  LoadOptions,
  SearchLimit,
  SearchQuery,
  Content,
  MessageId,
  MessagePatch,
  MessageStatus,
  NewMessageInput,
  LIMITS,
  Title,
  PREVIEW_CHARS,
  type ChatPage,
  type ChatSummary,
  type HeaderRecord,
  type Message,
  type MessageOp,
  type WriteOptions,
} from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { takeBackup } from '../durable/backups.ts';
import { ChatLog, HEADER_MAX, newChatMemo, type ChatMemo, type FileState } from './chat-log.ts';
import { ChatIndex, type IndexEntry, type IndexProgress } from './chat-index.ts';
import { compactedText, readFullState } from './compaction.ts';
import { atomicRewrite, errnoOf, fsyncDir, ioError, mkdirDurable } from '../durable/durable.ts';
import { nodeFs, type FsSeam } from '../durable/fs-seam.ts';
import { CHAT_FILE, Layout, REWRITE_TEMP } from './layout.ts';
import { LiveMessages } from './live.ts';
import { searchChatFile, type SearchResult } from './search.ts';
import { windowPage } from './window-page.ts';
import { DirLock } from './lock.ts';
import { quarantineBytes } from './quarantine.ts';
import { parseHeader, parseRecord, serialize } from './records.ts';
import type { ChatStore, ChatStoreOptions } from './types.ts';
import type { ValidationReport } from './validate.ts';
import type { BackupSummary, RepairResult, TrashedChat } from './recovery.ts';
import { logged, nullOpLog, type OpKind, type OpLogSink } from './oplog-sink.ts';
import { listChatBackups, listTrash, repairChatFile, restoreChatBackup, undeleteChatFile, validateChatFile, type RecoveryDeps } from './recovery.ts';
import { KeyedQueue } from './write-queue.ts';

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue?.path.length ? `${what}.${issue.path.join('.')}` : what;
  throw new StoreError('INVALID_INPUT', `${where}: ${issue?.message ?? 'invalid'}`, { field: where });
}

/** One record must stay loadable on its own: refuse anything larger before it reaches the disk. */
function assertRecordSize(rec: object, what: string): void {
  const bytes = Buffer.byteLength(JSON.stringify(rec));
  if (bytes > LIMITS.recordBytes) {
    throw new StoreError('TOO_LARGE', `${what} would be ${(bytes / 1048576).toFixed(1)} MiB; one message may hold at most ${LIMITS.recordBytes / 1048576} MiB with all its swipes`, { bytes, limit: LIMITS.recordBytes });
  }
}

const MAX_OPEN_LOGS = 64;
/** Chats summarised at once by the background indexing (well under MAX_OPEN_LOGS). */
const INDEX_WORKERS = 8;
/** The background indexing starts this long after open. */
const INDEX_START_DELAY_MS = 300;

/** A larger chat's app view is not kept in memory for a conflict copy, nor more than this in all. */
const MAX_VIEW_BYTES = 64 * 1024 * 1024;

export type DiscoveredChat =
  | { kind: 'listed'; summary: ChatSummary }
  | { kind: 'imported'; summary: ChatSummary; from: string }
  | { kind: 'known'; chatId: string }
  | { kind: 'legacy'; path: string; reason: string }
  | { kind: 'ignored'; reason: string };

/** A stored message as an append input (its id, time and swipes kept). */
export function toInput(m: Message): NewMessageInput {
  const input: NewMessageInput = { id: m.id, role: m.role, content: m.content, timestamp: m.timestamp };
  if (m.name !== undefined) input.name = m.name;
  if (m.swipes) {
    input.swipes = m.swipes;
    input.swipe_id = m.swipe_id ?? m.swipes.length - 1;
  }
  if (m.status !== undefined) input.status = m.status === 'streaming' ? 'interrupted' : m.status;
  if (m.extra !== undefined) input.extra = m.extra;
  return input;
}
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

/** Whether a stored, never-edited message is what this append input would have stored. */
function isSameMessage(stored: Message, input: NewMessageInput): boolean {
  if (stored.edited !== undefined) return false;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return (
    stored.role === input.role &&
    stored.content === input.content &&
    (input.timestamp === undefined || stored.timestamp === input.timestamp) &&
    stored.name === input.name &&
    stored.status === input.status &&
    same(stored.swipes, input.swipes) &&
    same(stored.extra, input.extra)
  );
}

/** Validates one new message's input, including the swipe rules zod cannot express. */
function checkNewMessage(message: unknown, what: string): NewMessageInput {
  const input = parse(NewMessageInput, message, what);
  if (input.swipes) {
    const sel = input.swipe_id ?? input.swipes.length - 1;
    if (sel >= input.swipes.length) throw new StoreError('INVALID_INPUT', `${what}.swipe_id: out of range`, { field: `${what}.swipe_id` });
    if (input.swipes[sel] !== input.content) throw new StoreError('INVALID_INPUT', `${what}.content must equal the selected swipe`, { field: `${what}.content` });
  } else if (input.swipe_id !== undefined) {
    throw new StoreError('INVALID_INPUT', `${what}.swipe_id needs swipes`, { field: `${what}.swipe_id` });
  }
  return input;
}

const WriteOptionsSchema = z.strictObject({ expectedRevision: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).optional() });

function parseOpts(opts: unknown): WriteOptions | undefined {
  return opts === undefined ? undefined : parse(WriteOptionsSchema, opts, 'options');
}

interface ChatLocation {
  characterId: string;
  path: string;
}

export async function openChatStore(options: ChatStoreOptions): Promise<ChatStore> {
  if (typeof options?.dataDir !== 'string' || options.dataDir.length === 0) throw new StoreError('INVALID_INPUT', 'dataDir is required');
  const fs = options.fs ?? nodeFs;
  const layout = new Layout(options.dataDir);
  try {
    // Private to the user (0700) when we create it; an existing folder keeps its mode.
    await mkdirDurable(layout.dataDir, { mode: 0o700, fs });
    await mkdirDurable(layout.chatsDir, { fs });
  } catch (e) {
    throw ioError(e, `creating the data directory ${options.dataDir}`);
  }
  const oplog = options.oplog ?? nullOpLog;
  const lock = await logged(oplog, 'lock', undefined, () => DirLock.acquire(layout.lockFile, options.lock));
  try {
    await removePartialCopies(fs, layout);
    const chats = await discoverChats(fs, layout);
    const index = new ChatIndex(fs, layout.indexFile, (id) => chats.get(id)?.path, options.indexFlushDelayMs);
    await checkIndex(fs, layout, chats, index);
    const store = new FileChatStore(fs, layout, lock, chats, options, index);
    store.startIndexing();
    return store;
  } catch (e) {
    await lock.release();
    throw ioError(e, 'opening the chat store');
  }
}

/** Backups and quarantine copies are written as `.partial` and renamed when durable: a crash leaves the partial. */
async function removePartialCopies(fs: FsSeam, layout: Layout): Promise<void> {
  for (const root of [layout.backupsRoot, layout.quarantineRoot]) {
    for (const sub of await fs.readdir(root).catch(() => [] as string[])) {
      const names = await fs.readdir(join(root, sub)).catch(() => [] as string[]);
      for (const name of names) if (name.endsWith('.partial')) await fs.unlink(join(root, sub, name)).catch(() => {});
    }
  }
}

/**
 * Loads the persisted index and keeps each entry whose file still has the size, inode and mtime
 * it recorded (one stat per chat, in parallel); every other chat is re-read (in the background, or
 * when it is listed). A missing or damaged index file keeps nothing.
 */
async function checkIndex(fs: FsSeam, layout: Layout, chats: Map<string, ChatLocation>, index: ChatIndex): Promise<void> {
  const persisted = await ChatIndex.read(fs, layout.indexFile);
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

/** Finds every chat file, and removes temp files left by rewrites a crash interrupted. */
async function discoverChats(fs: FsSeam, layout: Layout): Promise<Map<string, ChatLocation>> {
  const chats = new Map<string, ChatLocation>();
  for (const characterId of await fs.readdir(layout.chatsDir)) {
    if (!CharacterId.safeParse(characterId).success) continue;
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
      if (m) chats.set(m[1]!, { characterId, path: join(dir, name) });
    }
  }
  return chats;
}

class FileChatStore implements ChatStore {
  readonly dataDir: string;
  private readonly fs: FsSeam;
  private readonly layout: Layout;
  private readonly lock: DirLock;
  private readonly chats: Map<string, ChatLocation>;
  private readonly logs = new Map<string, ChatLog>();
  /** Survives the eviction of a chat's log (see ChatMemo). */
  private readonly memos = new Map<string, ChatMemo>();
  private closing: Promise<void> | undefined;
  private readonly queue = new KeyedQueue();
  private readonly retention: number;
  private readonly compactRatio: number;
  private readonly compactMinBytes: number;
  private readonly now: () => number;
  private closed = false;
  /** Messages this session stores as `streaming` (see live.ts). */
  private readonly live = new LiveMessages();
  private readonly oplog: OpLogSink;
  /** Every chat's summary (chat-index.ts); chats without an entry are being (re)indexed. */
  private readonly index: ChatIndex;
  private readonly onIndexProgress: ((p: IndexProgress) => void) | undefined;
  private indexing: Promise<void> = Promise.resolve();
  /** Ends the start delay of the background indexing at once (close must not wait for it). */
  private stopIndexingDelay: (() => void) | undefined;

  constructor(fs: FsSeam, layout: Layout, lock: DirLock, chats: Map<string, ChatLocation>, options: ChatStoreOptions, index: ChatIndex) {
    this.index = index;
    this.onIndexProgress = options.onIndexProgress;
    this.fs = fs;
    this.layout = layout;
    this.lock = lock;
    this.chats = chats;
    this.dataDir = layout.dataDir;
    this.retention = options.backupRetention ?? 5;
    this.compactRatio = options.compactRatio ?? 0.5;
    this.compactMinBytes = options.compactMinBytes ?? 64 * 1024;
    this.now = options.now ?? Date.now;
    this.oplog = options.oplog ?? nullOpLog;
  }

  private get recoveryDeps(): RecoveryDeps {
    return { fs: this.fs, layout: this.layout, retention: this.retention, now: this.now, oplog: this.oplog };
  }

  // ---- plumbing ----

  /** Runs `task` on the chat's write queue, once the store is open and the id valid; rejects, never throws. A `write` is fenced. */
  private onQueue<T>(chatId: unknown, task: (id: string) => Promise<T>, write = false): Promise<T> {
    if (this.closed) return Promise.reject(new StoreError('CLOSED', 'the chat store is closed'));
    let id: string;
    try {
      id = parse(ChatId, chatId, 'chatId');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queue.run(id, write ? this.fenced(() => task(id)) : () => task(id));
  }

  /**
   * A write, fenced by the data-folder lock (lock.ts): not started once the lock may be lost, and
   * acknowledged only if, after its data is durable, no other process can have taken the lock
   * over (free while the lock's lease runs). Otherwise LOCK_LOST, and it is not acknowledged.
   */
  private fenced<T>(task: () => Promise<T>): () => Promise<T> {
    return async () => {
      await this.lock.fence();
      const result = await task();
      await this.lock.fence();
      return result;
    };
  }

  whenLockLost(): Promise<StoreError> {
    return this.lock.lost;
  }

  /**
   * Runs a task on a chat's queue. A read (`revalidate`) first checks that the open log still
   * matches the file at the path, so a file replaced or changed outside the app is re-read rather
   * than served from memory; a write checks the same itself, and refuses (ChatLog.append).
   */
  private onChat<T>(chatId: unknown, task: (log: ChatLog, chatId: string) => Promise<T>, revalidate = false, op?: OpKind): Promise<T> {
    return this.onQueue(chatId, async (id) => {
      const log = await this.log(id, revalidate);
      const t0 = op ? performance.now() : 0;
      const size0 = log.size;
      const warned = this.memos.get(id)?.warnings.length ?? 0;
      try {
        const r = await task(log, id);
        if (op) this.oplog.record({ op, chatId: id, bytes: log.size - size0, durationMs: performance.now() - t0, outcome: 'ok' });
        if (!revalidate) this.noteOwnWrite(id);
        return r;
      } catch (e) {
        if (op) this.oplog.record({ op, chatId: id, durationMs: performance.now() - t0, outcome: 'error', code: e instanceof StoreError ? e.code : 'ERROR' });
        if (log.stale) await this.changedOutside(id, log);
        // After a failed write the file may hold bytes we did not account for: re-read it next time.
        const revisionConflict = e instanceof StoreError && e.details?.reason === 'revision';
        if (log.stale || !(e instanceof StoreError) || (['IO_ERROR', 'DISK_FULL', 'CONFLICT', 'INTERNAL'].includes(e.code) && !revisionConflict)) await this.forget(id);
        // A chat that cannot be read now is listed as unreadable until it can be again.
        if (e instanceof StoreError && e.code === 'IO_ERROR') this.index.delete(id);
        if (log.stale) {
          this.memos.get(id)?.quarantined.clear(); // offsets may now name other lines
          await this.dropIfGone(id);
        }
        throw ioError(e, `chat ${id}`);
      } finally {
        this.logQuarantines(id, warned);
        await this.evictIdleLogs(id);
      }
    }, !revalidate);
  }

  /** Quarantine copies made by the lazy reader show up as new warnings: one record each. */
  private logQuarantines(chatId: string, from: number): void {
    const ws = this.memos.get(chatId)?.warnings ?? [];
    for (let i = from; i < ws.length; i++) if (ws[i]!.quarantinePath) this.oplog.record({ op: 'quarantine', chatId, durationMs: 0, outcome: 'ok', detail: { kind: ws[i]!.kind, offset: ws[i]!.offset ?? -1 } });
  }

  /** A chat whose file was deleted outside the app leaves the store's list of chats. */
  private async dropIfGone(chatId: string): Promise<boolean> {
    const loc = this.chats.get(chatId);
    if (!loc) return true;
    const gone = await this.fs.stat(loc.path).then(
      () => false,
      (e: unknown) => errnoOf(e) === 'ENOENT',
    );
    if (gone) {
      await this.forget(chatId);
      this.chats.delete(chatId);
      this.memos.delete(chatId);
      this.index.delete(chatId);
    }
    return gone;
  }

  private async log(chatId: string, revalidate = false): Promise<ChatLog> {
    const open = this.logs.get(chatId);
    if (open) {
      const state = revalidate ? await open.pathState() : 'same';
      if (state === 'same') {
        this.logs.delete(chatId); // re-insert: Map order is the LRU order
        this.logs.set(chatId, open);
        return open;
      }
      // Changed outside the app: drop what memory holds and read the file anew.
      await this.changedOutside(chatId, open);
      await this.forget(chatId);
      this.index.delete(chatId);
      this.memos.get(chatId)?.quarantined.clear(); // offsets may now name other lines
      if (state === 'gone' && (await this.dropIfGone(chatId))) {
        throw new StoreError('NOT_FOUND', `chat ${chatId} was deleted outside the app`, { chatId });
      }
    }
    const loc = this.chats.get(chatId);
    if (!loc) throw new StoreError('NOT_FOUND', `chat ${chatId} does not exist`, { chatId });
    let memo = this.memos.get(chatId);
    if (!memo) this.memos.set(chatId, (memo = newChatMemo()));
    // Without the lock this process reads on, but never cuts a torn tail: the file is another's now.
    if (!(await this.lock.holds())) memo.external = true;
    const log = await logged(this.oplog, 'open', chatId, () => ChatLog.open(this.fs, chatId, loc.characterId, loc.path, this.layout.quarantineDir(chatId), memo), (l) => l.size).catch(async (e: unknown) => {
      // A chat that cannot be read now (EIO, EACCES) is listed as unreadable until it can be again.
      if (e instanceof StoreError && e.code === 'IO_ERROR') this.index.delete(chatId);
      // Deleted outside the app while no log was open: not an unreadable chat, a missing one.
      if (e instanceof StoreError && e.details?.errno === 'ENOENT' && (await this.dropIfGone(chatId))) {
        throw new StoreError('NOT_FOUND', `chat ${chatId} was deleted outside the app`, { chatId });
      }
      throw e;
    });
    this.logs.set(chatId, log);
    return log;
  }

  /** Bounds open files and index memory: the least recently used idle chats are closed. */
  private async evictIdleLogs(current: string): Promise<void> {
    for (const id of this.logs.keys()) {
      if (this.logs.size <= MAX_OPEN_LOGS) return;
      if (id !== current && !this.queue.busy(id)) await this.forget(id);
    }
  }

  private async forget(chatId: string): Promise<void> {
    const log = this.logs.get(chatId);
    this.logs.delete(chatId);
    await log?.close();
  }

  private async summarize(log: ChatLog): Promise<ChatSummary> {
    const base = { chatId: log.chatId, characterId: log.characterId, sizeBytes: log.size, revision: log.revision };
    if (log.status === 'corrupt' || !log.header) {
      return { ...base, title: `Unreadable chat (${log.chatId.slice(0, 8)})`, messageCount: 0, created: 0, updated: 0, preview: null, status: 'corrupt' };
    }
    const s = await log.stats();
    return { ...base, title: log.title ?? log.header.title, messageCount: s.messageCount, created: log.header.timestamp, updated: s.updated, preview: s.preview, status: log.status };
  }

  // ---- the chat index ----

  /** The index entry, if it describes exactly the file this log has open. */
  private currentEntry(log: ChatLog): IndexEntry | undefined {
    const e = this.index.get(log.chatId);
    const id = log.identity;
    return e && e.file.ino === id.ino && e.file.size === id.size && e.summary.revision === log.revision ? e : undefined;
  }

  /** The chat's summary: from the index when current, else computed from the log (a full index of it) and recorded. */
  private async summaryOf(log: ChatLog): Promise<ChatSummary> {
    const cur = this.currentEntry(log);
    if (cur) return { ...cur.summary };
    const summary = await this.summarize(log);
    const last = summary.status === 'corrupt' ? null : await log.newest().catch(() => null);
    this.index.set({ summary, lastId: last?.id ?? null, lastStamp: last ? (last.edited ?? last.timestamp) : 0, file: log.identity });
    return { ...summary };
  }

  /**
   * After a write: the entry that was current before it is updated in O(1) (no scan; the preview is
   * re-read only when the newest message itself changed). Without one, the entry is dropped and
   * recomputed when next needed.
   */
  private async noteWrite(log: ChatLog, before: IndexEntry | undefined, w: { added?: Message[]; touched?: string; removed?: string; title?: string; timestamp: number }): Promise<void> {
    if (!before) {
      this.index.delete(log.chatId);
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
        this.index.delete(log.chatId);
        return;
      }
      lastId = last?.id ?? null;
      lastStamp = last ? (last.edited ?? last.timestamp) : 0;
      summary.preview = last ? last.content.slice(0, PREVIEW_CHARS) : null;
    }
    // As summarize computes it from the file: the header's times, the last record's, the newest message's.
    summary.updated = Math.max(log.header?.timestamp ?? 0, log.header?.updated ?? 0, w.timestamp, lastStamp);
    this.index.set({ summary, lastId, lastStamp, file: log.identity });
  }

  /** A stale `expectedRevision` is refused before anything is written. */
  private checkRevision(log: ChatLog, opts: WriteOptions | undefined): void {
    const expected = opts?.expectedRevision;
    if (expected === undefined || expected === log.revision) return;
    throw new StoreError('CONFLICT', `chat ${log.chatId} changed since revision ${expected} (it is at ${log.revision}); nothing was saved. Reload and try again`, {
      chatId: log.chatId,
      reason: 'revision',
      revision: log.revision,
      expectedRevision: expected,
    });
  }

  /** Computes the entry of every chat that has none, one chat at a time, in the background. */
  startIndexing(): void {
    const missing = [...this.chats.keys()].filter((id) => !this.index.get(id));
    const total = this.chats.size;
    this.onIndexProgress?.({ done: total - missing.length, total, ready: missing.length === 0 });
    if (missing.length === 0) return;
    this.indexing = (async () => {
      // The first window's own requests go first: its chat's newest page is not queued behind a
      // full scan of some big chat (a listing summarises its character's missing chats itself).
      await new Promise<void>((r) => {
        const timer = setTimeout(r, INDEX_START_DELAY_MS);
        this.stopIndexingDelay = () => {
          clearTimeout(timer);
          r();
        };
      });
      this.stopIndexingDelay = undefined;
      let done = total - missing.length;
      let last = 0;
      let next = 0;
      // A few chats at a time: reading a small chat is mostly waiting for the disk (open, stat, reads).
      const worker = async () => {
        while (next < missing.length) {
          const id = missing[next++]!;
          // Let requests in between chats (a listing, the first window's chat), without a macrotask per chat.
          if (next % 16 === 0) await new Promise<void>((r) => setImmediate(r));
          if (this.closed) return;
          if (!this.index.get(id) && this.chats.has(id)) await this.indexOne(id);
          done++;
          // At most every 100 ms (and at the end): a progress bar needs no more.
          const now = performance.now();
          if (now - last >= 100) {
            last = now;
            this.onIndexProgress?.({ done: Math.min(done, this.chats.size), total: this.chats.size, ready: false });
          }
        }
      };
      await Promise.all(Array.from({ length: INDEX_WORKERS }, worker));
      if (this.closed) return;
      this.onIndexProgress?.({ done: this.index.size, total: this.chats.size, ready: true });
    })().catch(() => {});
  }

  /** One chat's summary into the index; an unreadable chat (EACCES, EIO) gets a summary saying so, unindexed. */
  private indexOne(chatId: string): Promise<ChatSummary | null> {
    return this.onChat(chatId, (log) => this.summaryOf(log), true).catch((e) => this.unreadableSummary(chatId, e));
  }

  /** Resolves when the background (re)indexing started at open has finished. */
  whenIndexed(): Promise<void> {
    return this.indexing;
  }

  // ---- chats ----

  async createChat(input: CreateChatInput): Promise<ChatSummary> {
    if (this.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    const { characterId, title, metadata } = parse(CreateChatInput, input, 'input');
    const chatId = randomUUID();
    const created = this.now();
    const header: HeaderRecord = {
      format: FORMAT_NAME,
      version: FORMAT_VERSION,
      chat_id: chatId,
      character_id: characterId,
      timestamp: created,
      title: title ?? `Chat ${new Date(created).toISOString().slice(0, 16).replace('T', ' ')}`,
      metadata: metadata ?? {},
    };
    assertRecordSize(header, 'the chat header');
    const path = this.layout.chatFile(characterId, chatId);
    return this.queue.run(chatId, this.fenced(async () => {
      try {
        await mkdirDurable(this.layout.characterDir(characterId), { fs: this.fs });
        await logged(this.oplog, 'rewrite', chatId, () => atomicRewrite(this.fs, path, serialize(header)), () => Buffer.byteLength(serialize(header)));
      } catch (e) {
        throw ioError(e, 'creating the chat');
      }
      this.chats.set(chatId, { characterId, path });
      const summary = await this.summaryOf(await this.log(chatId));
      this.noteOwnWrite(chatId);
      return summary;
    }));
  }

  // ---- changes made outside the app (the watcher calls these; see electron/watcher/) ----

  /** File state after each of the store's own writes: a watcher event for exactly this state is our own. */
  private readonly written = new Map<string, FileState>();
  /** The app's view of a chat (its bytes as last read or written) kept when the file changed outside the app. */
  private readonly views = new Map<string, Buffer>();

  private noteOwnWrite(chatId: string): void {
    const log = this.logs.get(chatId);
    if (!log) return;
    this.written.set(chatId, log.fileState());
    const memo = this.memos.get(chatId);
    if (memo) memo.external = false; // the app wrote last again
  }

  /** The path no longer holds what the log read: keep the app's view (for a conflict copy), and never truncate what another program wrote. */
  private async changedOutside(chatId: string, log: ChatLog): Promise<void> {
    const memo = this.memos.get(chatId);
    if (memo) memo.external = true;
    if (this.views.has(chatId)) return;
    const bytes = await log.ownBytes().catch(() => null);
    if (!bytes || bytes.length > MAX_VIEW_BYTES) return;
    this.views.set(chatId, bytes);
    // Bounded: the oldest kept views go first (the watcher takes or drops each within moments).
    let total = 0;
    for (const b of this.views.values()) total += b.length;
    for (const [id, b] of this.views) {
      if (total <= MAX_VIEW_BYTES) break;
      this.views.delete(id);
      total -= b.length;
    }
  }

  chatIdForPath(path: string): string | null {
    // A chat file is named by its id: one lookup (the watcher asks for every file at start-up).
    const id = CHAT_FILE.exec(basename(path))?.[1];
    return id !== undefined && this.chats.get(id)?.path === path ? id : null;
  }

  isOwnState(chatId: string, st: { dev: bigint | number; ino: bigint | number; size: bigint | number; mtimeNs?: bigint }): boolean {
    const w = this.written.get(chatId);
    if (w === undefined || BigInt(st.dev) !== w.dev || BigInt(st.ino) !== w.ino || Number(st.size) !== w.size) return false;
    // Same file, same size: an in-place edit of the same length still moves the mtime.
    return st.mtimeNs === undefined || (w.mtimeNs !== -1n && st.mtimeNs === w.mtimeNs);
  }

  async isOwnStateNow(chatId: string): Promise<boolean> {
    const id = parse(ChatId, chatId, 'chatId');
    const loc = this.chats.get(id);
    if (!loc || this.closed) return false;
    // On the chat's queue: no write of ours is half-done while we compare.
    return this.queue.run(id, async () => {
      const st = await this.fs.stat(loc.path, { bigint: true }).catch(() => null);
      return st !== null && this.isOwnState(id, st);
    });
  }

  /**
   * Re-reads one chat after a change outside the app (the watcher calls this): a chat file that is
   * gone leaves the list (null); a new one joins it when its character is given (else null); a
   * changed one is re-read, its tail never cut (the store did not write it), and its index entry
   * recomputed from the file.
   */
  async refreshChat(chatId: string, characterId?: string): Promise<ChatSummary | null> {
    const id = parse(ChatId, chatId, 'chatId');
    const ch = characterId === undefined ? undefined : parse(CharacterId, characterId, 'characterId');
    if (this.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    return this.queue.run(id, async () => {
      if (!this.chats.has(id)) {
        if (ch === undefined) return null;
        const path = this.layout.chatFile(ch, id);
        if (!(await this.fs.stat(path).then(() => true, () => false))) return null;
        this.chats.set(id, { characterId: ch, path });
      }
      const open = this.logs.get(id);
      if (open && (await open.pathState().catch(() => 'gone' as const)) !== 'same') await this.changedOutside(id, open);
      await this.forget(id);
      this.index.delete(id);
      const memo = this.memos.get(id);
      memo?.quarantined.clear(); // offsets may now name other lines
      // refreshChat is called for a change the store did not make: never truncate that file's tail.
      if (memo) memo.external = true;
      else this.memos.set(id, { ...newChatMemo(), external: true });
      this.views.delete(id);
      if (await this.dropIfGone(id)) return null;
      if (!this.chats.has(id)) return null;
      try {
        return await this.summaryOf(await this.log(id));
      } catch (e) {
        return this.unreadableSummary(id, e);
      } finally {
        await this.evictIdleLogs(id);
      }
    });
  }

  async appView(chatId: string): Promise<{ title: string; characterId: string; messages: Message[] } | null> {
    const id = parse(ChatId, chatId, 'chatId');
    return this.queue.run(id, async () => {
      let bytes = this.views.get(id);
      const open = this.logs.get(id);
      if (!bytes && open) bytes = await open.ownBytes().catch(() => undefined);
      if (!bytes) return null;
      const state = readFullState(bytes);
      return 'error' in state ? null : { title: state.header.title, characterId: state.header.character_id, messages: state.messages };
    });
  }

  async forgetIfGone(chatId: string): Promise<boolean> {
    const id = parse(ChatId, chatId, 'chatId');
    return this.queue.run(id, async () => {
      if (!this.chats.has(id)) return false; // not listed (deleted by the app itself meanwhile)
      const gone = await this.dropIfGone(id);
      if (gone) {
        this.written.delete(id);
        this.views.delete(id);
      }
      return gone;
    });
  }

  async discoverChat(path: string): Promise<DiscoveredChat> {
    if (this.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    const characterId = basename(dirname(path));
    if (dirname(dirname(path)) !== this.layout.chatsDir || !CharacterId.safeParse(characterId).success) return { kind: 'ignored', reason: 'not in a character folder' };
    const name = basename(path);
    if (!name.endsWith('.jsonl') || REWRITE_TEMP.test(name)) return { kind: 'ignored', reason: 'not a chat file' };
    const known = this.chatIdForPath(path);
    if (known) return { kind: 'known', chatId: known };
    let buf: Buffer;
    try {
      buf = await this.fs.readFile(path);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return { kind: 'ignored', reason: 'gone' };
      throw ioError(e, `reading ${name}`);
    }
    const state = readFullState(buf);
    if ('error' in state) return { kind: 'legacy', path, reason: state.error };
    const m = CHAT_FILE.exec(name);
    if (m && state.header.chat_id === m[1]) {
      // On the chat's queue: a createChat of our own registers its path there, after its rename.
      const chatId = m[1]!;
      const listed = await this.queue.run(chatId, async () => {
        if (this.chats.get(chatId)?.path === path) return 'known' as const;
        if (this.chats.has(chatId)) return 'taken' as const;
        this.chats.set(chatId, { characterId, path }); // a chat file copied in as it is: list it
        return 'listed' as const;
      });
      if (listed === 'known') return { kind: 'known', chatId };
      if (listed === 'listed') return { kind: 'listed', summary: await this.getChat(chatId) };
    }
    // A sync tool's conflict copy, or a copy whose id is taken: import its content into a new chat; the file stays as it is.
    const summary = await this.createChat({ characterId, title: `${state.header.title} (from ${name})`.slice(0, LIMITS.titleChars), metadata: { imported_from: name } });
    const messages = state.messages.map((msg) => toInput(msg));
    for (let i = 0; i < messages.length; i += 500) await this.appendMessages(summary.chatId, messages.slice(i, i + 500));
    return { kind: 'imported', summary: await this.getChat(summary.chatId), from: name };
  }

  async listChats(characterId: string): Promise<ChatSummary[]> {
    if (this.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    const id = parse(CharacterId, characterId, 'characterId');
    const out: ChatSummary[] = [];
    const check: Promise<void>[] = [];
    for (const [chatId, loc] of this.chats) {
      if (loc.characterId !== id) continue;
      const e = this.index.get(chatId);
      // Served from the index; one stat per chat notices a file changed or deleted outside the app
      // (chats not indexed yet are summarised now, before the listing returns).
      check.push(
        (async () => {
          if (e?.file.ino !== undefined) {
            const st = await this.fs.stat(loc.path, { bigint: true }).catch(() => null);
            if (st && Number(st.size) === e.file.size && String(st.ino) === e.file.ino) {
              out.push({ ...e.summary });
              return;
            }
          }
          // A chat that cannot even be opened (EACCES, EIO) is still listed, never hidden.
          const summary = await this.indexOne(chatId);
          if (summary) out.push(summary); // null: deleted while we listed
        })(),
      );
    }
    await Promise.all(check);
    return out.sort((a, b) => b.updated - a.updated || (a.chatId < b.chatId ? -1 : 1));
  }

  /**
   * Every chat of every character, from the index. It waits for the background indexing started at
   * open (a missing or damaged index: progress via `onIndexProgress`), then serves the index as it
   * is, without checking the files (the watcher keeps it current through refreshChat).
   */
  async listAllChats(): Promise<ChatSummary[]> {
    if (this.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    await this.indexing;
    const out: ChatSummary[] = [];
    for (const [chatId] of this.chats) {
      const e = this.index.get(chatId);
      const summary = e ? { ...e.summary } : await this.indexOne(chatId);
      if (summary) out.push(summary);
    }
    return out.sort((a, b) => b.updated - a.updated || (a.chatId < b.chatId ? -1 : 1));
  }

  private unreadableSummary(chatId: string, e: unknown): ChatSummary | null {
    if (e instanceof StoreError && e.code === 'NOT_FOUND') return null;
    if (!(e instanceof StoreError) || e.code === 'CLOSED') throw e;
    const loc = this.chats.get(chatId);
    return { chatId, characterId: loc?.characterId ?? '', title: `Unreadable chat (${chatId.slice(0, 8)})`, messageCount: 0, created: 0, updated: 0, preview: null, status: 'corrupt', sizeBytes: 0, revision: 0 };
  }

  async getChat(chatId: string): Promise<ChatSummary> {
    return this.onChat(chatId, (log) => this.summaryOf(log), true);
  }

  async loadChat(chatId: string, options: LoadOptions = {}): Promise<ChatPage> {
    const opts = parse(LoadOptions, options, 'options');
    return this.onChat(chatId, async (log) => {
      const header = log.assertReadable();
      const anchor = opts.around ?? opts.after;
      const { messages, hasMore, hasNewer } = anchor === undefined
        ? { ...(await log.page(opts.limit ?? 50, opts.before)), hasNewer: undefined }
        : await windowPage(this.fs, log.path, log.size, log.chatId, anchor, opts.limit ?? 50, opts.around !== undefined ? 'around' : 'after');
      // The header record as written at creation; the current title is in the summary (getChat).
      // Quarantine paths are given relative to the data directory: absolute paths stay in main.
      const warnings = log.warnings.map((w) => (w.quarantinePath ? { ...w, quarantinePath: relative(this.dataDir, w.quarantinePath) } : { ...w }));
      for (const m of messages) this.live.present(log.chatId, m);
      return { header: structuredClone(header), messages, hasMore, ...(hasNewer !== undefined ? { hasNewer } : {}), readOnly: log.status !== 'ok', warnings, revision: log.revision };
    }, true);
  }

  async searchChat(chatId: string, query: string, limit?: number): Promise<SearchResult> {
    const q = parse(SearchQuery, query, 'query');
    const n = parse(SearchLimit.optional(), limit, 'limit');
    // Revalidated like a load: a search must see what is in the file now.
    return this.onChat(chatId, (log) => {
      log.assertReadable();
      return searchChatFile(this.fs, log.path, log.size, q, n);
    }, true);
  }

  async renameChat(chatId: string, title: string, opts?: WriteOptions): Promise<ChatSummary> {
    const t = parse(Title, title, 'title');
    return this.onChat(chatId, async (log) => {
      this.checkRevision(log, parseOpts(opts));
      const before = this.currentEntry(log);
      const timestamp = this.now();
      await log.appendMeta({ op: 'meta', timestamp, title: t });
      await this.noteWrite(log, before, { title: t, timestamp });
      return this.summaryOf(log);
    }, false, 'append');
  }

  async deleteChat(chatId: string, opts?: WriteOptions): Promise<void> {
    return this.onChat(chatId, async (log, id) => {
      this.checkRevision(log, parseOpts(opts));
      const trash = this.layout.trashDir(log.characterId);
      const target = join(trash, `${id}.${this.now()}.jsonl`);
      await this.forget(id);
      await mkdirDurable(trash, { fs: this.fs });
      try {
        await this.fs.rename(log.path, target);
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT' || !(await this.dropIfGone(id))) throw e;
        throw new StoreError('NOT_FOUND', `chat ${id} was already deleted outside the app`, { chatId: id });
      }
      // The new entry first: a power cut between the two fsyncs leaves the chat in both places, never in neither.
      await fsyncDir(trash);
      await fsyncDir(this.layout.characterDir(log.characterId));
      this.chats.delete(id);
      this.memos.delete(id);
      this.index.delete(id);
      this.live.forgetChat(id);
    }, false, 'rename');
  }

  // ---- messages ----

  async appendMessage(chatId: string, message: NewMessageInput, opts?: WriteOptions): Promise<Message> {
    let input: NewMessageInput;
    let o: WriteOptions | undefined;
    try {
      input = checkNewMessage(message, 'message');
      o = parseOpts(opts);
    } catch (e) {
      return Promise.reject(e);
    }
    return this.onChat(chatId, async (log, id) => {
      this.checkRevision(log, o);
      if (input.id !== undefined && (await log.hasId(input.id))) {
        // A retry of an append that did land (the answer was lost) gets the stored message back;
        // anything else with a used id is a conflict: ids are never reused.
        const stored = await log.message(input.id).catch((e: unknown) => {
          if (e instanceof StoreError && e.code === 'NOT_FOUND') return null; // deleted: the id stays used
          throw e;
        });
        if (stored && isSameMessage(stored, input)) return this.live.present(id, stored);
        throw new StoreError('CONFLICT', `message ${input.id} already exists in chat ${id}; ids are never reused`, { chatId: id, messageId: input.id });
      }
      const msg = this.newMessage(input);
      assertRecordSize(msg, 'this message');
      const before = this.currentEntry(log);
      await log.appendMessage(msg);
      await this.noteWrite(log, before, { added: [msg], timestamp: msg.timestamp });
      this.live.note(id, msg);
      return this.live.present(id, structuredClone(msg));
    }, false, 'append');
  }

  private newMessage(input: NewMessageInput): Message {
    const msg: Message = { id: input.id ?? randomUUID(), role: input.role, content: input.content, timestamp: input.timestamp ?? this.now() };
    if (input.name !== undefined) msg.name = input.name;
    if (input.swipes) {
      msg.swipes = input.swipes;
      msg.swipe_id = input.swipe_id ?? input.swipes.length - 1;
    }
    if (input.status !== undefined) msg.status = input.status;
    if (input.extra !== undefined) msg.extra = input.extra;
    return msg;
  }

  /**
   * Many messages as one write and one fdatasync (imports, fixtures). Every message is validated,
   * and every id checked, before anything is written: all of them are stored, or none.
   */
  async appendMessages(chatId: string, messages: NewMessageInput[], opts?: WriteOptions): Promise<Message[]> {
    let inputs: NewMessageInput[];
    let o: WriteOptions | undefined;
    try {
      o = parseOpts(opts);
      if (!Array.isArray(messages) || messages.length === 0) throw new StoreError('INVALID_INPUT', 'messages: a non-empty array is required', { field: 'messages' });
      inputs = messages.map((m, i) => checkNewMessage(m, `messages.${i}`));
      const ids = inputs.flatMap((m) => (m.id === undefined ? [] : [m.id]));
      if (new Set(ids).size !== ids.length) throw new StoreError('INVALID_INPUT', 'messages: an id appears twice in the batch', { field: 'messages' });
    } catch (e) {
      return Promise.reject(e);
    }
    return this.onChat(chatId, async (log, id) => {
      this.checkRevision(log, o);
      for (const m of inputs) {
        if (m.id !== undefined && (await log.hasId(m.id))) throw new StoreError('CONFLICT', `message ${m.id} already exists in chat ${id}; ids are never reused; nothing was written`, { chatId: id, messageId: m.id });
      }
      const msgs = inputs.map((m) => this.newMessage(m));
      msgs.forEach((m, i) => assertRecordSize(m, `messages.${i}`));
      // One write is held in memory whole: bound it (a bigger import is split by the caller).
      const bytes = msgs.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)) + 1, 0);
      if (bytes > MAX_BATCH_BYTES) throw new StoreError('TOO_LARGE', `this batch would be ${(bytes / 1048576).toFixed(1)} MiB; one batch may hold at most ${MAX_BATCH_BYTES / 1048576} MiB`, { bytes, limit: MAX_BATCH_BYTES });
      const before = this.currentEntry(log);
      await log.appendMessages(msgs);
      await this.noteWrite(log, before, { added: msgs, timestamp: msgs.at(-1)!.timestamp }); // the last record's time
      for (const m of msgs) this.live.note(id, m);
      return msgs.map((m) => this.live.present(id, structuredClone(m)));
    }, false, 'append');
  }

  /**
   * Appends text to a message's selected swipe with one `append_text` record (a streamed reply's
   * checkpoint writes only its new text), optionally setting its status in the same write.
   */
  async appendText(chatId: string, messageId: string, text: string, status?: Message['status'], opts?: WriteOptions): Promise<Message> {
    const mid = parse(MessageId, messageId, 'messageId');
    const t = parse(Content, text, 'text');
    const s = status === undefined ? undefined : parse(MessageStatus, status, 'status');
    const o = parseOpts(opts);
    return this.onChat(chatId, async (log, id) => {
      this.checkRevision(log, o);
      // As the app sees it: a dead process's `streaming` is `interrupted`, and a change keeps it so.
      const current = this.live.present(id, await log.message(mid));
      const timestamp = this.now();
      const next: Message = { ...current, content: current.content + t, edited: timestamp };
      if (current.swipes && current.swipe_id !== undefined) next.swipes = current.swipes.map((x, i) => (i === current.swipe_id ? next.content : x));
      if (next.content.length > LIMITS.contentChars) throw new StoreError('TOO_LARGE', `message ${mid} would exceed ${LIMITS.contentChars} characters`, { field: 'text' });
      if (s !== undefined) next.status = s;
      assertRecordSize(next, 'this message');
      const before = this.currentEntry(log);
      await log.appendChange({ op: 'append_text', id: mid, timestamp, text: t, ...(s !== undefined ? { status: s } : {}) }, next);
      await this.noteWrite(log, before, { touched: mid, timestamp });
      this.live.note(id, next);
      return this.live.present(id, structuredClone(next));
    }, false, 'append');
  }

  async updateMessage(chatId: string, messageId: string, patch: MessagePatch, opts?: WriteOptions): Promise<Message> {
    const mid = parse(MessageId, messageId, 'messageId');
    const p = parse(MessagePatch, patch, 'patch');
    const o = parseOpts(opts);
    return this.onChat(chatId, async (log) => {
      this.checkRevision(log, o);
      // As the app sees it: a dead process's `streaming` is `interrupted`, and an edit keeps it so.
      const current = this.live.present(log.chatId, await log.message(mid));
      const next: Message = { ...current, ...(current.swipes ? { swipes: [...current.swipes] } : {}) };
      const timestamp = this.now();
      let op: MessageOp;
      if (p.addSwipe !== undefined) {
        const swipes = current.swipes ?? [current.content];
        if (swipes.length >= 1000) throw new StoreError('TOO_LARGE', 'a message can hold at most 1000 swipes');
        op = { op: 'swipe_add', id: mid, timestamp, content: p.addSwipe };
        if (p.status !== undefined) next.status = op.status = p.status;
        next.swipes = [...swipes, p.addSwipe];
        next.swipe_id = next.swipes.length - 1;
        next.content = p.addSwipe;
      } else if (p.selectSwipe !== undefined) {
        const text = current.swipes?.[p.selectSwipe];
        if (text === undefined) throw new StoreError('INVALID_INPUT', `patch.selectSwipe: message has ${current.swipes?.length ?? 1} swipe(s)`, { field: 'patch.selectSwipe' });
        op = { op: 'swipe_select', id: mid, timestamp, index: p.selectSwipe };
        next.swipe_id = p.selectSwipe;
        next.content = text;
      } else {
        op = { op: 'edit', id: mid, timestamp };
        if (p.content !== undefined) {
          op.content = p.content;
          next.content = p.content;
          if (next.swipes && next.swipe_id !== undefined) next.swipes[next.swipe_id] = p.content;
        }
        if (p.status !== undefined) next.status = op.status = p.status;
        if (p.name !== undefined) next.name = op.name = p.name;
        if (p.extra !== undefined) {
          op.extra = p.extra;
          next.extra = { ...current.extra, ...p.extra };
        }
      }
      next.edited = timestamp;
      // The merged state is what compaction will write as one line: it must stay valid and loadable.
      if (next.extra !== undefined && !Extra.safeParse(next.extra).success) {
        throw new StoreError('TOO_LARGE', `the merged extra of message ${mid} would exceed ${LIMITS.extraJsonChars} characters`, { field: 'patch.extra' });
      }
      assertRecordSize(next, 'this message');
      const before = this.currentEntry(log);
      await log.appendChange(op, next);
      await this.noteWrite(log, before, { touched: mid, timestamp });
      this.live.note(log.chatId, next);
      return this.live.present(log.chatId, structuredClone(next));
    }, false, 'append');
  }

  async deleteMessage(chatId: string, messageId: string, opts?: WriteOptions): Promise<void> {
    const mid = parse(MessageId, messageId, 'messageId');
    const o = parseOpts(opts);
    return this.onChat(chatId, async (log) => {
      this.checkRevision(log, o);
      await log.message(mid);
      const before = this.currentEntry(log);
      const timestamp = this.now();
      await log.appendChange({ op: 'delete', id: mid, timestamp }, null);
      await this.noteWrite(log, before, { removed: mid, timestamp });
    }, false, 'append');
  }

  // ---- import ----

  /**
   * A whole new chat (header + every message) in one atomic, verified write: all or nothing.
   * Every message is validated first (INVALID_INPUT names its index); a chosen chatId that
   * exists already is a CONFLICT, so a re-import of the same source creates nothing.
   */
  async importChat(input: import('./import-chat.ts').ImportChatInput): Promise<ChatSummary> {
    if (this.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    const { prepareImport } = await import('./import-chat.ts'); // loaded only by callers that import
    // Checked again while queueing: a close() that began while the module loaded waits only for what is queued.
    if (this.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    const prepared = prepareImport(input);
    const { chat_id: chatId, character_id: characterId } = prepared.header;
    const path = this.layout.chatFile(characterId, chatId);
    return this.queue.run(chatId, this.fenced(async () => {
      if (this.chats.has(chatId)) throw new StoreError('CONFLICT', `chat ${chatId} already exists`, { chatId });
      try {
        await mkdirDurable(this.layout.characterDir(characterId), { fs: this.fs });
        await atomicRewrite(this.fs, path, prepared.data);
      } catch (e) {
        throw ioError(e, 'importing the chat');
      }
      this.chats.set(chatId, { characterId, path });
      // Its index entry is computed when it is first listed (a summary of what was just written).
      const { header, messageCount, preview, updated } = prepared;
      // The revision rule of ChatLog: the bytes after the header line (a new file has no revision_base).
      const revision = prepared.data.length - (prepared.data.indexOf(0x0a) + 1);
      return { chatId, characterId, title: header.title, messageCount, created: header.timestamp, updated, preview, status: 'ok', sizeBytes: prepared.data.length, revision };
    }));
  }

  // ---- rewrites ----

  async compactChat(chatId: string, opts?: WriteOptions): Promise<ChatSummary> {
    const o = parseOpts(opts);
    return this.onChat(chatId, async (log, id) => {
      this.checkRevision(log, o);
      await this.compact(log, id);
      return this.summaryOf(await this.log(id));
    });
  }

  /** Backup first, quarantine what cannot be carried over, then an atomic, verified rewrite. */
  private async compact(log: ChatLog, id: string): Promise<void> {
    log.assertReadable();
    if (log.status !== 'ok') throw new StoreError('READ_ONLY', `chat ${id} is read-only: ${log.statusReason}`);
    const buf = await this.fs.readFile(log.path);
    const state = readFullState(buf);
    if ('error' in state) throw new StoreError('CORRUPT', `chat ${id} cannot be compacted: ${state.error}`);
    // The rewrite is a write: its revision is one more than the file's now (revision_base in the header).
    const revision = log.revision + 1;
    const text = compactedText(state, revision);
    // Never replace a file with one our own reader would reject.
    const [headerLine = '', ...records] = text.split('\n').slice(0, -1);
    const header = parseHeader(headerLine);
    if (!header.ok || Buffer.byteLength(headerLine) >= HEADER_MAX) {
      throw new StoreError('TOO_LARGE', `chat ${id} cannot be compacted: its header would be ${header.ok ? 'larger than 1 MiB' : 'invalid'}; the file was left as it was`);
    }
    for (const line of records) {
      const rec = parseRecord(line);
      if (rec.kind === 'invalid') throw new StoreError('INTERNAL', `compaction of chat ${id} produced an invalid line (${rec.reason}); the file was left as it was`);
    }
    for (const bad of state.invalid) await quarantineBytes(this.fs, this.layout.quarantineDir(id), bad.offset, bad.bytes);
    await logged(this.oplog, 'backup', id, () => takeBackup(this.fs, this.layout.backupDir(id), log.path, this.retention, this.now()), () => log.size);
    await this.lock.fence(); // a rewrite replaces the file: never once another process may own it (compaction on close too)
    await this.forget(id);
    await logged(this.oplog, 'rewrite', id, () => atomicRewrite(this.fs, log.path, text), () => Buffer.byteLength(text));
    this.memos.get(id)?.quarantined.clear(); // offsets in the new file are new
    // A new file: its summary is recomputed from it when next needed (the old one could carry a count
    // that counted lines compaction dropped, or an older `updated` than the file now states).
    this.index.delete(id);
  }

  // ---- recovery (recovery.ts): each on the chat's queue, with its log closed ----

  /** Runs on the chat's queue without opening its log (the file may be unreadable). */
  private onChatFile<T>(chatId: unknown, task: (id: string, loc: ChatLocation) => Promise<T>, write = false): Promise<T> {
    return this.onQueue(chatId, async (id) => {
      const loc = this.chats.get(id);
      if (!loc) throw new StoreError('NOT_FOUND', `chat ${id} does not exist`, { chatId: id });
      try {
        return await task(id, loc);
      } catch (e) {
        throw ioError(e, `chat ${id}`);
      }
    }, write);
  }

  /** A rewrite from recovery: what memory held of the chat is dropped and read anew. */
  private async reread(id: string): Promise<void> {
    await this.forget(id);
    this.index.delete(id); // the file was rewritten or moved: its summary is recomputed from it
    this.memos.delete(id);
    this.live.forgetChat(id);
  }

  validateChat(chatId: string): Promise<ValidationReport> {
    return this.onChatFile(chatId, (id, loc) => validateChatFile(this.recoveryDeps, id, loc.characterId, loc.path));
  }

  repairChat(chatId: string): Promise<RepairResult> {
    return this.onChatFile(chatId, async (id, loc) => {
      await this.forget(id);
      try {
        return await repairChatFile(this.recoveryDeps, id, loc.characterId, loc.path);
      } finally {
        await this.reread(id);
      }
    }, true);
  }

  listBackups(chatId: string): Promise<BackupSummary[]> {
    return this.onChatFile(chatId, (id) => listChatBackups(this.recoveryDeps, id));
  }

  restoreBackup(chatId: string, backupId: string): Promise<{ undoBackupId: string | null }> {
    return this.onChatFile(chatId, async (id, loc) => {
      await this.forget(id);
      try {
        return await restoreChatBackup(this.recoveryDeps, id, loc.path, backupId);
      } finally {
        await this.reread(id);
      }
    }, true);
  }

  async listDeletedChats(): Promise<TrashedChat[]> {
    if (this.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    return listTrash(this.recoveryDeps);
  }

  undeleteChat(chatId: string): Promise<ChatSummary> {
    return this.onQueue(chatId, async (id) => {
      const loc = await undeleteChatFile(this.recoveryDeps, id, this.chats.has(id)).catch((e: unknown) => {
        throw ioError(e, `chat ${id}`);
      });
      this.chats.set(id, loc);
      this.memos.delete(id);
      this.index.delete(id);
      // Back in the list even when it cannot be read now: never hidden.
      return this.log(id).then((log) => this.summarize(log)).catch((e: unknown) => this.unreadableSummary(id, e instanceof StoreError ? e : new StoreError('CORRUPT', 'unreadable'))!);
    }, true);
  }

  async flush(): Promise<void> {
    await this.queue.idle();
  }

  /** Idempotent: a second call waits for the first to finish (and release the lock). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.stopIndexingDelay?.();
    try {
      await this.queue.idle();
      for (const [id, log] of [...this.logs]) {
        if (log.status !== 'ok' || !log.fullyIndexed || log.size < this.compactMinBytes) continue;
        // Compaction on close is an optimisation: if it fails, the log file is still complete.
        await log
          .stats()
          .then(({ deadRatio }) => (deadRatio > this.compactRatio ? this.compact(log, id) : undefined))
          .catch(() => {});
      }
    } finally {
      for (const id of [...this.logs.keys()]) await this.forget(id);
      await this.index.close();
      await logged(this.oplog, 'unlock', undefined, () => this.lock.release());
    }
  }
}



// The chat index: a persisted summary of every chat (what the chat list shows), so that listing
// never opens or scans chat files. It is a cache: deleting `<dataDir>/index.json` loses nothing,
// the store rebuilds it from the chat files.
//
// - Kept in memory as one entry per chat; every write updates its chat's entry in O(1) and marks
//   it dirty. Persistence is deferred and batched: one atomic rewrite of index.json at most every
//   FLUSH_DELAY_MS, and on close; never an fsync per append.
// - Each persisted entry records the identity of the file it describes (size, inode, mtime in ns),
//   taken by a stat at flush time. At start-up an entry is trusted only if the file still has that
//   identity; anything else (a crash after a write, a file changed, replaced, added while the app
//   was closed) is re-read. An entry whose file changed between our write and the flush is saved
//   without an mtime, so it is re-read at the next start.
// - The same file also keeps, under `writes`, the file state after the store's last own write of
//   each chat (chats/own-states.ts): how the next start tells the store's own torn last line from
//   another program's. Losing it costs nothing but that: such a line is then kept, not cut.
import { READ_ONLY_REASONS, type ChatSummary } from '../../shared/chat-format.ts';
import { dirname } from 'node:path';
import { fsyncDir } from '../durable/durable.ts';
import type { FsSeam } from '../durable/fs-seam.ts';

export const INDEX_FORMAT = 'cardshark-index';
export const INDEX_VERSION = 1;
export const FLUSH_DELAY_MS = 2_000;

export interface FileIdentity {
  /** Bytes on disk. */
  size: number;
  /** Inode, as a decimal string (bigint stat); unknown right after a rewrite until the next flush. */
  ino?: string;
  /** Modification time in ns, as a decimal string: of the file as the store read or wrote it, or as a flush stat'ed it. */
  mtimeNs?: string;
}

/** What index.json holds: the entries, and the store's own last writes (`writes`, unchecked here). */
export interface PersistedIndex {
  entries: Map<string, IndexEntry>;
  writes: unknown;
  /** The revisions last handed out (`revisions`, unchecked here: chats/handed-revisions.ts). */
  revisions: unknown;
}

export interface IndexEntry {
  summary: ChatSummary;
  /** Id of the newest live message (its text is the preview): a change to it changes the preview. */
  lastId: string | null;
  /** That message's `edited ?? timestamp` (0 without one): part of `updated`, kept so a write need not re-read it. */
  lastStamp: number;
  file: FileIdentity;
}

export interface IndexProgress {
  /** Chats whose summary is known. */
  done: number;
  total: number;
  /** True once every chat is indexed. */
  ready: boolean;
}

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
const num = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
const str = (x: unknown) => typeof x === 'string';

/** A cheap, hand-written check (zod on 10,000 entries would cost more than the rest of start-up). */
function validEntry(x: unknown): x is IndexEntry {
  if (!isObj(x) || !isObj(x.summary) || !isObj(x.file)) return false;
  const s = x.summary;
  const f = x.file;
  return (
    str(s.chatId) && str(s.characterId) && str(s.title) && num(s.messageCount) && num(s.created) && num(s.updated) &&
    (s.preview === null || str(s.preview)) && (s.status === 'ok' || s.status === 'corrupt' || s.status === 'read_only') &&
    (s.readOnlyReason === undefined || (READ_ONLY_REASONS as readonly unknown[]).includes(s.readOnlyReason)) &&
    num(s.sizeBytes) && num(s.revision) && (s.branchOf === undefined || (isObj(s.branchOf) && str(s.branchOf.chatId) && str(s.branchOf.messageId) && str(s.branchOf.title))) && (x.lastId === null || str(x.lastId)) && num(x.lastStamp) &&
    num(f.size) && (f.ino === undefined || str(f.ino)) && (f.mtimeNs === undefined || str(f.mtimeNs))
  );
}

export class ChatIndex {
  private readonly entries = new Map<string, IndexEntry>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Whether what is on disk differs from memory (an entry removed, or the file was missing or damaged). */
  private changed = false;

  private readonly fs: FsSeam;
  private readonly path: string;
  private readonly pathOf: (chatId: string) => string | undefined;

  private readonly delayMs: number;
  private readonly fence: () => Promise<void> | undefined;
  private readonly writes: () => unknown;
  /** The revisions last handed out, persisted beside the entries (chats/handed-revisions.ts). */
  revisions: () => unknown = () => ({});
  /** Told of every chat whose entry was set or dropped (a write, an outside change, a deletion): see ChatStore.onChatChanged. */
  onChange: (chatId: string, outside: boolean) => void = () => {};

  /**
   * `fence`: resolves while this process holds the data-folder lock, throws once it may have lost it
   * (DirLock.fence): a process paused past its lease never writes index.json over the new holder's.
   */
  constructor(fs: FsSeam, path: string, pathOf: (chatId: string) => string | undefined, delayMs = FLUSH_DELAY_MS, writes: () => unknown = () => ({}), fence: () => Promise<void> | undefined = () => undefined) {
    this.fence = fence;
    this.delayMs = delayMs;
    this.fs = fs;
    this.path = path;
    this.pathOf = pathOf;
    this.writes = writes;
  }

  /** The persisted entries and own writes, or null if the file is missing or damaged (the caller rebuilds). */
  static async read(fs: FsSeam, path: string): Promise<PersistedIndex | null> {
    let text: string;
    try {
      text = (await fs.readFile(path, 'utf8')) as string;
    } catch {
      return null;
    }
    try {
      const doc: unknown = JSON.parse(text);
      if (!isObj(doc) || doc.format !== INDEX_FORMAT || doc.version !== INDEX_VERSION || !Array.isArray(doc.chats)) return null;
      const out = new Map<string, IndexEntry>();
      for (const e of doc.chats) if (validEntry(e)) out.set(e.summary.chatId, e);
      return { entries: out, writes: doc.writes, revisions: doc.revisions };
    } catch {
      return null;
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(chatId: string): IndexEntry | undefined {
    return this.entries.get(chatId);
  }

  values(): IterableIterator<IndexEntry> {
    return this.entries.values();
  }

  /** An entry loaded from disk and checked against its file: nothing to write. */
  adopt(entry: IndexEntry): void {
    this.entries.set(entry.summary.chatId, entry);
  }

  /** O(1): the entry changes in memory; the file is rewritten later, with others. */
  set(entry: IndexEntry): void {
    const id = entry.summary.chatId;
    this.entries.set(id, entry);
    this.dirty.add(id);
    this.schedule();
    this.onChange(id, false);
  }

  /** `outside`: the chat's file was changed by another program (see ChatStore.onChatChanged). */
  delete(chatId: string, outside = false): void {
    // Told even when there was no entry: the chat's file may still have changed (or gone).
    this.onChange(chatId, outside);
    if (!this.entries.delete(chatId)) return;
    this.dirty.delete(chatId);
    this.changed = true;
    this.schedule();
  }

  /** The file on disk must be rewritten even if no entry changes (it was missing, stale or damaged). */
  markChanged(): void {
    this.changed = true;
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => {}); // a cache: a failed write is retried at the next change or on close
    }, this.delayMs);
    this.timer.unref();
  }

  /** Writes index.json now (atomic: temp file + rename). One flush at a time. */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.flushing) await this.flushing;
    if (this.dirty.size === 0 && !this.changed) return;
    this.flushing = this.write().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const ids = [...this.dirty];
    this.dirty.clear();
    this.changed = false;
    try {
      // Record the identity of each changed chat's file as it is now; if the file no longer has the
      // size (and inode, and mtime when known) the entry describes, an outside change came in
      // between: no mtime, so the next start-up re-reads it.
      await Promise.all(
        ids.map(async (id) => {
          const e = this.entries.get(id);
          const path = this.pathOf(id);
          if (!e || !path) return;
          const st = await this.fs.stat(path, { bigint: true }).catch(() => null);
          const same = st !== null && Number(st.size) === e.file.size && (e.file.ino === undefined || e.file.ino === String(st.ino)) && (e.file.mtimeNs === undefined || e.file.mtimeNs === String(st.mtimeNs));
          e.file = same ? { size: e.file.size, ino: String(st.ino), mtimeNs: String(st.mtimeNs) } : { size: e.file.size, ...(e.file.ino ? { ino: e.file.ino } : {}) };
        }),
      );
      const doc = { format: INDEX_FORMAT, version: INDEX_VERSION, chats: [...this.entries.values()], writes: this.writes(), revisions: this.revisions() };
      await this.fence();
      await this.fs.writeFileAtomic(this.path, JSON.stringify(doc));
      await fsyncDir(dirname(this.path)); // not needed for a cache, but every rename in the data dir is made durable
    } catch (e) {
      for (const id of ids) this.dirty.add(id);
      this.changed = true;
      throw e;
    }
  }

  /** Flushes and stops the timer; later changes are not written. */
  async close(): Promise<void> {
    await this.flush().catch(() => {});
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

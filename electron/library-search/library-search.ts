// Search across the library: every chat's messages, titles and character names, served by an
// SQLite FTS5 index (search-db.ts) that is a cache of the chat files, never a second source of truth.
//
// - It follows the store: the store tells it of every chat that changed (ChatStore.onChatChanged,
//   synchronously, inside the write); it only notes the chat id there. The chats noted are indexed
//   a moment later, off the write's path: an append is acknowledged without waiting for it.
// - Each chat's row records the identity and size of its file as indexed, and its last bytes: a
//   file the app appended to (an append, a streamed reply) is caught up from there; anything else (a
//   rewrite, compaction, repair, any change by another program) is read again from its first line.
//   Either way the file is read in blocks, each applied atomically with the offset it ends at
//   (bounded memory; a crash mid-way resumes from the last block). At open every listed chat is
//   stat'ed in the background, so a stale index (a crash, writes by the CLI while the app was
//   closed) is caught up and a missing or damaged one rebuilt.
// - A failure of the index (a damaged file, a full disk) never fails a write: the index is dropped
//   and rebuilt.
import { stat } from 'node:fs/promises';
import type { DatabaseSync } from 'node:sqlite';
import type { ChatSummary } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { Layout } from '../store/layout.ts';
import { parseHeader } from '../store/records.ts';
import type { ChatStore } from '../store/types.ts';
import { ChatFile, tailAfter } from './chat-file.ts';
import { IndexWriter, type ChatRow } from './index-writer.ts';
import { librarySearchFile } from './location.ts';
import { searchIndex, type LibrarySearchLimits, type LibrarySearchResult } from './library-query.ts';
import { openSearchDb, removeDbFiles } from './search-db.ts';

export interface LibrarySearchOptions {
  store: ChatStore;
  /** The index file (default: librarySearchFile of the store's data folder). */
  file?: string;
  /** The characters' names (the registry): each chat is found by its character's name too. */
  characters?: () => Promise<{ id: string; name: string }[]>;
  /** Bytes read (and applied in one transaction) at a time (default BLOCK_BYTES); tests make it small. */
  blockBytes?: number;
  /**
   * The check of every chat starts this long after open (default 0): the app's first window loads
   * and opens its chat first.
   */
  startDelayMs?: number;
  /** Awaited before each slice of background work (a chat, a block): the app's requests go first (request-gate.ts). */
  quiet?: () => Promise<void>;
}

export interface LibrarySearch {
  /** Chats, with their matching messages, for a query (see query.ts); INVALID_INPUT for an empty or too long one. */
  search(query: string, limits?: Partial<LibrarySearchLimits>): Promise<LibrarySearchResult>;
  /** Resolves once every change noted so far is indexed (tests, benches). */
  whenIdle(): Promise<void>;
  /** Resolves once the check of every chat at open (and every change noted meanwhile) is done. */
  whenReady(): Promise<void>;
  /** Whether the first check of every chat (at open) has finished. */
  readonly ready: boolean;
  close(): Promise<void>;
}

const pause = () => new Promise<void>((r) => setImmediate(r));
/** Indexing work is committed at least this often (a crash loses at most this much of it: redone at the next open). */
const BATCH_MS = 500;
/** Chats stat'ed at once by the check at open. */
const CHECK_AT_ONCE = 64;

export function openLibrarySearch(opts: LibrarySearchOptions): LibrarySearch {
  return new LibraryIndex(opts);
}

class LibraryIndex implements LibrarySearch {
  private readonly store: ChatStore;
  private readonly file: string;
  private readonly layout: Layout;
  private readonly characters: (() => Promise<{ id: string; name: string }[]>) | undefined;
  private readonly blockBytes: number | undefined;
  private db!: DatabaseSync;
  private writer!: IndexWriter;
  /**
   * Chats to (re)index, in the order noted: their summary when the open's check listed them (else
   * read when indexed), and whether another program changed the file (then it is read in full).
   */
  private readonly pending = new Map<string, { listed: ChatSummary | null; outside: boolean }>();
  private draining: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly stopListening: () => void;
  private closed = false;
  private resets = 0;
  private checking: Promise<void> = Promise.resolve();
  /** Character names as last written into the index. */
  private names = new Map<string, string>();
  ready = false;
  private readonly quiet: () => Promise<void>;
  /** The delayed start of the check (startDelayMs): cancelled by close, which then resolves it. */
  private startTimer: { timer: NodeJS.Timeout; cancel: () => void } | undefined;

  constructor(opts: LibrarySearchOptions) {
    this.store = opts.store;
    this.file = opts.file ?? librarySearchFile(opts.store.dataDir);
    this.layout = new Layout(opts.store.dataDir);
    this.characters = opts.characters;
    this.blockBytes = opts.blockBytes;
    const quiet = opts.quiet;
    // A turn for the event loop in any case, then (in the app) until the windows' requests are answered.
    this.quiet = quiet ? async () => (await pause(), await quiet()) : pause;
    this.openDb();
    this.stopListening = this.store.onChatChanged((chatId, change) => this.note(chatId, change.outside));
    const delay = opts.startDelayMs ?? 0;
    this.checking =
      delay > 0
        ? new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              this.startTimer = undefined;
              resolve(this.checkAll());
            }, delay);
            this.startTimer = { timer, cancel: resolve };
          })
        : this.checkAll();
  }

  private openDb(): void {
    this.db = openSearchDb(this.file).db;
    this.writer = new IndexWriter(this.db);
    this.names = new Map();
  }

  /** Called inside a store write: take note, nothing more. */
  private note(chatId: string, outside: boolean): void {
    if (this.closed) return;
    // A summary listed before this change is stale now; an outside change stays noted until indexed.
    this.pending.set(chatId, { listed: null, outside: outside || this.pending.get(chatId)?.outside === true });
    this.draining ??= this.drain();
  }

  /** At open: every listed chat is checked against its row; rows of chats no longer listed go. */
  private async checkAll(): Promise<void> {
    try {
      const listed = await this.store.listAllChats();
      if (this.closed) return;
      const ids = new Set(listed.map((c) => c.chatId));
      for (const [chatId, rowid] of this.writer.chatIds()) if (!ids.has(chatId)) this.writer.removeChat(rowid);
      // One stat per chat, many at once: a chat whose file is exactly as indexed (inode, size, mtime) and
      // whose title is the same needs nothing more; the others are caught up or read again, one at a time.
      for (let i = 0; i < listed.length; i += CHECK_AT_ONCE) {
        await this.quiet();
        if (this.closed) return;
        const batch = listed.slice(i, i + CHECK_AT_ONCE);
        const same = await Promise.all(batch.map((c) => this.unchanged(c)));
        if (this.closed) return;
        batch.forEach((c, k) => {
          if (!same[k] && !this.pending.has(c.chatId)) this.pending.set(c.chatId, { listed: c, outside: false });
        });
      }
      this.draining ??= this.drain();
      await this.whenIdle();
      this.ready = !this.closed;
      // The first build can leave a big WAL: folded into the index file now, off any write's path.
      if (this.ready) this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    } catch (e) {
      if (this.closed) return;
      if (isSqliteError(e)) this.failed(e);
      // The store closed or could not list its chats: the index stays as it is (a cache), checked at the next open.
      else if (!(e instanceof StoreError && e.code === 'CLOSED')) console.error('library search: the chats could not be checked:', e);
    }
  }

  /** Commits the open batch once it is BATCH_MS old and starts the next: between chats, and between blocks of a big one. */
  private batchStart = 0;
  private commitIfDue(): void {
    if (performance.now() - this.batchStart <= BATCH_MS) return;
    this.writer.commitBatch();
    this.writer.beginBatch();
    this.batchStart = performance.now();
  }

  private async drain(): Promise<void> {
    await pause(); // the write that noted the chat finishes first; changes noted meanwhile join this round
    try {
      this.batchStart = 0;
      while (!this.closed && this.pending.size > 0) {
        const [chatId, { listed, outside }] = this.pending.entries().next().value!;
        this.pending.delete(chatId);
        // Many chats (the check at open, a burst of changes) go into one transaction, committed every BATCH_MS.
        this.commitIfDue();
        try {
          await this.indexChat(chatId, listed, outside);
        } catch (e) {
          if (isSqliteError(e)) throw e;
          if (this.closed || (e instanceof StoreError && e.code === 'CLOSED')) break;
          console.error(`library search: chat ${chatId} not indexed:`, e); // unreadable now (EACCES, EIO): tried again at its next change
        }
        // The batch stays open across the wait: committed when due, by time (a crash redoes its chats at the next open).
        await this.quiet();
      }
      this.writer.commitBatch();
    } catch (e) {
      this.failed(e);
    } finally {
      this.draining = undefined;
      if (this.pending.size > 0 && !this.closed) this.draining = this.drain();
      else for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  /** Whether a listed chat's file and title are exactly as the index has them. */
  private async unchanged(c: ChatSummary): Promise<boolean> {
    const row = this.writer.chat(c.chatId);
    if (!row || row.size < 0 || row.title !== c.title || row.character_id !== c.characterId) return false;
    const st = await stat(this.layout.chatFile(c.characterId, c.chatId), { bigint: true }).catch(() => null);
    return st !== null && String(st.ino) === row.ino && Number(st.size) === row.size && String(st.mtimeNs) === row.mtime_ns;
  }

  /** The index itself failed (damaged, disk full): dropped and rebuilt from the chat files (a few times at most). */
  private failed(e: unknown): void {
    console.error('library search: the index failed; rebuilding it:', e);
    if (this.closed || this.resets >= 3) return;
    this.resets++;
    try {
      this.db.close();
    } catch {
      // already unusable
    }
    removeDbFiles(this.file);
    this.openDb();
    this.ready = false;
    this.checking = this.checkAll();
  }

  /** One chat made true to its file: caught up when the file only grew, else indexed from its first line; dropped when gone. */
  private async indexChat(chatId: string, listed: ChatSummary | null, outside: boolean): Promise<void> {
    const summary =
      listed ??
      (await this.store.getChat(chatId).catch((e: unknown) => {
        if (e instanceof StoreError && e.code === 'NOT_FOUND') return null;
        throw e;
      }));
    if (this.closed) return;
    let row = this.writer.chat(chatId);
    if (row && (!summary || row.character_id !== summary.characterId)) {
      this.writer.removeChat(row.rowid);
      row = undefined;
    }
    if (!summary) return;
    const file = await ChatFile.open(this.layout.chatFile(summary.characterId, chatId));
    if (this.closed) return void (await file?.close());
    if (!file) {
      if (row) this.writer.removeChat(row.rowid);
      return;
    }
    try {
      const characterName = this.names.get(summary.characterId) ?? '';
      // Another program's change is read in full: it may have rewritten the file in place, same size, within one mtime tick.
      if (!outside && row && row.size >= 0 && row.ino === file.ino && file.size >= row.size && (await file.before(row.size)) === row.tail) {
        this.writer.setNames(row, summary.title, characterName);
        // Grown: the new lines (none yet while only a torn line grew). The same size but touched
        // since (an edit in place, same length): read in full below.
        if (file.size > row.size) return await this.apply(row, file, row.size);
        if (file.mtimeNs === row.mtime_ns) return;
      }
      if (this.closed) return;
      row = this.writer.startFull(chatId, summary.characterId, summary.title, characterName);
      await this.apply(row, file, 0);
    } finally {
      await file.close();
    }
  }

  /** The file's lines from `from` into the chat's rows, a block per transaction, with turns for others in between. */
  private async apply(row: ChatRow, file: ChatFile, from: number): Promise<void> {
    let tail = from > 0 ? row.tail : '';
    let first = from === 0;
    for await (const { lines, end } of file.lines(from, this.blockBytes)) {
      if (this.closed) return;
      // A chat whose header cannot be read shows no messages (as the store lists it): indexed with none, read in full at its next change.
      if (first && !parseHeader(lines.toString('utf8', 0, Math.max(0, lines.indexOf(0x0a))).replace(/\r$/, '')).ok) {
        return this.writer.setFile(row, { ino: file.ino, mtimeNs: file.mtimeNs, end: -1, tail: '' });
      }
      first = false;
      tail = tailAfter(tail, lines);
      this.writer.applyLines(row, lines, { ino: file.ino, mtimeNs: file.mtimeNs, end, tail });
      if (end < file.size) {
        this.commitIfDue();
        await this.quiet();
      }
    }
    // Nothing (more) complete: the identity is still recorded, so an unchanged file is not read again.
    if (row.ino !== file.ino || row.mtime_ns !== file.mtimeNs) this.writer.setFile(row, { ino: file.ino, mtimeNs: file.mtimeNs, end: row.size, tail: row.tail });
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('CLOSED', 'the library search is closed');
  }

  /** Character renames reach the index before a search reads it. */
  private async refreshNames(): Promise<void> {
    if (!this.characters) return;
    const list = await this.characters();
    for (const { id, name } of list) {
      if (this.names.get(id) === name) continue;
      this.writer.renameCharacter(id, name);
      this.names.set(id, name);
    }
  }

  async search(query: string, limits?: Partial<LibrarySearchLimits>): Promise<LibrarySearchResult> {
    this.checkOpen();
    await this.refreshNames();
    this.checkOpen();
    const r = searchIndex(this.db, query, limits);
    return { ...r, indexing: !this.ready || this.pending.size > 0 || this.draining !== undefined };
  }

  async whenReady(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.checking) {
      seen = this.checking;
      await seen;
    }
    await this.whenIdle();
  }

  whenIdle(): Promise<void> {
    if (!this.draining && this.pending.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.startTimer) {
      clearTimeout(this.startTimer.timer);
      this.startTimer.cancel();
      this.startTimer = undefined;
    }
    this.stopListening();
    await this.draining?.catch(() => {});
    for (const w of this.idleWaiters.splice(0)) w();
    this.db.close();
  }
}

function isSqliteError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ERR_SQLITE_ERROR';
}

// Search across the library: every chat's messages, titles and character names, served by an
// SQLite FTS5 index (search-db.ts) that is a cache of the chat files, never a second source of truth.
//
// - It follows the store: the store tells it of every chat that changed (ChatStore.onChatChanged,
//   synchronously, inside the write); it only notes the chat id there. The chats noted are indexed
//   a moment later, off the write's path: an append is acknowledged without waiting for it.
// - Each chat's row records the identity and size of its file as indexed, and its last bytes: a
//   file that only grew (an append, a streamed reply) is caught up from there; anything else (a
//   rewrite, compaction, repair, an outside edit) is re-read in full. At open every listed chat is
//   checked that way in the background, so a stale index (a crash, writes by the CLI while the app
//   was closed) is caught up and a missing or damaged one rebuilt.
// - A failure of the index (a damaged file, a full disk) never fails a write: the index is dropped
//   and rebuilt.
import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from '../../shared/errors.ts';
import { fullStateSteps } from '../store/compaction.ts';
import { Layout } from '../store/layout.ts';
import { runSliced } from '../store/time-slices.ts';
import type { ChatStore } from '../store/types.ts';
import { readChatFile, TAIL_BYTES } from './chat-file.ts';
import { IndexWriter, type IndexedTo } from './index-writer.ts';
import { librarySearchFile } from './location.ts';
import { searchIndex, type LibrarySearchLimits, type LibrarySearchResult } from './library-query.ts';
import { openSearchDb, removeDbFiles } from './search-db.ts';

export interface LibrarySearchOptions {
  store: ChatStore;
  /** The index file (default: librarySearchFile of the store's data folder). */
  file?: string;
  /** The characters' names (the registry): each chat is found by its character's name too. */
  characters?: () => Promise<{ id: string; name: string }[]>;
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

export function openLibrarySearch(opts: LibrarySearchOptions): LibrarySearch {
  return new LibraryIndex(opts);
}

class LibraryIndex implements LibrarySearch {
  private readonly store: ChatStore;
  private readonly file: string;
  private readonly layout: Layout;
  private readonly characters: (() => Promise<{ id: string; name: string }[]>) | undefined;
  private db!: DatabaseSync;
  private writer!: IndexWriter;
  /** Chats to (re)index, in the order noted. */
  private readonly pending = new Set<string>();
  private draining: Promise<void> | undefined;
  private idleWaiters: (() => void)[] = [];
  private readonly stopListening: () => void;
  private closed = false;
  private resets = 0;
  private checking: Promise<void> = Promise.resolve();
  /** Character names as last written into the index. */
  private names = new Map<string, string>();
  ready = false;

  constructor(opts: LibrarySearchOptions) {
    this.store = opts.store;
    this.file = opts.file ?? librarySearchFile(opts.store.dataDir);
    this.layout = new Layout(opts.store.dataDir);
    this.characters = opts.characters;
    this.openDb();
    this.stopListening = this.store.onChatChanged((chatId) => this.note(chatId));
    this.checking = this.checkAll();
  }

  private openDb(): void {
    this.db = openSearchDb(this.file).db;
    this.writer = new IndexWriter(this.db);
    this.names = new Map();
  }

  /** Called inside a store write: take note, nothing more. */
  private note(chatId: string): void {
    if (this.closed) return;
    this.pending.add(chatId);
    this.draining ??= this.drain();
  }

  /** At open: every listed chat is checked against its row; rows of chats no longer listed go. */
  private async checkAll(): Promise<void> {
    try {
      const listed = await this.store.listAllChats();
      if (this.closed) return;
      const ids = new Set(listed.map((c) => c.chatId));
      for (const [chatId, rowid] of this.writer.chatIds()) if (!ids.has(chatId)) this.writer.removeChat(rowid);
      for (const c of listed) this.pending.add(c.chatId);
      this.draining ??= this.drain();
      await this.whenIdle();
      this.ready = !this.closed;
    } catch (e) {
      if (!this.closed) this.failed(e);
    }
  }

  private async drain(): Promise<void> {
    await pause(); // the write that noted the chat finishes first; changes noted meanwhile join this round
    try {
      let n = 0;
      while (!this.closed && this.pending.size > 0) {
        const chatId = this.pending.values().next().value!;
        this.pending.delete(chatId);
        try {
          await this.indexChat(chatId);
        } catch (e) {
          if (isSqliteError(e)) throw e;
          if (this.closed || (e instanceof StoreError && e.code === 'CLOSED')) return;
          console.error(`library search: chat ${chatId} not indexed:`, e); // unreadable now (EACCES, EIO): tried again at its next change
        }
        if (++n % 32 === 0) await pause();
      }
    } catch (e) {
      this.failed(e);
    } finally {
      this.draining = undefined;
      if (this.pending.size > 0 && !this.closed) this.draining = this.drain();
      else for (const w of this.idleWaiters.splice(0)) w();
    }
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

  /** One chat made true to its file: caught up when the file only grew, else indexed in full; dropped when gone. */
  private async indexChat(chatId: string): Promise<void> {
    const summary = await this.store.getChat(chatId).catch((e: unknown) => {
      if (e instanceof StoreError && e.code === 'NOT_FOUND') return null;
      throw e;
    });
    if (this.closed) return;
    let row = this.writer.chat(chatId);
    if (row && (!summary || row.character_id !== summary.characterId)) {
      this.writer.removeChat(row.rowid);
      row = undefined;
    }
    if (!summary) return;
    const path = this.layout.chatFile(summary.characterId, chatId);
    const characterName = this.names.get(summary.characterId) ?? '';
    const read = await readChatFile(path, row && row.size >= 0 ? row.size : 0);
    if (this.closed) return;
    if (!read) {
      if (row) this.writer.removeChat(row.rowid);
      return;
    }
    const appendedOnly = row !== undefined && row.size >= 0 && row.ino === read.ino && read.size >= row.size && read.before === row.tail;
    if (row && appendedOnly) {
      this.writer.setNames(row, summary.title, characterName);
      const to = { ino: read.ino, mtimeNs: read.mtimeNs, end: read.end, tail: tailAfter(read.before, read.lines) };
      if (read.end > row.size) return this.writer.applyAppended(row, read.lines, to);
      if (read.mtimeNs === row.mtime_ns) return;
      // Same bytes up to the indexed end but touched since: a torn line grew, or an edit in place; a full read decides.
    }
    const whole = read.end - read.lines.length === 0 ? read : await readChatFile(path, 0);
    if (this.closed || !whole) return;
    const state = await runSliced(fullStateSteps(whole.lines), { check: () => this.checkOpen() });
    if (this.closed) return;
    const ok = !('error' in state);
    // A chat whose header cannot be read is indexed without messages and re-read in full at its next change.
    const to: IndexedTo = { ino: whole.ino, mtimeNs: whole.mtimeNs, end: ok ? whole.end : -1, tail: tailAfter('', whole.lines) };
    await this.writer.indexInFull(chatId, summary.characterId, summary.title, characterName, ok ? state : null, to, async () => {
      await pause();
      this.checkOpen();
    });
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
    this.stopListening();
    await this.draining?.catch(() => {});
    for (const w of this.idleWaiters.splice(0)) w();
    this.db.close();
  }
}

/** The TAIL_BYTES before the end of `lines`, which follow the bytes `before` (hex) in the file. */
function tailAfter(before: string, lines: Buffer): string {
  if (lines.length >= TAIL_BYTES) return lines.toString('hex', lines.length - TAIL_BYTES);
  return (before + lines.toString('hex')).slice(-TAIL_BYTES * 2);
}

function isSqliteError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 'ERR_SQLITE_ERROR';
}

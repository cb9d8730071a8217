// The public shape of the chat store. Pure types: the binding and tests depend on this.
import type { ChatPage, ChatSummary, CreateChatInput, LoadOptions, Message, MessagePatch, NewMessageInput, WriteOptions } from '../../shared/chat-format.ts';
import type { StoreError } from '../../shared/errors.ts';
import type { IndexProgress } from './chat-index.ts';
import type { FsSeam } from '../durable/fs-seam.ts';
import type { SearchResult } from './search.ts';
import type { LockOptions } from './lock.ts';
import type { OpLogSink } from './oplog-sink.ts';
import type { BackupSummary, RepairResult, TrashedChat } from './recovery.ts';
import type { ValidationReport } from './validate.ts';

/** What the store made of a file that appeared under chats/<character>/ (discoverChat). */
export type DiscoveredChat =
  | { kind: 'listed'; summary: ChatSummary }
  | { kind: 'imported'; summary: ChatSummary; from: string; sha256: string }
  /** These bytes were imported before (that chat may since have been deleted): nothing was written. */
  | { kind: 'imported_before'; sha256: string }
  | { kind: 'known'; chatId: string }
  | { kind: 'legacy'; path: string; reason: string }
  /** A sync tool's conflict copy of a listed chat, merged into it and removed (its bytes are in backups/<chat>/). */
  | { kind: 'merged'; summary: ChatSummary; from: string; merged: number }
  /** Named as a conflict copy of a chat but not one (another chat's header, unreadable): left as it is. */
  | { kind: 'not_merged'; path: string; chatId: string; reason: string }
  | { kind: 'ignored'; reason: string };

/** One version of a chat as the app wrote (or read) it, for a conflict copy (appVersions). */
export interface AppVersion {
  title: string;
  characterId: string;
  messages: Message[];
  /** Whether the chat's file, as it is now, holds all of it (another program only added to it). */
  inFile: boolean;
  /**
   * inFile only through a sync tool's conflict copy beside the chat, not yet merged into it: the
   * file itself lacks some of it (its merge brings it back). A reply must not go on into such a file.
   */
  viaCopy?: boolean;
  /**
   * When not inFile: its messages whose ids the file lacks altogether, if that is all the file lacks
   * (every other message of it is in the file exactly as here); undefined when the file changed one.
   */
  missing?: Message[];
}

export interface ChatStoreOptions {
  /** Root of all store data; created if missing. */
  dataDir: string;
  /** Backups kept per chat besides the generational ones (default 5). */
  backupRetention?: number;
  /** Compact a chat on close when superseded lines exceed this share of its records (default 0.5). */
  compactRatio?: number;
  /** Only chats with at least this many bytes are auto-compacted (default 64 KiB). */
  compactMinBytes?: number;
  /**
   * The data-directory lock: heartbeat interval, when a holder that cannot be checked (another
   * host) counts as gone, and `onWait` to wait for such a lock (telling the user) instead of
   * failing LOCKED with `details.retryAfterMs`.
   */
  lock?: LockOptions;
  /** Fault-injection seam for tests; defaults to node:fs/promises. */
  fs?: FsSeam;
  /** Clock, for tests. */
  now?: () => number;
  /** Operations log: one record per file operation (never message text). Default: none. */
  oplog?: OpLogSink;
  /**
   * Progress of the background (re)indexing after open (the index file was missing, damaged, or
   * some chats changed while the app was closed): called at the start, after each chat, and with
   * `ready: true` at the end. Not called again when nothing needed indexing beyond the first call.
   */
  onIndexProgress?: (p: IndexProgress) => void;
  /** Changes to the chat index are written to index.json at most this often (default 2000 ms) and on close. */
  indexFlushDelayMs?: number;
  /** Position indexes (jumps to old messages, positions/) are saved at most this often (default 2000 ms) and on close. */
  positionsFlushDelayMs?: number;
}

export interface ChatStore {
  readonly dataDir: string;
  createChat(input: CreateChatInput): Promise<ChatSummary>;
  /**
   * One character's chats, newest first, from the chat index (one stat per chat checks its file;
   * a chat not indexed yet is summarised before the call returns).
   */
  listChats(characterId: string): Promise<ChatSummary[]>;
  /** Every chat, newest first, from the index as it is; waits for the background indexing started at open. */
  listAllChats(): Promise<ChatSummary[]>;
  /** Resolves when the background (re)indexing started at open has finished. */
  whenIndexed(): Promise<void>;
  /**
   * Re-reads a chat after a change outside the app (the watcher): its new summary, or null if the
   * file is gone (it leaves the list). A chat file the store does not know yet joins the list when
   * its character is given. A torn last line is reported (read-only until complete), never cut off.
   */
  refreshChat(chatId: string, characterId?: string): Promise<ChatSummary | null>;
  getChat(chatId: string): Promise<ChatSummary>;
  loadChat(chatId: string, options?: LoadOptions): Promise<ChatPage>;
  /**
   * Case-insensitive search of every message's current text over the whole file (see search.ts):
   * the total, and one page of matches in chat order, [offset, offset + limit) (default: the newest `limit`, at most 500).
   */
  searchChat(chatId: string, query: string, limit?: number, offset?: number): Promise<SearchResult>;
  // Every mutation takes an optional `{ expectedRevision }`: if the chat is at another revision it
  // fails with CONFLICT (details.reason 'revision', details.revision: the current one) and nothing is written.
  appendMessage(chatId: string, message: NewMessageInput, opts?: WriteOptions): Promise<Message>;
  /** All-or-nothing: validated in full first, then one write and one fdatasync. */
  appendMessages(chatId: string, messages: NewMessageInput[], opts?: WriteOptions): Promise<Message[]>;
  /** Appends text to the selected swipe (one `append_text` record), optionally setting the status. */
  appendText(chatId: string, messageId: string, text: string, status?: Message['status'], opts?: WriteOptions): Promise<Message>;
  updateMessage(chatId: string, messageId: string, patch: MessagePatch, opts?: WriteOptions): Promise<Message>;
  deleteMessage(chatId: string, messageId: string, opts?: WriteOptions): Promise<void>;
  renameChat(chatId: string, title: string, opts?: WriteOptions): Promise<ChatSummary>;
  /** Sets keys of the chat's metadata (one meta record; other keys kept). A bad or empty patch: INVALID_INPUT. */
  updateChatMetadata(chatId: string, patch: Record<string, unknown>, opts?: WriteOptions): Promise<ChatSummary>;
  /** The chat's metadata now: the header's with every meta record's keys applied, newest last. */
  getChatMetadata(chatId: string): Promise<Record<string, unknown>>;
  /** Moves the chat file to the trash folder; nothing is destroyed. */
  deleteChat(chatId: string, opts?: WriteOptions): Promise<void>;
  /** A whole new chat written at once (atomic, all or nothing); a chosen chatId that exists is a CONFLICT. */
  importChat(input: import('./import-chat.ts').ImportChatInput): Promise<ChatSummary>;
  /**
   * importChat for a chat of any size, in bounded memory: the messages come in batches and are
   * written as they come into a temp file, renamed into place once fsync'd and read back. All or
   * nothing: a failure or a cancel (opts.signal: CANCELLED) leaves no chat and no temp file.
   */
  importChatStream(input: import('./import-chat.ts').ImportStreamInput, opts?: import('./import-chat.ts').ImportStreamOptions): Promise<ChatSummary>;
  /**
   * A new chat holding the history of `chatId` up to `messageId` (inclusive), titled "<title> (branch)"
   * unless a title is given, linked to its parent (header metadata `branch_of`; ChatSummary.branchOf).
   * One atomic write: all or nothing; the parent is only read. NOT_FOUND for an unknown or deleted message.
   */
  branchChat(chatId: string, messageId: string, options?: { title?: string }): Promise<ChatSummary>;
  /** Rewrites a chat without superseded lines (atomic, backed up first); the revision still increases. */
  compactChat(chatId: string, opts?: WriteOptions): Promise<ChatSummary>;
  /** Full forward validation of the file: every problem with line, byte range, kind, and the repair plan. */
  validateChat(chatId: string): Promise<ValidationReport>;
  /** Quarantine, backup, atomic rewrite per the plan. READ_ONLY for a newer format; a read error is IO_ERROR and nothing is written. */
  repairChat(chatId: string): Promise<RepairResult>;
  /** Backups of a chat, newest first, with size and message count. */
  listBackups(chatId: string): Promise<BackupSummary[]>;
  /** Replaces the chat with a backup; the current state is backed up first (`undoBackupId`). */
  restoreBackup(chatId: string, backupId: string): Promise<{ undoBackupId: string | null }>;
  /** Chats in the trash, newest deletion first. */
  listDeletedChats(): Promise<TrashedChat[]>;
  /**
   * Moves a trashed copy of a chat back into place: the one `trashId` names (TrashedChat.trashId), else
   * the newest. Nothing is overwritten: without a trashId, CONFLICT while the chat exists; a copy named by
   * its trashId while the chat id is live comes back as a new chat (the summary's chatId says which).
   */
  undeleteChat(chatId: string, trashId?: string): Promise<ChatSummary>;
  // ---- changes made outside the app (electron/watcher/ calls these) ----
  /** The chat whose file is at this path, if the store lists one. */
  chatIdForPath(path: string): string | null;
  /** Whether a stat of the chat's path (dev, ino, size, and mtime when given: a bigint stat) is exactly the file the store last wrote: then a watcher event is our own write. */
  isOwnState(chatId: string, st: { dev: bigint | number; ino: bigint | number; size: bigint | number; mtimeNs?: bigint }): boolean;
  /** isOwnState for the path as it is now, compared on the chat's write queue (no own write is half-done meanwhile). */
  isOwnStateNow(chatId: string): Promise<boolean>;
  /**
   * The app's versions of a chat changed outside the app, oldest first, for conflict copies: what it
   * last wrote (read through the old file's handle, or a kept link or copy of it), and earlier writes
   * of its own the file may have lost; `inFile` says whether the file at the chat's path holds all
   * of a version. Without a write of this run: what the app last read, counted as held.
   */
  appVersions(chatId: string): Promise<AppVersion[]>;
  /**
   * Merges messages of the app's own that another program's version of the chat lacks (it replaced
   * the file without having seen them: a sync tool) back into the chat, in merge order, nothing else
   * changed. CONFLICT while another program is still writing the file (nothing changed then).
   */
  mergeMessagesBack(chatId: string, messages: Message[]): Promise<{ summary: ChatSummary; merged: number }>;
  /** Whether a version the app wrote is kept that the chat's file may have lost: then an event for the store's own last write is still compared. */
  ownVersionPending(chatId: string): Promise<boolean>;
  /**
   * Whether such a version waits for a comparison that can be made now: not one held only by a sync
   * tool's conflict copy beside the chat (compared again when the copy is merged or goes), nor one
   * whose comparison failed (a read failed: compared again at the next change or start).
   */
  ownVersionToCompareNow(chatId: string): Promise<boolean>;
  /** The paths of chats whose file changed, while the app was closed, from the file the app last wrote: the watcher compares each once it is ready. */
  chatsToCompare(): string[];
  /** Whether the chat's file is gone; if so the chat leaves the list. */
  forgetIfGone(chatId: string): Promise<boolean>;
  /**
   * A file that appeared under chats/<character>/: listed, imported into a new chat (conflict copies,
   * taken ids: in one atomic write, under an id derived from the bytes' SHA-256, so the same bytes
   * are imported at most once; `seen` tells it which bytes were imported before), or reported as
   * legacy. Never modified.
   */
  discoverChat(path: string, options?: { seen?: (sha256: string) => Promise<boolean> }): Promise<DiscoveredChat>;
  /** Resolves when every queued write has reached the disk. */
  flush(): Promise<void>;
  /**
   * Resolves (never rejects) if this process finds it no longer holds the data-folder lock: it was
   * paused or asleep past the lock's heartbeat and another process took the folder over, or the
   * lock file was removed. From then on every write fails LOCK_LOST (reads go on): tell the user.
   */
  whenLockLost(): Promise<StoreError>;
  /**
   * Calls `listener` for each chat that leaves the list because its file was deleted outside the
   * app: found by the watcher, or by a read or write that met the missing file first. Returns the unsubscribe.
   */
  onChatGone(listener: (chatId: string, characterId: string) => void): () => void;
  /**
   * Calls `listener` (synchronously, so it must only take note and return) for each chat whose file
   * or place in the list may have changed: any write, import, rename, deletion, restore, repair,
   * compaction, or a change outside the app the store re-read. `outside`: another program changed
   * the file (refreshChat), which may have rewritten any of it in place, keeping its inode and size
   * (and, within the clock's tick, its mtime): a cache must read it again in full. Caches of chat
   * contents (the library search) follow the store through it. Returns the unsubscribe.
   */
  onChatChanged(listener: (chatId: string, change: { outside: boolean }) => void): () => void;
  /** Flushes, compacts where worthwhile, closes files and releases the data-dir lock. */
  close(): Promise<void>;
}

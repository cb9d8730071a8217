// The public shape of the chat store. Pure types: the binding and tests depend on this.
import type { ChatPage, ChatSummary, CreateChatInput, LoadOptions, Message, MessagePatch, NewMessageInput, WriteOptions } from '../../shared/chat-format.ts';
import type { IndexProgress } from './chat-index.ts';
import type { FsSeam } from './fs-seam.ts';
import type { LockOptions } from './lock.ts';

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
  /**
   * Progress of the background (re)indexing after open (the index file was missing, damaged, or
   * some chats changed while the app was closed): called at the start, after each chat, and with
   * `ready: true` at the end. Not called again when nothing needed indexing beyond the first call.
   */
  onIndexProgress?: (p: IndexProgress) => void;
  /** Changes to the chat index are written to index.json at most this often (default 2000 ms) and on close. */
  indexFlushDelayMs?: number;
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
   * its character is given.
   */
  refreshChat(chatId: string, characterId?: string): Promise<ChatSummary | null>;
  getChat(chatId: string): Promise<ChatSummary>;
  loadChat(chatId: string, options?: LoadOptions): Promise<ChatPage>;
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
  /** Moves the chat file to the trash folder; nothing is destroyed. */
  deleteChat(chatId: string, opts?: WriteOptions): Promise<void>;
  /** Rewrites a chat without superseded lines (atomic, backed up first); the revision still increases. */
  compactChat(chatId: string, opts?: WriteOptions): Promise<ChatSummary>;
  /** Resolves when every queued write has reached the disk. */
  flush(): Promise<void>;
  /** Flushes, compacts where worthwhile, closes files and releases the data-dir lock. */
  close(): Promise<void>;
}

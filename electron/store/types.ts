// The public shape of the chat store. Pure types: the binding and tests depend on this.
import type { ChatPage, ChatSummary, CreateChatInput, LoadOptions, Message, MessagePatch, NewMessageInput } from '../../shared/chat-format.ts';
import type { FsSeam } from './fs-seam.ts';
import type { DiscoveredChat } from './store.ts';
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
}

export interface ChatStore {
  readonly dataDir: string;
  createChat(input: CreateChatInput): Promise<ChatSummary>;
  listChats(characterId: string): Promise<ChatSummary[]>;
  getChat(chatId: string): Promise<ChatSummary>;
  loadChat(chatId: string, options?: LoadOptions): Promise<ChatPage>;
  appendMessage(chatId: string, message: NewMessageInput): Promise<Message>;
  /** All-or-nothing: validated in full first, then one write and one fdatasync. */
  appendMessages(chatId: string, messages: NewMessageInput[]): Promise<Message[]>;
  /** Appends text to the selected swipe (one `append_text` record), optionally setting the status. */
  appendText(chatId: string, messageId: string, text: string, status?: Message['status']): Promise<Message>;
  updateMessage(chatId: string, messageId: string, patch: MessagePatch): Promise<Message>;
  deleteMessage(chatId: string, messageId: string): Promise<void>;
  renameChat(chatId: string, title: string): Promise<ChatSummary>;
  /** Moves the chat file to the trash folder; nothing is destroyed. */
  deleteChat(chatId: string): Promise<void>;
  /** Rewrites a chat without superseded lines (atomic, backed up first). */
  compactChat(chatId: string): Promise<ChatSummary>;
  // ---- changes made outside the app (electron/watcher/ calls these) ----
  /** The chat whose file is at this path, if the store lists one. */
  chatIdForPath(path: string): string | null;
  /** Whether a stat of the chat's path (dev, ino, size, and mtime when given: a bigint stat) is exactly the file the store last wrote: then a watcher event is our own write. */
  isOwnState(chatId: string, st: { dev: bigint | number; ino: bigint | number; size: bigint | number; mtimeNs?: bigint }): boolean;
  /** isOwnState for the path as it is now, compared on the chat's write queue (no own write is half-done meanwhile). */
  isOwnStateNow(chatId: string): Promise<boolean>;
  /**
   * Drops the cached log and re-reads the file (changed outside the app); a torn last line is
   * reported (read-only until complete), never truncated. null: the file is gone (the chat left the list now);
   * NOT_FOUND: the chat was not listed (the app deleted it meanwhile).
   */
  refreshChat(chatId: string): Promise<ChatSummary | null>;
  /** The chat's messages as the app last read or wrote them (the old file's bytes after an outside change), for a conflict copy. */
  appView(chatId: string): Promise<{ title: string; characterId: string; messages: Message[] } | null>;
  /** Whether the chat's file is gone; if so the chat leaves the list. */
  forgetIfGone(chatId: string): Promise<boolean>;
  /** A file that appeared under chats/<character>/: listed, imported into a new chat (conflict copies, taken ids), or reported as legacy. Never modified. */
  discoverChat(path: string): Promise<DiscoveredChat>;
  /** Resolves when every queued write has reached the disk. */
  flush(): Promise<void>;
  /** Flushes, compacts where worthwhile, closes files and releases the data-dir lock. */
  close(): Promise<void>;
}

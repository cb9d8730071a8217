// The chat store: owns the data directory (under an exclusive lock), one ChatLog per open chat,
// and a write queue per chat. Every public call validates its input with the shared zod schemas
// first, so bad input gets INVALID_INPUT and never reaches the disk.
//
// This file opens the store and is its facade: each call is handed to the part that does it
// (electron/store/chats/). The parts, bottom up: context.ts (the shared state), open-logs.ts
// (open logs), own-writes.ts (who wrote last) with own-versions.ts (what it wrote, kept until
// compared with an outside change), chat-tasks.ts (the per-chat path every call
// takes), index-keeper.ts (the chat index), then the operations: chat-reads.ts,
// message-writes.ts, chat-writes.ts, compact-chat.ts, recovery-ops.ts, outside-changes.ts,
// discovery.ts, and lifecycle.ts (close).
import type { ChatPage, ChatSummary, CreateChatInput, LoadOptions, Message, MessagePatch, NewMessageInput, WriteOptions } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { errnoOf, fsyncDir, ioError, mkdirDurable } from '../durable/durable.ts';
import { holdWritesUntil, nodeFs, type FsSeam } from '../durable/fs-seam.ts';
import { ChatIndex } from './chat-index.ts';
import { ChatCompaction } from './chats/compact-chat.ts';
import { ChatReads } from './chats/chat-reads.ts';
import { ChatTasks } from './chats/chat-tasks.ts';
import { ChatWrites } from './chats/chat-writes.ts';
import { newContext, type StoreContext } from './chats/context.ts';
import { chatIdForPath, discoverChat, discoverChats, removePartialCopies } from './chats/discovery.ts';
import { adoptPersistedIndex, IndexKeeper } from './chats/index-keeper.ts';
import { Lifecycle } from './chats/lifecycle.ts';
import { MessageWrites } from './chats/message-writes.ts';
import { OpenLogs } from './chats/open-logs.ts';
import { OutsideChanges } from './chats/outside-changes.ts';
import { CopyMerges } from './chats/merge-copies.ts';
import { OwnStates } from './chats/own-states.ts';
import { HandedRevisions } from './chats/handed-revisions.ts';
import { OwnWrites } from './chats/own-writes.ts';
import { RecoveryOps } from './chats/recovery-ops.ts';
import type { ImportChatInput, ImportStreamInput, ImportStreamOptions } from './import-chat.ts';
import { Layout, LEGACY_OWN_VERSIONS } from './layout.ts';
import { writeStignoreIfAbsent } from './stignore.ts';
import { DirLock } from './lock.ts';
import { refuseLegacyHolder } from './lock/legacy-lock.ts';
import { logged, nullOpLog } from './oplog-sink.ts';
import type { BackupSummary, RepairResult, TrashedChat } from './recovery.ts';
import type { SearchResult } from './search.ts';
import type { AppVersion, ChatStore, ChatStoreOptions, DiscoveredChat } from './types.ts';
import type { ValidationReport } from './validate.ts';

/**
 * Before per-device folders the app kept its own versions of outside-changed chats in
 * `<data>/.own-versions`: the first device to open the folder after the upgrade takes them over
 * (a rename, under its lock; never over a folder of its own). The old index and caches are rebuilt.
 */
async function adoptLegacyOwnVersions(fs: FsSeam, layout: Layout): Promise<void> {
  const legacy = join(layout.dataDir, LEGACY_OWN_VERSIONS);
  if (!existsSync(legacy)) return; // the usual case, told without an error object (a fresh process pays for its first ones)
  if (!(await fs.stat(legacy).then((s) => s.isDirectory(), () => false))) return;
  if (await fs.stat(layout.ownVersionsDir).then(() => true, () => false)) return;
  try {
    await fs.rename(legacy, layout.ownVersionsDir);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return; // taken by another device meanwhile
    throw ioError(e, 'moving the app versions kept by an earlier version');
  }
  await fsyncDir(layout.deviceDir);
  await fsyncDir(layout.dataDir);
}

export async function openChatStore(options: ChatStoreOptions): Promise<ChatStore> {
  if (typeof options?.dataDir !== 'string' || options.dataDir.length === 0) throw new StoreError('INVALID_INPUT', 'dataDir is required');
  const disk = options.fs ?? nodeFs;
  const layout = new Layout(options.dataDir);
  try {
    // Private to the user (0700) when we create it; an existing folder keeps its mode.
    await mkdirDurable(layout.dataDir, { mode: 0o700, fs: disk });
    // Side by side (each usually one stat): the device folder holds the lock and this device's caches.
    await Promise.all([mkdirDurable(layout.chatsDir, { fs: disk }), mkdirDurable(layout.deviceDir, { mode: 0o700, fs: disk })]);
    writeStignoreIfAbsent(layout.dataDir);
  } catch (e) {
    throw ioError(e, `creating the data directory ${options.dataDir}`);
  }
  const oplog = options.oplog ?? nullOpLog;
  await refuseLegacyHolder(layout.dataDir); // an older version still running here: it would write beside us
  const lock = await logged(oplog, 'lock', undefined, () => DirLock.acquire(layout.lockFile, options.lock, disk));
  // A lock left behind means the previous run did not end cleanly: it may have written past
  // what it persisted (see chats/own-states.ts).
  const endedCleanly = !lock.foundAtStart;
  // The lock is made durable in the background (a read needs no fsync): every write of the store
  // waits for it, so a power cut never leaves bytes of this run without the lock that says it crashed.
  const fs = holdWritesUntil(disk, () => lock.whenDurable());
  try {
    await removePartialCopies(fs, layout);
    await adoptLegacyOwnVersions(fs, layout);
    const persisted = await ChatIndex.read(fs, layout.indexFile);
    // The index remembers each chat's folder: a copy of a chat file in another folder does not take its id.
    const chats = await discoverChats(fs, layout, (id) => persisted?.entries.get(id)?.summary.characterId);
    const ownStates = OwnStates.load(persisted?.writes, endedCleanly);
    const index = new ChatIndex(fs, layout.indexFile, (id) => chats.get(id)?.path, options.indexFlushDelayMs, () => ownStates.toJSON((id) => chats.has(id)), () => lock.fence());
    ownStates.onChange = () => index.markChanged();
    const handed = HandedRevisions.load(persisted?.revisions);
    handed.onChange = () => index.markChanged();
    await adoptPersistedIndex(fs, chats, index, persisted?.entries ?? null);
    const store = new FileChatStore(newContext(fs, layout, lock, chats, index, ownStates, handed, options), options);
    await store.loadOwnVersions();
    store.startIndexing();
    return store;
  } catch (e) {
    await lock.release();
    throw ioError(e, 'opening the chat store');
  }
}

class FileChatStore implements ChatStore {
  readonly dataDir: string;
  private readonly ctx: StoreContext;
  private readonly own: OwnWrites;
  private readonly keeper: IndexKeeper;
  private readonly reads: ChatReads;
  private readonly messages: MessageWrites;
  private readonly writes: ChatWrites;
  private readonly compaction: ChatCompaction;
  private readonly recovery: RecoveryOps;
  private readonly outside: OutsideChanges;
  private readonly merges: CopyMerges;
  private readonly lifecycle: Lifecycle;

  constructor(ctx: StoreContext, options: ChatStoreOptions) {
    this.ctx = ctx;
    this.dataDir = ctx.layout.dataDir;
    const logs = new OpenLogs(ctx);
    // index.json keeps the revisions handed out, as the open logs stand at each flush.
    ctx.index.revisions = () => {
      logs.noteRevisions();
      return ctx.handed.toJSON((id) => ctx.chats.has(id));
    };
    this.own = new OwnWrites(ctx, logs);
    logs.ownVersions = this.own.versions;
    const tasks = new ChatTasks(ctx, logs, this.own);
    this.keeper = new IndexKeeper(ctx, tasks, options.onIndexProgress);
    const parts = { ctx, tasks, logs, keeper: this.keeper };
    this.reads = new ChatReads(parts);
    this.messages = new MessageWrites(parts);
    this.writes = new ChatWrites(parts);
    this.compaction = new ChatCompaction(parts);
    this.recovery = new RecoveryOps(parts);
    this.outside = new OutsideChanges(ctx, logs, this.own, this.keeper);
    this.merges = new CopyMerges(ctx, logs, this.keeper);
    this.lifecycle = new Lifecycle(ctx, logs, this.keeper, this.compaction);
    // Every change to a chat passes through its index entry: the listeners hear of it there. A
    // listener's failure never reaches the write that told it.
    ctx.index.onChange = (chatId, outside) => {
      for (const listener of ctx.changeListeners) {
        try {
          listener(chatId, { outside });
        } catch (e) {
          console.error('a chat change listener failed:', e);
        }
      }
    };
  }

  /** What an earlier run kept of the chats it wrote (see own-versions.ts). */
  loadOwnVersions(): Promise<void> {
    return this.own.versions.load();
  }

  startIndexing(): void {
    this.keeper.startIndexing();
  }

  // ---- chats ----
  createChat(input: CreateChatInput): Promise<ChatSummary> {
    return this.writes.createChat(input);
  }
  listChats(characterId: string): Promise<ChatSummary[]> {
    return this.reads.listChats(characterId);
  }
  listAllChats(): Promise<ChatSummary[]> {
    return this.reads.listAllChats();
  }
  whenIndexed(): Promise<void> {
    return this.keeper.whenIndexed();
  }
  getChat(chatId: string): Promise<ChatSummary> {
    return this.reads.getChat(chatId);
  }
  loadChat(chatId: string, options?: LoadOptions): Promise<ChatPage> {
    return this.reads.loadChat(chatId, options);
  }
  searchChat(chatId: string, query: string, limit?: number, offset?: number): Promise<SearchResult> {
    return this.reads.searchChat(chatId, query, limit, offset);
  }
  renameChat(chatId: string, title: string, opts?: WriteOptions): Promise<ChatSummary> {
    return this.writes.renameChat(chatId, title, opts);
  }
  updateChatMetadata(chatId: string, patch: Record<string, unknown>, opts?: WriteOptions): Promise<ChatSummary> {
    return this.writes.updateChatMetadata(chatId, patch, opts);
  }
  getChatMetadata(chatId: string): Promise<Record<string, unknown>> {
    return this.reads.getChatMetadata(chatId);
  }
  deleteChat(chatId: string, opts?: WriteOptions): Promise<void> {
    return this.writes.deleteChat(chatId, opts);
  }
  branchChat(chatId: string, messageId: string, options?: { title?: string }): Promise<ChatSummary> {
    return this.writes.branchChat(chatId, messageId, options);
  }

  importChat(input: ImportChatInput): Promise<ChatSummary> {
    return this.writes.importChat(input);
  }
  importChatStream(input: ImportStreamInput, opts?: ImportStreamOptions): Promise<ChatSummary> {
    return this.writes.importChatStream(input, opts);
  }
  compactChat(chatId: string, opts?: WriteOptions): Promise<ChatSummary> {
    return this.compaction.compactChat(chatId, opts);
  }

  // ---- messages ----
  appendMessage(chatId: string, message: NewMessageInput, opts?: WriteOptions): Promise<Message> {
    return this.messages.appendMessage(chatId, message, opts);
  }
  appendMessages(chatId: string, messages: NewMessageInput[], opts?: WriteOptions): Promise<Message[]> {
    return this.messages.appendMessages(chatId, messages, opts);
  }
  appendText(chatId: string, messageId: string, text: string, status?: Message['status'], opts?: WriteOptions): Promise<Message> {
    return this.messages.appendText(chatId, messageId, text, status, opts);
  }
  updateMessage(chatId: string, messageId: string, patch: MessagePatch, opts?: WriteOptions): Promise<Message> {
    return this.messages.updateMessage(chatId, messageId, patch, opts);
  }
  deleteMessage(chatId: string, messageId: string, opts?: WriteOptions): Promise<void> {
    return this.messages.deleteMessage(chatId, messageId, opts);
  }

  // ---- recovery ----
  validateChat(chatId: string): Promise<ValidationReport> {
    return this.recovery.validateChat(chatId);
  }
  repairChat(chatId: string): Promise<RepairResult> {
    return this.recovery.repairChat(chatId);
  }
  listBackups(chatId: string): Promise<BackupSummary[]> {
    return this.recovery.listBackups(chatId);
  }
  restoreBackup(chatId: string, backupId: string): Promise<{ undoBackupId: string | null }> {
    return this.recovery.restoreBackup(chatId, backupId);
  }
  listDeletedChats(): Promise<TrashedChat[]> {
    return this.recovery.listDeletedChats();
  }
  undeleteChat(chatId: string, trashId?: string): Promise<ChatSummary> {
    return this.recovery.undeleteChat(chatId, trashId);
  }

  // ---- changes made outside the app (the watcher calls these; see electron/watcher/) ----
  chatIdForPath(path: string): string | null {
    return chatIdForPath(this.ctx, path);
  }
  isOwnState(chatId: string, st: { dev: bigint | number; ino: bigint | number; size: bigint | number; mtimeNs?: bigint }): boolean {
    return this.own.isOwnState(chatId, st);
  }
  isOwnStateNow(chatId: string): Promise<boolean> {
    return this.own.isOwnStateNow(chatId);
  }
  refreshChat(chatId: string, characterId?: string): Promise<ChatSummary | null> {
    return this.outside.refreshChat(chatId, characterId);
  }
  appVersions(chatId: string): Promise<AppVersion[]> {
    return this.outside.appVersions(chatId);
  }

  mergeMessagesBack(chatId: string, messages: Message[]): Promise<{ summary: ChatSummary; merged: number }> {
    return this.merges.mergeBack(chatId, messages);
  }
  ownVersionPending(chatId: string): Promise<boolean> {
    return this.outside.ownVersionPending(chatId);
  }
  ownVersionToCompareNow(chatId: string): Promise<boolean> {
    return this.outside.ownVersionToCompareNow(chatId);
  }
  chatsToCompare(): string[] {
    return this.own.versions.pendingPaths();
  }
  forgetIfGone(chatId: string): Promise<boolean> {
    return this.outside.forgetIfGone(chatId);
  }
  discoverChat(path: string, options?: { seen?: (sha256: string) => Promise<boolean> }): Promise<DiscoveredChat> {
    return discoverChat(this.ctx, { getChat: (id) => this.getChat(id), importChat: (input) => this.importChat(input), merges: this.merges }, path, options);
  }

  // ---- lifecycle ----
  whenLockLost(): Promise<StoreError> {
    return this.ctx.lock.lost;
  }
  onChatGone(listener: (chatId: string, characterId: string) => void): () => void {
    this.ctx.goneListeners.add(listener);
    return () => this.ctx.goneListeners.delete(listener);
  }
  onChatChanged(listener: (chatId: string, change: { outside: boolean }) => void): () => void {
    this.ctx.changeListeners.add(listener);
    return () => this.ctx.changeListeners.delete(listener);
  }
  flush(): Promise<void> {
    return this.lifecycle.flush();
  }
  close(): Promise<void> {
    return this.lifecycle.close();
  }
}

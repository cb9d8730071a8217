// What every part of the chat store shares: the file-system seam and layout, the data-directory
// lock, the list of chats, one write queue per chat, the chat index, what is remembered of each
// chat, which files the store wrote last, and whether the store is closed. Made once at open
// (store.ts) and handed to each part; the parts hold the behaviour, this holds only state.
import { StoreError } from '../../../shared/errors.ts';
import type { FsSeam } from '../../durable/fs-seam.ts';
import type { ChatIndex } from '../chat-index.ts';
import { PositionCache } from '../positions/position-cache.ts';
import type { Layout } from '../layout.ts';
import { LiveMessages } from '../live.ts';
import type { DirLock } from '../lock.ts';
import type { ChatMemo } from '../log/chat-memo.ts';
import { nullOpLog, type OpLogSink } from '../oplog-sink.ts';
import type { ChatStoreOptions } from '../types.ts';
import { KeyedQueue } from '../write-queue.ts';
import type { OwnStates } from './own-states.ts';
import type { HandedRevisions } from './handed-revisions.ts';

export interface ChatLocation {
  characterId: string;
  path: string;
}

export interface StoreContext {
  readonly fs: FsSeam;
  readonly layout: Layout;
  /** The data-directory lock, held from open until close. */
  readonly lock: DirLock;
  /** Every chat the store lists, by id. */
  readonly chats: Map<string, ChatLocation>;
  /** Every chat's summary (chat-index.ts); chats without an entry are being (re)indexed. */
  readonly index: ChatIndex;
  /** Per-chat position indexes: where each message's line is (a cache, positions/). */
  readonly positions: PositionCache;
  /** Serialises the work on each chat: bytes of concurrent calls never interleave. */
  readonly queue: KeyedQueue;
  /** Survives the eviction of a chat's log (see ChatMemo). */
  readonly memos: Map<string, ChatMemo>;
  /** The file state after the store's last own write of each chat (persisted in index.json). */
  readonly ownStates: OwnStates;
  /** The revision last handed out per chat, persisted (handed-revisions.ts). */
  readonly handed: HandedRevisions;
  /** Messages this session stores as `streaming` (see live.ts). */
  readonly live: LiveMessages;
  readonly oplog: OpLogSink;
  readonly now: () => number;
  /** Backups kept per chat besides the generational ones. */
  readonly retention: number;
  readonly compactRatio: number;
  readonly compactMinBytes: number;
  /** Told of each chat that left the list because its file was deleted outside the app, whichever call found it gone. */
  readonly goneListeners: Set<(chatId: string, characterId: string) => void>;
  /** Told (synchronously, inside the write) of each chat whose file or listing changed: see ChatStore.onChatChanged. */
  readonly changeListeners: Set<(chatId: string, change: { outside: boolean }) => void>;
  /** Set when close() begins: later calls fail CLOSED. */
  closed: boolean;
}

export function newContext(fs: FsSeam, layout: Layout, lock: DirLock, chats: Map<string, ChatLocation>, index: ChatIndex, ownStates: OwnStates, handed: HandedRevisions, options: ChatStoreOptions): StoreContext {
  return {
    fs,
    layout,
    lock,
    chats,
    index,
    positions: new PositionCache(fs, layout.positionsDir, () => lock.fence(), options.positionsFlushDelayMs),
    queue: new KeyedQueue(),
    memos: new Map(),
    ownStates,
    handed,
    live: new LiveMessages(),
    oplog: options.oplog ?? nullOpLog,
    now: options.now ?? Date.now,
    retention: options.backupRetention ?? 5,
    compactRatio: options.compactRatio ?? 0.5,
    compactMinBytes: options.compactMinBytes ?? 64 * 1024,
    goneListeners: new Set(),
    changeListeners: new Set(),
    closed: false,
  };
}

export function assertOpen(ctx: StoreContext): void {
  if (ctx.closed) throw new StoreError('CLOSED', 'the chat store is closed');
}

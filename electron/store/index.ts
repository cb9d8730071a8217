// Public entry of the chat store. Pure Node: nothing under electron/store imports electron.
export { openChatStore } from './store.ts';
export type { ChatStore, ChatStoreOptions } from './types.ts';
export type { IndexProgress } from './chat-index.ts';
export type { LockOptions, LockWait } from './lock.ts';
export { tellOnceWhileWaiting } from './lock.ts';
export type { FsSeam } from '../durable/fs-seam.ts';
export { nodeFs } from '../durable/fs-seam.ts';
export { readFullState } from './compaction.ts';
export { StoreError, isStoreError, toErrorInfo, type ErrorCode, type ErrorInfo } from '../../shared/errors.ts';
export type { OpKind, OpLogSink, OpRecord } from './oplog-sink.ts';
export type { BackupSummary, RepairResult, TrashedChat } from './recovery.ts';
export { planRepair, validateBuffer, type Problem, type ProblemKind, type ValidationReport } from './validate.ts';

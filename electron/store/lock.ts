// The data-directory lock (electron/store/lock/): one writer per data folder, fenced by a lease.
export { DirLock, tellOnceWhileWaiting, type LockOptions, type LockWait } from './lock/dir-lock.ts';

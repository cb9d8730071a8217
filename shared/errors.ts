// Typed errors shared by the store, the IPC binding and the renderer.
// Pure TypeScript: no node:, DOM or electron imports.

export const ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'LOCKED',
  /**
   * This process may no longer hold the data-folder lock (it was paused or asleep past the
   * heartbeat, and another process took the folder over): it refuses every write from then on.
   */
  'LOCK_LOST',
  'CONFLICT',
  'CORRUPT',
  'READ_ONLY',
  'IO_ERROR',
  'DISK_FULL',
  'TOO_LARGE',
  'CLOSED',
  /** The caller cancelled the operation (an import): nothing of it was kept. */
  'CANCELLED',
  /** The caller is not allowed to make this call (an IPC sender we did not create). */
  'FORBIDDEN',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  /** Extra, serialisable facts: the lock holder's pid, the errno, the offending field. */
  details?: Record<string, unknown>;
}

export class StoreError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreError';
    this.code = code;
    if (details) this.details = details;
  }

  toJSON(): ErrorInfo {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isStoreError(e: unknown): e is StoreError {
  return e instanceof StoreError;
}

/**
 * Any thrown value becomes an ErrorInfo for the renderer. Raw failures are never forwarded as
 * they are: their messages carry absolute paths and internals. Log the original main-side.
 */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (isStoreError(e)) return e.toJSON();
  const errno = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : '';
  if (errno === 'ENOSPC' || errno === 'EDQUOT') return { code: 'DISK_FULL', message: 'The disk is full. Nothing saved was lost; free some space and retry.', details: { errno } };
  if (/^E[A-Z]+$/.test(errno)) return { code: 'IO_ERROR', message: `A file operation failed (${errno}).`, details: { errno } };
  return { code: 'INTERNAL', message: 'An internal error occurred; the details are in the app log.' };
}

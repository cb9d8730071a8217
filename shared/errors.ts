// Typed errors shared by the store, the IPC binding and the renderer.
// Pure TypeScript: no node:, DOM or electron imports.

export const ERROR_CODES = [
  'NOT_FOUND',
  'INVALID_INPUT',
  'LOCKED',
  'CONFLICT',
  'CORRUPT',
  'READ_ONLY',
  'IO_ERROR',
  'DISK_FULL',
  'TOO_LARGE',
  'CLOSED',
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

/** Any thrown value becomes an ErrorInfo; unknown failures are INTERNAL, never leaked raw. */
export function toErrorInfo(e: unknown): ErrorInfo {
  if (isStoreError(e)) return e.toJSON();
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

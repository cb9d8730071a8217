// The operations-log sink the store writes to: one structured record per file operation.
// Pure types and a no-op default; the app layers pass a real logger (electron/oplog/).
// Records never carry message text: ids, byte counts, durations and outcomes only.

export type OpKind = 'open' | 'append' | 'rewrite' | 'rename' | 'backup' | 'restore' | 'repair' | 'quarantine' | 'lock' | 'unlock' | 'import' | 'validate' | 'undelete' | 'delete';

export interface OpRecord {
  op: OpKind;
  chatId?: string;
  bytes?: number;
  durationMs: number;
  outcome: 'ok' | 'error';
  /** StoreError code (or errno) when the outcome is an error. */
  code?: string;
  /** Short machine-readable facts: a backup id, a line count. Never message text. */
  detail?: Record<string, string | number | boolean>;
}

export interface OpLogSink {
  /** Must not block or throw: called on the append path. */
  record(rec: OpRecord): void;
}

export const nullOpLog: OpLogSink = { record() {} };

/** Times `fn` and records its outcome; the error is rethrown untouched. */
export async function logged<T>(sink: OpLogSink, op: OpKind, chatId: string | undefined, fn: () => Promise<T>, bytes?: (r: T) => number | undefined): Promise<T> {
  const t0 = performance.now();
  try {
    const r = await fn();
    const b = bytes?.(r);
    sink.record({ op, ...(chatId ? { chatId } : {}), ...(b !== undefined ? { bytes: b } : {}), durationMs: round(performance.now() - t0), outcome: 'ok' });
    return r;
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : 'ERROR';
    sink.record({ op, ...(chatId ? { chatId } : {}), durationMs: round(performance.now() - t0), outcome: 'error', code });
    throw e;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

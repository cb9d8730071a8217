// The one deferred-write mechanism of the main process: stream checkpoints, drafts and any other
// write that may wait. Writes are coalesced per key (the newest writer wins), run at most once per
// interval per key (a trailing timer started by the first change), never twice at once for a key,
// and flushed at once on significant events (`flush()` / `flush(key)`).
// A failed write keeps its key dirty: it is retried on the next interval and reported, never dropped.
// At quit, `close()` refuses new changes (CLOSED) and writes every pending one: a change that was
// accepted is on disk when close resolves, and one that was not accepted was refused.
import { StoreError } from '../../shared/errors.ts';

/** Injected time, so tests and the bench can simulate minutes of streaming instantly. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export const DEFAULT_AUTOSAVE_MS = 1000;

export interface DebouncerOptions {
  /** Read at every scheduling, so a changed setting applies to the next write. */
  intervalMs?: () => number;
  clock?: Clock;
  /** A write that failed on the timer (nobody awaits it): log it, tell the user. */
  onError?: (key: string, error: StoreError) => void;
}

export interface Debouncer {
  /**
   * Marks `key` dirty; `write` persists its newest state when the key's timer fires or on flush.
   * Throws CLOSED once `close()` was called: the change must not be acknowledged.
   */
  set(key: string, write: () => Promise<void>): void;
  /** Writes every dirty key (or one) now. Rejects with the first failure; failed keys stay dirty. */
  flush(key?: string): Promise<void>;
  /** Drops a key without writing (its target is gone). */
  discard(key: string): void;
  /** Keys with an unwritten change. */
  dirtyKeys(): string[];
  /** Resolves when no write is in progress (timers may still be armed). */
  idle(): Promise<void>;
  /** Stops the timers; pending changes stay until a final flush. */
  dispose(): void;
  /**
   * For quit: from now on every `set` throws CLOSED; then writes every pending change and stops
   * the timers. Rejects with the first failure; the failed changes stay pending (and retried on
   * their interval), so calling it again retries.
   */
  close(): Promise<void>;
}

interface Slot {
  write: () => Promise<void>;
  dirty: boolean;
  timer: unknown;
  /** The write in progress; the next one waits for it. */
  tail: Promise<void>;
}

function typed(e: unknown): StoreError {
  return e instanceof StoreError ? e : new StoreError('IO_ERROR', `a deferred write failed: ${(e as Error)?.message ?? String(e)}`);
}

export function createDebouncer(opts: DebouncerOptions = {}): Debouncer {
  const clock = opts.clock ?? realClock;
  const interval = () => {
    const ms = opts.intervalMs?.() ?? DEFAULT_AUTOSAVE_MS;
    return Number.isFinite(ms) && ms >= 0 ? ms : DEFAULT_AUTOSAVE_MS;
  };
  const slots = new Map<string, Slot>();
  let disposed = false;
  /** close() was called: no change is accepted any more. */
  let sealed = false;

  function arm(key: string, slot: Slot): void {
    if (slot.timer !== undefined || disposed) return;
    slot.timer = clock.setTimeout(() => {
      slot.timer = undefined;
      run(key, slot).catch((e: unknown) => opts.onError?.(key, typed(e)));
    }, interval());
  }

  function run(key: string, slot: Slot): Promise<void> {
    const next = slot.tail.then(async () => {
      if (!slot.dirty) return;
      slot.dirty = false;
      try {
        await slot.write();
      } catch (e) {
        slot.dirty = true; // keep the change; try again on the next interval
        arm(key, slot);
        throw typed(e);
      }
      if (!slot.dirty && slot.timer === undefined && slots.get(key) === slot) slots.delete(key);
    });
    slot.tail = next.catch(() => undefined);
    return next;
  }

  function cancelTimer(slot: Slot) {
    if (slot.timer !== undefined) clock.clearTimeout(slot.timer);
    slot.timer = undefined;
  }

  async function flushAll(key?: string): Promise<void> {
    const targets = key === undefined ? [...slots] : slots.has(key) ? [[key, slots.get(key)!] as const] : [];
    const results = await Promise.allSettled(
      targets.map(([k, slot]) => {
        cancelTimer(slot);
        return run(k, slot);
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  return {
    set(key, write) {
      if (sealed) throw new StoreError('CLOSED', 'the app is quitting; this change was not saved');
      let slot = slots.get(key);
      if (!slot) slots.set(key, (slot = { write, dirty: true, timer: undefined, tail: Promise.resolve() }));
      slot.write = write;
      slot.dirty = true;
      arm(key, slot);
    },
    flush: flushAll,
    discard(key) {
      const slot = slots.get(key);
      if (!slot) return;
      cancelTimer(slot);
      slot.dirty = false;
      slots.delete(key);
    },
    dirtyKeys: () => [...slots].filter(([, s]) => s.dirty).map(([k]) => k),
    async idle() {
      await Promise.all([...slots.values()].map((s) => s.tail));
    },
    dispose() {
      disposed = true;
      for (const slot of slots.values()) cancelTimer(slot);
    },
    async close() {
      sealed = true;
      // Nothing can be dirtied after the seal, so one flush (which waits for writes in progress)
      // leaves every key written or failed.
      await flushAll();
      disposed = true;
      for (const slot of slots.values()) cancelTimer(slot);
    },
  };
}

// Long CPU work in the main process (reading or importing a big foreign file) is written as a
// generator that yields after each small step (a line, a message, a MiB). Run at once it is the
// plain synchronous function; run in slices it hands the event loop back every few milliseconds,
// so the UI and other chats' saves are served while it works.

/** Wall time a slice may run before the event loop gets its turn. */
export const SLICE_MS = 5;

export type Steps<T> = Generator<void, T, undefined>;

/** All steps now, synchronously (the callers that need the result at once). */
export function runAtOnce<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The steps in slices of about `sliceMs`, with a turn of the event loop (setImmediate: pending
 * I/O first) between slices. `check` runs after each turn and may throw to stop the work (e.g. the
 * store closed meanwhile); the generator is then closed, so its `finally` blocks run.
 */
export async function runSliced<T>(steps: Steps<T>, opts: { sliceMs?: number; check?: () => void } = {}): Promise<T> {
  const budget = opts.sliceMs ?? SLICE_MS;
  let until = performance.now() + budget;
  try {
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      if (performance.now() >= until) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        opts.check?.();
        until = performance.now() + budget;
      }
    }
  } finally {
    steps.return(undefined as never);
  }
}

/**
 * runSliced for async work (an import that reads and writes files as it goes): the loop asks
 * `due()` after each small step and, when its slice is used up, awaits `turn()`, which hands the
 * event loop back and then runs `check` (which may throw to stop: the store closed, a cancel).
 */
export class TimeSlicer {
  private readonly budget: number;
  private readonly check: (() => void) | undefined;
  private until: number;

  constructor(opts: { sliceMs?: number; check?: () => void } = {}) {
    this.budget = opts.sliceMs ?? SLICE_MS;
    this.check = opts.check;
    this.until = performance.now() + this.budget;
  }

  due(): boolean {
    return performance.now() >= this.until;
  }

  async turn(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.check?.();
    this.until = performance.now() + this.budget;
  }

  /** A turn only if the slice is used up. */
  async maybeTurn(): Promise<void> {
    if (this.due()) await this.turn();
  }
}

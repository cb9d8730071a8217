// Every plain-Node entry (browser host, CLI) flushes before it exits on SIGINT, SIGTERM or
// SIGHUP. A listener replaces Node's default exit, so we exit ourselves once the flush is
// done. A failed or timed-out flush is never silent: console error and exit code 1.
// A second signal exits at once (130), for a user who really wants out; one within a
// second of the first is taken for the same request delivered twice (under npm the server
// gets both npm's hang-up and our parent watch), not a plea to skip the flush.
const REPEAT_GRACE_MS = 1_000;
export const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface FlushOnSignalsOptions {
  /** Read when the signal arrives, so a changed setting applies. */
  timeoutMs: () => number;
  /** Printed after a successful flush. */
  doneMessage?: string;
  exit?: (code: number) => void;
}

export function flushOnSignals(flush: () => Promise<void>, opts: FlushOnSignalsOptions): () => void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let signalled = false;
  let firstAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled && Date.now() - firstAt < REPEAT_GRACE_MS) return;
    if (signalled) {
      console.error(`second ${sig}: exiting without waiting for the flush`);
      exit(130);
      return;
    }
    signalled = true;
    firstAt = Date.now();
    const timeoutMs = opts.timeoutMs();
    console.error(`CardShark: ${sig} received; saving before exit (up to ${timeoutMs} ms)…`);
    const timer = setTimeout(() => {
      console.error(`CardShark: saving did not finish within ${timeoutMs} ms; exiting. Unsaved changes may be lost.`);
      exit(1);
    }, timeoutMs);
    flush().then(
      () => {
        clearTimeout(timer);
        if (opts.doneMessage) console.log(opts.doneMessage);
        exit(0);
      },
      (e: unknown) => {
        clearTimeout(timer);
        const err = e as { code?: string; message?: string };
        console.error(`CardShark: saving before exit FAILED [${err?.code ?? 'ERROR'}] ${err?.message ?? String(e)}. Unsaved changes may be lost.`);
        exit(1);
      },
    );
  };
  for (const sig of EXIT_SIGNALS) process.on(sig, onSignal);
  return () => {
    for (const sig of EXIT_SIGNALS) process.off(sig, onSignal);
  };
}

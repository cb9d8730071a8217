// The one way the Electron shell quits: flush (bounded) → quit, whatever asked for it
// (before-quit, Windows session end, system shutdown, a signal). Pure logic, no electron
// import: entry/main.ts supplies quit() and the failure prompt.
export type QuitState = 'running' | 'flushing' | 'done';

export interface QuitFlowDeps {
  /** services.shutdown(): the single flush entry point; retryable after a failure. */
  flush(): Promise<void>;
  /** Read when a flush starts (the quit-flush timeout setting). */
  timeoutMs(): number;
  /** Called once, after the flush succeeded or the user chose to quit anyway. */
  quit(): void;
  /** A flush failed or timed out: ask the user (Electron: a dialog). */
  askOnFailure(problem: { timedOut: boolean; message: string }): Promise<'retry' | 'quit'>;
  log?(message: string): void;
}

export interface QuitFlow {
  readonly state: QuitState;
  /** For `before-quit`: lets the quit through once flushed, else prevents it and starts the flush. */
  beforeQuit(preventDefault: () => void, reason?: string): void;
  /** Starts the flush if none runs; a second request during the flush joins the first. */
  start(reason: string): Promise<void>;
}

export function createQuitFlow(deps: QuitFlowDeps): QuitFlow {
  let state: QuitState = 'running';
  let running: Promise<void> | undefined;

  async function attempt(): Promise<{ timedOut: boolean; message: string } | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = deps.timeoutMs();
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    try {
      const r = await Promise.race([deps.flush().then(() => 'ok' as const), timeout]);
      return r === 'ok' ? undefined : { timedOut: true, message: `Saving did not finish within ${Math.round(timeoutMs / 1000)} s.` };
    } catch (e) {
      const err = e as { code?: string; message?: string };
      return { timedOut: false, message: `${err?.code ? `[${err.code}] ` : ''}${err?.message ?? String(e)}` };
    } finally {
      clearTimeout(timer);
    }
  }

  function start(reason: string): Promise<void> {
    if (running) return running;
    state = 'flushing';
    deps.log?.(`CardShark: saving before quit (${reason})`);
    running = (async () => {
      for (;;) {
        const problem = await attempt();
        if (!problem) break;
        deps.log?.(`CardShark: saving before quit failed: ${problem.message}`);
        // Pending state stays in memory until the user decides; never a silent exit.
        if ((await deps.askOnFailure(problem).catch(() => 'quit' as const)) === 'quit') break;
        deps.log?.('CardShark: retrying the save');
      }
      state = 'done';
      deps.quit();
    })();
    return running;
  }

  return {
    get state() {
      return state;
    },
    beforeQuit(preventDefault, reason = 'before-quit') {
      if (state === 'done') return;
      preventDefault();
      void start(reason);
    },
    start,
  };
}

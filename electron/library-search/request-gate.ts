// The user's requests go first. Background indexing (the library search's check of every chat at
// start-up and its index build) runs on the main thread in slices; before each slice it waits
// until no request of a window is in flight and none ended a moment ago, so the first open of a
// big chat right after start-up does not take turns with the build. Never forever: after
// MAX_WAIT_MS of steady requests a slice runs anyway (the index must not starve).
const QUIET_MS = 150;
const POLL_MS = 25;
const MAX_WAIT_MS = 2_000;

export interface RequestGate {
  /** A request started; call the function returned when it has ended. */
  begin(): () => void;
  /** Resolves once no request is in flight and none ended in the last QUIET_MS (or after MAX_WAIT_MS). */
  quiet(): Promise<void>;
}

export function createRequestGate(quietMs = QUIET_MS, maxWaitMs = MAX_WAIT_MS): RequestGate {
  let inFlight = 0;
  let lastEnd = -Infinity;
  const isQuiet = () => inFlight === 0 && performance.now() - lastEnd >= quietMs;
  return {
    begin() {
      inFlight++;
      let ended = false;
      return () => {
        if (ended) return;
        ended = true;
        inFlight--;
        lastEnd = performance.now();
      };
    },
    async quiet() {
      const since = performance.now();
      while (!isQuiet() && performance.now() - since < maxWaitMs) await new Promise((r) => setTimeout(r, POLL_MS));
    },
  };
}

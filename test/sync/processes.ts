// Every process the sync harness starts, so none outlives the test run: each is stopped by its own
// test's cleanup; whatever is left when this process exits (a failed test, a timeout) is SIGKILLed here.
const live = new Set<number>();

export function trackProcess(pid: number): void {
  live.add(pid);
}
export function untrackProcess(pid: number): void {
  live.delete(pid);
}

process.once('exit', () => {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

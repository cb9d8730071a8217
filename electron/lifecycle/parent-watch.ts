// npm runs a script through `sh -c`; dash does not exec the command, and a SIGTERM that npm
// passes on kills that shell but never reaches us: we would linger, orphaned, holding the
// data-dir lock. So when started by npm, a parent that goes away counts as a SIGTERM
// (our signal handlers then flush and exit). Not used otherwise: a user may daemonize us.
export function exitWithParent(intervalMs = 200): void {
  if (process.platform === 'win32' || !process.env.npm_lifecycle_event) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, 'SIGTERM');
  }, intervalMs);
  timer.unref();
}

// Child processes for the second-writer and crash tests: the store in a process of its own (to be
// SIGKILLed; store-child.ts) and its stdout read one line at a time.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const STORE_CHILD = fileURLToPath(new URL('./store-child.ts', import.meta.url));

/** Lines from a child's stdout, one at a time. */
export function stdoutLines(child: ChildProcessWithoutNullStreams): () => Promise<string> {
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  let buf = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const w = waiting.shift();
      if (w) w(l);
      else queue.push(l);
    }
  });
  return () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r)));
}

export interface StoreProcess {
  /** A ChatStore call in the child: its result ({ ok }) or error code ({ error }); `{ torn: true }` for a torn append. */
  call(op: string, ...args: unknown[]): Promise<{ ok?: any; error?: string; torn?: boolean }>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
}

export interface StoreProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** A command the node process is run under (e.g. `unshare --uts …`): it ends with the command to exec. */
  wrap?: readonly string[];
}

/** The store opened in a child process on `dataDir` (index.json flushed every `flushMs`, if given). */
export async function startStoreProcess(dataDir: string, flushMs?: number, opts: StoreProcessOptions = {}): Promise<StoreProcess> {
  const argv = [process.execPath, STORE_CHILD, dataDir, ...(flushMs ? [String(flushMs)] : [])];
  const [cmd, ...args] = [...(opts.wrap ?? []), ...argv];
  const child = spawn(cmd!, args, opts.env ? { env: opts.env } : {});
  const next = stdoutLines(child);
  const first = JSON.parse(await next()) as { ok?: string };
  if (first.ok !== 'open') throw new Error(`the store process did not open: ${JSON.stringify(first)}`);
  return {
    async call(op, ...args) {
      child.stdin.write(`${JSON.stringify({ op, args })}\n`);
      return JSON.parse(await next());
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

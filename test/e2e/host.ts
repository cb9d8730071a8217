// Test helper: runs the browser host as a child process on a given data dir.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

export interface RunningHost {
  url: string;
  origin: string;
  token: string;
  proc: ChildProcess;
  output: () => string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function tempRoot(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'cardshark-e2e-'));
}

export interface HostProcessOptions {
  /** Run the host under this RLIMIT_NOFILE (`ulimit -n` in a shell that then execs node). */
  maxOpenFiles?: number;
}

export async function startHost(dataDir: string, env: Record<string, string> = {}, opts: HostProcessOptions = {}): Promise<RunningHost> {
  const nodeArgs = [path.join(ROOT, 'electron/host/cli.ts'), '--data-dir', dataDir];
  const [command, args] =
    opts.maxOpenFiles === undefined
      ? [process.execPath, nodeArgs]
      : ['bash', ['-c', `ulimit -n ${opts.maxOpenFiles} && exec "$0" "$@"`, process.execPath, ...nodeArgs]];
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, CARDSHARK_DEMO_PACE_MS: '5', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${out}`)), 15_000);
    const check = () => {
      const m = /CardShark is running at (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', () => reject(new Error(`host exited early:\n${out}`)));
  });
  const u = new URL(url);
  return {
    url,
    origin: u.origin,
    token: u.hash.replace('#token=', ''),
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}

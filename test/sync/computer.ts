// One "computer" of the sync tests: the app's browser host (electron/host/cli.ts) in its own UTS and
// PID namespace (`unshare --uts --pid --fork --mount-proc`) with its own hostname, on its own copy of
// the synced data folder, driven over the host's WebSocket as a window would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { ROOT } from '../e2e/host.ts';
import { trackProcess, untrackProcess } from './processes.ts';

const HOST_CLI = join(ROOT, 'electron', 'host', 'cli.ts');

/** Why the two-computer tests cannot run here, or null when they can. */
export function namespacesUnavailable(): string | null {
  if (process.platform !== 'linux') return 'UTS/PID namespaces (unshare) exist on Linux only';
  if (process.getuid?.() !== 0) return 'unshare --uts --pid needs root (run as root, as CI does)';
  const r = spawnSync('unshare', ['--uts', '--pid', '--fork', '--mount-proc', 'sh', '-c', 'hostname cardshark-probe && hostname'], { encoding: 'utf8' });
  if (r.error || r.status !== 0 || r.stdout.trim() !== 'cardshark-probe') return `unshare --uts --pid --fork --mount-proc is not permitted here: ${r.error?.message ?? r.stderr.trim()}`;
  return null;
}

export class AppError extends Error {
  readonly code: string;
  readonly details: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(`${code}: ${message}`);
    this.code = code;
    this.details = details;
  }
}

export interface AppEvent {
  event: string;
  payload: any;
  at: number;
}

export interface Computer {
  name: string;
  dataDir: string;
  /** The host's pid as seen from here (it is pid 1 inside its namespace). */
  pid: number;
  events: AppEvent[];
  output(): string;
  /** The channel's data, or an AppError with the store's code. */
  call<T = any>(channel: string, payload?: unknown): Promise<T>;
  /** SIGTERM (the host flushes and closes), SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
  /** SIGKILL now (a power cut of this computer's app). */
  kill(): Promise<void>;
  exited: Promise<void>;
}

export interface StartOptions {
  /** How long the host may take to say it runs (it may be waiting for a lock: that output is in the error). */
  timeoutMs?: number;
}

export async function startComputer(name: string, dataDir: string, opts: StartOptions = {}): Promise<Computer> {
  const unshare = spawn(
    'unshare',
    ['--uts', '--pid', '--fork', '--mount-proc', '--kill-child=SIGKILL', 'sh', '-c', 'hostname "$0" && exec "$@"', name, process.execPath, HOST_CLI, '--data-dir', dataDir],
    { cwd: ROOT, env: hostEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  trackProcess(unshare.pid!);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d).slice(-50_000);
  };
  unshare.stdout!.on('data', keep);
  unshare.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => unshare.once('exit', () => resolve()));
  void exited.then(() => untrackProcess(unshare.pid!));
  const pid = await innerPid(unshare);
  trackProcess(pid);
  void exited.then(() => untrackProcess(pid));

  const timeoutMs = opts.timeoutMs ?? 20_000;
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}'s app did not start within ${timeoutMs / 1000} s; its output:\n${out.trim() || '(none)'}`)), timeoutMs);
    const check = () => {
      const m = /CardShark is running at (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(new URL(m[1]!));
      }
    };
    unshare.stdout!.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name}'s app exited at start; its output:\n${out.trim()}`));
    });
  }).catch(async (e: unknown) => {
    await killNow();
    throw e;
  });

  const token = url.hash.replace('#token=', '');
  const ws = new WebSocket(`ws://127.0.0.1:${url.port}/ws?token=${token}`, { origin: url.origin, maxPayload: 64 * 1024 * 1024 });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const events: AppEvent[] = [];
  const waiting = new Map<number, (r: { ok: boolean; data?: unknown; error?: { code: string; message: string; details?: unknown } }) => void>();
  let nextId = 1;
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data));
    if (msg.kind === 'event') events.push({ event: msg.event, payload: msg.payload, at: performance.now() });
    else if (msg.kind === 'result') {
      waiting.get(msg.id)?.(msg.result);
      waiting.delete(msg.id);
    }
  });
  ws.on('close', () => {
    for (const w of waiting.values()) w({ ok: false, error: { code: 'DISCONNECTED', message: `${name}'s app closed the connection` } });
    waiting.clear();
  });
  ws.on('error', () => {});

  async function killNow(): Promise<void> {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    await exited;
  }

  return {
    name,
    dataDir,
    pid,
    events,
    exited,
    output: () => out,
    call<T>(channel: string, payload: unknown = {}): Promise<T> {
      if (ws.readyState !== WebSocket.OPEN) return Promise.reject(new AppError('DISCONNECTED', `${name}'s app is not connected`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        waiting.set(id, (r) => (r.ok ? resolve(r.data as T) : reject(new AppError(r.error!.code, r.error!.message, r.error!.details))));
        ws.send(JSON.stringify({ id, channel, payload }));
      });
    },
    async stop() {
      ws.close();
      if (unshare.exitCode !== null) return;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
      const killer = setTimeout(() => void killNow(), 10_000);
      await exited;
      clearTimeout(killer);
    },
    async kill() {
      // The process first: a request already sent stays in the dying app, as in a power cut.
      const dead = killNow();
      ws.terminate();
      await dead;
    },
  };
}

/** The host's environment: its device must follow from its hostname, so no override is passed on. */
function hostEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CARDSHARK_DATA_DIR: '', CARDSHARK_DEMO_PACE_MS: '5' };
  delete env.CARDSHARK_DEVICE_ID;
  return env;
}

/** The forked child of `unshare` (the host, after `sh` execs it), by its pid in our namespace. */
async function innerPid(unshare: ChildProcess): Promise<number> {
  const file = `/proc/${unshare.pid}/task/${unshare.pid}/children`;
  for (let i = 0; i < 500; i++) {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
      if (pid > 0) return pid;
    } catch {
      if (unshare.exitCode !== null) break;
    }
    await sleep(10);
  }
  throw new Error(`unshare (pid ${unshare.pid}) did not fork its child`);
}

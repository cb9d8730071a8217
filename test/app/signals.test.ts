// Every way out of a Node entry flushes: a SIGTERM to `npm run web` / `npm start` reaches the
// server (no orphan holding the lock), and a flush that fails or hangs exits non-zero, loudly.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Layout } from '../../electron/store/layout.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const dirs: string[] = [];
const procs: ChildProcess[] = [];
const orphans: number[] = [];
afterEach(() => {
  for (const p of procs.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const pid of orphans.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL'); // a failed run must not leave one behind
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'cardshark-sig-'));
  dirs.push(d);
  return d;
};

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const waitFor = (re: RegExp, ms = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}:\n${out}`)), ms);
      const check = () => {
        if (re.test(out)) {
          clearTimeout(t);
          resolve();
        }
      };
      proc.stdout!.on('data', check);
      proc.stderr!.on('data', check);
      proc.once('exit', () => setTimeout(() => reject(new Error(`exited before ${re}:\n${out}`)), 50));
      check();
    });
  return { proc, exited, waitFor, out: () => out };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(process.platform === 'win32')('a SIGTERM to npm reaches the server', () => {
  for (const script of [['run', 'web'], ['start']]) {
    it(`npm ${script.join(' ')}: the server flushes, exits and releases the lock`, { timeout: 120_000 }, async () => {
      const dataDir = tmp();
      const npm = run('npm', [...script, '--', '--data-dir', dataDir, '--port', '0']);
      await npm.waitFor(/CardShark is running at http/);
      const lock = new Layout(dataDir).lockFile;
      const serverPid = (JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid;
      expect(serverPid).not.toBe(npm.proc.pid);
      orphans.push(serverPid);
      npm.proc.kill('SIGTERM');
      await npm.exited;
      // Give an orphan a moment to show itself: it would still be alive, holding the lock.
      const deadline = Date.now() + 5_000;
      while (alive(serverPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(alive(serverPid), npm.out()).toBe(false);
      expect(existsSync(lock)).toBe(false);
      expect(npm.out()).toContain('data flushed');
    });
  }
});

describe('a flush that fails or hangs is never silent', () => {
  const child = (flush: string, timeoutMs = 300) =>
    run(process.execPath, [
      '--input-type=module',
      '-e',
      `import { flushOnSignals } from ${JSON.stringify(path.join(ROOT, 'electron/lifecycle/exit-signals.ts'))};
       flushOnSignals(() => ${flush}, { timeoutMs: () => ${timeoutMs}, doneMessage: 'flushed' });
       setInterval(() => {}, 1000); console.log('ready');`,
    ]);

  it('succeeds: exit 0 after the flush', async () => {
    const c = child('new Promise((r) => setTimeout(r, 50))');
    await c.waitFor(/ready/);
    c.proc.kill('SIGHUP');
    expect(await c.exited).toBe(0);
    expect(c.out()).toContain('flushed');
  });

  it('fails (disk full): console error and a non-zero exit code', async () => {
    const c = child(`Promise.reject(Object.assign(new Error('no space left'), { code: 'DISK_FULL' }))`);
    await c.waitFor(/ready/);
    c.proc.kill('SIGTERM');
    expect(await c.exited).toBe(1);
    expect(c.out()).toMatch(/FAILED \[DISK_FULL\] no space left/);
  });

  it('hangs: gives up after the quit-flush timeout, non-zero; a second signal exits at once', async () => {
    const c = child('new Promise(() => {})');
    await c.waitFor(/ready/);
    c.proc.kill('SIGINT');
    expect(await c.exited).toBe(1);
    expect(c.out()).toMatch(/did not finish within 300 ms/);
    const d = child('new Promise(() => {})', 30_000);
    await d.waitFor(/ready/);
    d.proc.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 1_100)); // a repeat within a second is the same request
    d.proc.kill('SIGINT');
    expect(await d.exited).toBe(130);
  });
});

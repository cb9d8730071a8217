// The data-directory lock, across real processes.
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { tempDir } from './helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

/** This device's lock file in `dir` (its folder made, for tests that plant a lock before any open). */
function lockPath(dir: string): string {
  const layout = new Layout(dir);
  mkdirSync(layout.deviceDir, { recursive: true });
  return layout.lockFile;
}

const holderScript = fileURLToPath(new URL('./lock-holder.ts', import.meta.url));

function startHolder(dir: string): Promise<{ child: ChildProcessWithoutNullStreams; first: string }> {
  const child = spawn(process.execPath, [holderScript, dir]);
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (d: string) => resolve({ child, first: d.trim() }));
    child.once('error', reject);
  });
}
const exited = (c: ChildProcessWithoutNullStreams) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));

describe('data directory lock', () => {
  it('refuses a second store in the same process with LOCKED', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    await expect(openChatStore({ dataDir: dir })).rejects.toMatchObject({ code: 'LOCKED', details: { pid: process.pid } });
    await s.close();
    const again = await openChatStore({ dataDir: dir });
    await again.close();
  });

  it('tells a second process who holds the lock, and that process writes nothing', async () => {
    const dir = tempDir();
    const { child, first } = await startHolder(dir);
    expect(first).toBe('HELD');
    const before = await readdir(dir, { recursive: true });
    await expect(openChatStore({ dataDir: dir })).rejects.toMatchObject({ code: 'LOCKED', details: { pid: child.pid } });
    const second = await startHolder(dir);
    expect(JSON.parse(second.first)).toMatchObject({ code: 'LOCKED', details: { pid: child.pid } });
    await exited(second.child);
    expect(await readdir(dir, { recursive: true })).toEqual(before);
    child.stdin.write('release\n');
    await exited(child);
    const s = await openChatStore({ dataDir: dir });
    await s.close();
  });

  it('recovers at once from the lock of a SIGKILLed process', async () => {
    const dir = tempDir();
    const { child } = await startHolder(dir);
    child.kill('SIGKILL');
    await exited(child);
    expect(JSON.parse(await readFile(lockPath(dir), 'utf8'))).toMatchObject({ pid: child.pid });
    const s = await openChatStore({ dataDir: dir });
    expect(JSON.parse(await readFile(lockPath(dir), 'utf8'))).toMatchObject({ pid: process.pid });
    await s.close();
  });

  it('treats a lock whose pid now belongs to another process (pid reuse) as stale', async () => {
    const dir = tempDir();
    // pid 1 is alive, but its start time is not the one recorded.
    await writeFile(lockPath(dir), JSON.stringify({ pid: 1, hostname: hostname(), procStart: '1', token: 't', acquiredAt: 0 }));
    const s = await openChatStore({ dataDir: dir });
    await s.close();
  });

  it('of many processes racing for a stale lock, exactly one wins', async () => {
    const dir = tempDir();
    await writeFile(lockPath(dir), JSON.stringify({ pid: 2 ** 22 + 7, hostname: hostname(), procStart: null, token: 'dead', acquiredAt: 0 }));
    const racers = await Promise.all(Array.from({ length: 6 }, () => startHolder(dir)));
    const held = racers.filter((r) => r.first === 'HELD');
    expect(held).toHaveLength(1);
    for (const r of racers) if (r.first !== 'HELD') expect(JSON.parse(r.first)).toMatchObject({ code: 'LOCKED', details: { pid: held[0]!.child.pid } });
    held[0]!.child.stdin.write('release\n');
    await Promise.all(racers.map((r) => exited(r.child)));
  }, 30_000); // six process starts: a bound for a loaded machine, not a timing figure
});

// ---- stale locks that used to need a hand-deleted lock file (issue 6, §3) ----

function startTimeOf(pid: number): string {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return st.slice(st.lastIndexOf(')') + 2).split(' ')[19]!;
}
const bootId = existsSync('/proc/sys/kernel/random/boot_id') ? readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() : null;
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

/** A live process to name in a lock; killed after the test. */
const sleepers: ChildProcess[] = [];
afterEach(() => {
  for (const c of sleepers.splice(0)) c.kill('SIGKILL');
});
async function sleeper(uid?: number): Promise<ChildProcess> {
  const c = spawn('sleep', ['60'], { stdio: 'ignore', cwd: '/', ...(uid === undefined ? {} : { uid, gid: uid }) });
  sleepers.push(c);
  await new Promise((r) => c.once('spawn', r));
  return c;
}

/** setpriv drops a capability for the program it runs: root without CAP_KILL gets EPERM signalling another user's process. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const DROP_KILL = ['--bounding-set', '-kill', '--inh-caps', '-kill'];

/** What kill(pid, 0) gives in an opener started as `holder(…, { withoutKill: true })`: an errno, or "ok". */
function killProbe(pid: number): Promise<string> {
  const child = spawn(SETPRIV!, [...DROP_KILL, process.execPath, '-e', `try { process.kill(${pid}, 0); console.log('ok') } catch (e) { console.log(e.code) }`]);
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', () => resolve(out.trim()));
  });
}

/** Runs lock-holder.ts (as root without CAP_KILL when `withoutKill`); resolves at its first line that is not a WAIT report. */
function holder(dir: string, opts: { lock?: object; wait?: boolean; withoutKill?: boolean } = {}): Promise<{ child: ChildProcessWithoutNullStreams; first: string; waits: { message: string; retryAfterMs: number }[] }> {
  const args = [holderScript, dir, JSON.stringify(opts.lock ?? {}), ...(opts.wait ? ['wait'] : [])];
  const child = opts.withoutKill ? spawn(SETPRIV!, [...DROP_KILL, process.execPath, ...args]) : spawn(process.execPath, args);
  const waits: { message: string; retryAfterMs: number }[] = [];
  let buf = '';
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('WAIT ')) waits.push(JSON.parse(line.slice(5)));
        else resolve({ child, first: line, waits });
      }
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ child, first: `exit ${code}`, waits }));
  });
}
const writeLock = (dir: string, info: object) => writeFile(lockPath(dir), JSON.stringify({ token: 'old-owner', acquiredAt: 0, ...info }));

describe('stale locks never need a hand-deleted lock file', () => {
  if (!isRoot || !SETPRIV) console.warn('skipping the EPERM lock test: it must run as root with setpriv (util-linux), to run a process of another user (nobody) and an opener without CAP_KILL');
  it.skipIf(!isRoot || !SETPRIV)('judges a pid owned by another user (kill → EPERM) by its start time', async () => {
    // The process named in the lock runs as nobody; the opener runs as root without CAP_KILL, so
    // kill(pid, 0) gives EPERM. The opener keeps root's read access, so this works wherever the
    // clone lives (a clone under a 0700 folder cannot be run from as nobody), and nobody runs
    // only /bin/sleep, which needs nothing from the clone.
    const dir = tempDir();
    const other = await sleeper(NOBODY);
    expect(await killProbe(other.pid!)).toBe('EPERM'); // the case under test, not a plain live pid
    const realStart = startTimeOf(other.pid!);
    await writeLock(dir, { pid: other.pid, hostname: hostname(), procStart: String(Number(realStart) + 1), bootId });
    const stale = await holder(dir, { withoutKill: true });
    expect(stale.first).toBe('HELD'); // the pid was reused: the lock is taken over
    stale.child.stdin.write('release\n');
    await exited(stale.child);

    await writeLock(dir, { pid: other.pid, hostname: hostname(), procStart: realStart, bootId });
    const live = await holder(dir, { withoutKill: true });
    expect(JSON.parse(live.first)).toMatchObject({ code: 'LOCKED', details: { pid: other.pid } });
  }, 30_000); // four process starts: a bound for a loaded machine, not a timing figure

  it.skipIf(bootId === null)('treats a lock from an earlier boot as stale, even when its pid and start time match a live process', async () => {
    const dir = tempDir();
    const other = await sleeper();
    await writeLock(dir, { pid: other.pid, hostname: hostname(), procStart: startTimeOf(other.pid!), bootId: 'a0000000-0000-4000-8000-000000000000' });
    const s = await openChatStore({ dataDir: dir });
    expect(JSON.parse(await readFile(lockPath(dir), 'utf8'))).toMatchObject({ pid: process.pid, bootId });
    await s.close();
    // The same lock from this boot is held.
    await writeLock(dir, { pid: other.pid, hostname: hostname(), procStart: startTimeOf(other.pid!), bootId });
    await expect(openChatStore({ dataDir: dir })).rejects.toMatchObject({ code: 'LOCKED', details: { pid: other.pid } });
  });

  it('a lock from another host with a recent heartbeat: LOCKED, saying who and how long until it is taken over', async () => {
    const dir = tempDir();
    await writeLock(dir, { pid: 4242, hostname: 'elsewhere.example', procStart: '1' });
    const err = await openChatStore({ dataDir: dir }).then(() => null, (e: unknown) => e as { code: string; message: string; details: Record<string, number> });
    expect(err).toMatchObject({ code: 'LOCKED', details: { pid: 4242, hostname: 'elsewhere.example' } });
    expect(err!.details.retryAfterMs).toBeGreaterThan(50_000);
    expect(err!.details.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(err!.message).toMatch(/elsewhere\.example.*last heartbeat was \d+ s ago.*taken over if none comes for 60 s/);
  });

  it('a lock from another host untouched for more than a day is taken over at once', async () => {
    const dir = tempDir();
    await writeLock(dir, { pid: 4242, hostname: 'elsewhere.example', procStart: '1' });
    const old = new Date(Date.now() - 25 * 3_600_000);
    await utimes(lockPath(dir), old, old);
    const s = await openChatStore({ dataDir: dir });
    await s.close();
  });

  it('a live holder on another host whose clock is behind ours keeps its lock: silence is timed on our clock', async () => {
    const dir = tempDir();
    await writeLock(dir, { pid: 4242, hostname: 'elsewhere.example', procStart: '1' });
    // Its heartbeat: every 100 ms, stamped by a clock three minutes behind.
    const beat = setInterval(() => {
      const t = new Date(Date.now() - 180_000);
      void utimes(lockPath(dir), t, t).catch(() => {});
    }, 100);
    try {
      const t = new Date(Date.now() - 180_000);
      await utimes(lockPath(dir), t, t);
      const waits: string[] = [];
      const lock = { staleAfterMs: 1000, heartbeatMs: 100, onWait: (w: { message: string }) => waits.push(w.message) };
      await expect(openChatStore({ dataDir: dir, lock })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining('heartbeat is current') });
      expect(waits.length).toBeGreaterThan(0);
    } finally {
      clearInterval(beat);
    }
  });

  it('the holder keeps its heartbeat going; a waiter is refused while it beats and takes over within the bound once it stops', async () => {
    const dir = tempDir();
    const { child, first } = await holder(dir, { lock: { heartbeatMs: 100 } });
    expect(first).toBe('HELD');
    // Make the lock look as if written on another machine: only the heartbeat can tell then.
    const info = JSON.parse(await readFile(lockPath(dir), 'utf8'));
    await writeFile(lockPath(dir), JSON.stringify({ ...info, hostname: 'elsewhere.example' }));
    const m0 = (await stat(lockPath(dir))).mtimeMs;
    await new Promise((r) => setTimeout(r, 350));
    expect((await stat(lockPath(dir))).mtimeMs).toBeGreaterThan(m0);

    const waits: string[] = [];
    const lock = { staleAfterMs: 1500, heartbeatMs: 100, onWait: (w: { message: string }) => waits.push(w.message) };
    await expect(openChatStore({ dataDir: dir, lock })).rejects.toMatchObject({ code: 'LOCKED', message: expect.stringContaining('heartbeat is current') });

    child.kill('SIGKILL');
    await exited(child);
    waits.length = 0;
    const t0 = Date.now();
    const s = await openChatStore({ dataDir: dir, lock });
    expect(Date.now() - t0).toBeLessThan(4000); // staleAfterMs 1500, plus slack for a loaded machine
    expect(waits[0]).toMatch(/another computer \(elsewhere\.example\)/);
    await s.close();
  });

  it('the heartbeat never keeps a process alive: one that opens the store and forgets it still exits', async () => {
    const dir = tempDir();
    const store = fileURLToPath(new URL('../../electron/store/index.ts', import.meta.url));
    const script = `const { openChatStore } = await import(${JSON.stringify(store)}); await openChatStore({ dataDir: process.argv[1], lock: { heartbeatMs: 20 } }); console.log('OPEN');`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir]);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    const code = await new Promise((r) => child.once('exit', (c, sig) => r(sig ?? c)));
    clearTimeout(timer);
    expect(out.trim()).toBe('OPEN');
    expect(code).toBe(0);
  });

  it('stops the heartbeat on release', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir, lock: { heartbeatMs: 50 } });
    await s.close();
    await writeLock(dir, { pid: 4242, hostname: 'elsewhere.example', procStart: '1' });
    const m0 = (await stat(lockPath(dir))).mtimeMs;
    await new Promise((r) => setTimeout(r, 200));
    expect((await stat(lockPath(dir))).mtimeMs).toBe(m0);
  });

  it('recovers at once a steal marker left by a stealer killed inside', async () => {
    const dir = tempDir();
    const dead = await sleeper();
    const deadStart = startTimeOf(dead.pid!);
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('exit', r));
    // A stale lock (dead owner), and the marker its killed stealer left behind.
    await writeLock(dir, { pid: dead.pid, hostname: hostname(), procStart: deadStart, bootId });
    await writeFile(`${lockPath(dir)}.steal`, JSON.stringify({ pid: dead.pid, hostname: hostname(), procStart: deadStart, bootId, token: 'stealer', acquiredAt: Date.now() }));
    const t0 = Date.now();
    const s = await openChatStore({ dataDir: dir });
    expect(Date.now() - t0).toBeLessThan(1000);
    await s.close();
  });

  it('still clears an old steal-marker directory an earlier version left', async () => {
    const dir = tempDir();
    await writeLock(dir, { pid: 2 ** 22 + 7, hostname: hostname(), procStart: null });
    const marker = `${lockPath(dir)}.steal`;
    await mkdir(marker);
    const old = new Date(Date.now() - 20_000);
    await utimes(marker, old, old);
    const s = await openChatStore({ dataDir: dir });
    await s.close();
  });

  it('respects the steal marker of a live stealer', async () => {
    const dir = tempDir();
    const live = await sleeper();
    await writeLock(dir, { pid: 2 ** 22 + 7, hostname: hostname(), procStart: null, bootId });
    const marker = `${lockPath(dir)}.steal`;
    await writeFile(marker, JSON.stringify({ pid: live.pid, hostname: hostname(), procStart: startTimeOf(live.pid!), bootId, token: 'stealer', acquiredAt: Date.now() }));
    await expect(openChatStore({ dataDir: dir })).rejects.toMatchObject({ code: 'LOCKED' });
    expect(existsSync(marker)).toBe(true);
  });
});

// Exclusive, cross-process lock on a data directory. The lock file holds the owner's
// pid, host and process start time, so a second process is told who holds it, and a
// lock left by a dead (SIGKILLed) process is recovered at once rather than after a timeout.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { hostname } from 'node:os';
import { StoreError } from '../../shared/errors.ts';
import { errnoOf, fsyncDir } from './durable.ts';
import { basename, dirname, join } from 'node:path';

interface LockInfo {
  pid: number;
  hostname: string;
  /** Kernel start time of the owner process (Linux), to tell a reused pid apart. */
  procStart: string | null;
  token: string;
  acquiredAt: number;
}

/** Locks held by this process, by token: a second open in the same process is also refused. */
const heldTokens = new Set<string>();

function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) comes after the parenthesised command name, which may hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

function isAlive(info: LockInfo): boolean {
  if (info.hostname !== hostname()) return true; // cannot check another machine: assume held
  if (info.pid === process.pid) return heldTokens.has(info.token);
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    return errnoOf(e) === 'EPERM';
  }
  const start = processStartTime(info.pid);
  return !(start && info.procStart && start !== info.procStart);
}

interface LockFile {
  info: LockInfo | null;
  /** Identity of the file read, so a stealer removes exactly the stale file it judged. */
  ino: number;
}

/** Reads the lock file; throws ENOENT when there is none. `info` is null when unreadable. */
async function readLock(path: string): Promise<LockFile> {
  const fh = await fsp.open(path, 'r');
  try {
    const { ino } = await fh.stat();
    try {
      const parsed = JSON.parse(await fh.readFile('utf8')) as Partial<LockInfo>;
      const ok = typeof parsed.pid === 'number' && typeof parsed.token === 'string';
      return { info: ok ? (parsed as LockInfo) : null, ino };
    } catch {
      return { info: null, ino };
    }
  } finally {
    await fh.close();
  }
}

/** Temp files of lock attempts that crashed between writing and linking (a live one lasts milliseconds). */
async function removeDeadTemps(lockPath: string): Promise<void> {
  const dir = dirname(lockPath);
  const prefix = `${basename(lockPath)}.`;
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const age = await fsp.stat(join(dir, name)).then((st) => Date.now() - st.mtimeMs, () => 0);
    if (age > 10_000) await fsp.unlink(join(dir, name)).catch(() => {});
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class DirLock {
  readonly path: string;
  private readonly token = randomUUID();
  private held = false;

  private constructor(path: string) {
    this.path = path;
  }

  static async acquire(path: string): Promise<DirLock> {
    await removeDeadTemps(path);
    const lock = new DirLock(path);
    await lock.take();
    return lock;
  }

  private async take(): Promise<void> {
    const info: LockInfo = { pid: process.pid, hostname: hostname(), procStart: processStartTime(process.pid), token: this.token, acquiredAt: Date.now() };
    // The lock is written to a private temp file and then hard-linked into place, so other
    // processes never see it empty or half-written, and link() fails if a lock exists.
    const temp = `${this.path}.${this.token}.tmp`;
    const fh = await fsp.open(temp, 'w');
    try {
      await fh.writeFile(JSON.stringify(info));
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await fsp.link(temp, this.path);
          await fsyncDir(dirname(this.path));
          heldTokens.add(this.token);
          this.held = true;
          return;
        } catch (e) {
          if (errnoOf(e) !== 'EEXIST') throw new StoreError('IO_ERROR', `cannot create lock file ${this.path}: ${(e as Error).message}`);
        }
        let current: LockFile;
        try {
          current = await readLock(this.path);
        } catch {
          continue; // vanished between link and read: try again
        }
        const owner = current.info;
        if (owner === null) {
          // Unreadable (damaged, or from an older writer): give a live writer a moment first.
          const age = await fsp.stat(this.path).then((st) => Date.now() - st.mtimeMs, () => 0);
          if (age < 2000) {
            await sleep(50);
            continue;
          }
        } else if (isAlive(owner)) {
          throw new StoreError('LOCKED', `the data directory is in use by process ${owner.pid}${owner.hostname !== hostname() ? ` on ${owner.hostname}` : ''}`, {
            pid: owner.pid,
            hostname: owner.hostname,
          });
        }
        await this.removeStale(current);
      }
      throw new StoreError('LOCKED', `could not take the lock on ${dirname(this.path)}`);
    } finally {
      await fsp.unlink(temp).catch(() => {});
    }
  }

  /** Two processes may find the same stale lock; a steal mutex makes sure only one removes it. */
  private async removeStale(stale: LockFile): Promise<void> {
    const stealDir = `${this.path}.steal`;
    try {
      await fsp.mkdir(stealDir);
    } catch {
      const age = await fsp.stat(stealDir).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > 10_000) await fsp.rm(stealDir, { recursive: true, force: true }); // a stealer died inside
      await sleep(20);
      return;
    }
    try {
      // The same file (inode) with the same owner (token) as judged stale: nothing took it since.
      const now = await readLock(this.path).catch(() => null);
      if (now && now.ino === stale.ino && now.info?.token === stale.info?.token) await fsp.unlink(this.path).catch(() => {});
    } finally {
      await fsp.rmdir(stealDir).catch(() => {});
    }
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    heldTokens.delete(this.token);
    const current = await readLock(this.path).catch(() => null);
    if (current?.info?.token === this.token) await fsp.unlink(this.path).catch(() => {});
  }
}

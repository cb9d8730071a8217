// Exclusive, cross-process lock on a data directory. The lock file holds the owner's
// pid, host and process start time, so a second process is told who holds it, and a
// lock left by a dead (SIGKILLed) process is recovered at once rather than after a timeout.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { hostname } from 'node:os';
import { StoreError } from '../../shared/errors.ts';
import { errnoOf, fsyncDir } from './durable.ts';
import { dirname } from 'node:path';

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

async function readInfo(path: string): Promise<LockInfo | null> {
  try {
    const parsed = JSON.parse(await fsp.readFile(path, 'utf8')) as Partial<LockInfo>;
    return typeof parsed.pid === 'number' && typeof parsed.token === 'string' ? (parsed as LockInfo) : null;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') throw e;
    return null;
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
    const lock = new DirLock(path);
    await lock.take();
    return lock;
  }

  private async take(): Promise<void> {
    const info: LockInfo = { pid: process.pid, hostname: hostname(), procStart: processStartTime(process.pid), token: this.token, acquiredAt: Date.now() };
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        const fh = await fsp.open(this.path, 'wx');
        try {
          await fh.writeFile(JSON.stringify(info));
          await fh.sync();
        } finally {
          await fh.close();
        }
        await fsyncDir(dirname(this.path));
        heldTokens.add(this.token);
        this.held = true;
        return;
      } catch (e) {
        if (errnoOf(e) !== 'EEXIST') throw new StoreError('IO_ERROR', `cannot create lock file ${this.path}: ${(e as Error).message}`);
      }
      let owner: LockInfo | null;
      try {
        owner = await readInfo(this.path);
      } catch {
        continue; // vanished between open and read: try again
      }
      if (owner === null) {
        // Unreadable: either being written right now, or left half-written by a crash.
        const age = await fsp.stat(this.path).then((s) => Date.now() - s.mtimeMs, () => 0);
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
      await this.removeStale(owner);
    }
    throw new StoreError('LOCKED', `could not take the lock on ${dirname(this.path)}`);
  }

  /** Two processes may find the same stale lock; a steal mutex makes sure only one removes it. */
  private async removeStale(stale: LockInfo | null): Promise<void> {
    const stealDir = `${this.path}.steal`;
    try {
      await fsp.mkdir(stealDir);
    } catch {
      const age = await fsp.stat(stealDir).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > 10_000) await fsp.rm(stealDir, { recursive: true, force: true });
      await sleep(20);
      return;
    }
    try {
      const current = await readInfo(this.path).catch(() => null);
      const same = stale === null ? current === null : current?.token === stale.token;
      if (same) await fsp.unlink(this.path).catch(() => {});
    } finally {
      await fsp.rmdir(stealDir).catch(() => {});
    }
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    heldTokens.delete(this.token);
    const current = await readInfo(this.path).catch(() => null);
    if (current?.token === this.token) await fsp.unlink(this.path).catch(() => {});
  }
}

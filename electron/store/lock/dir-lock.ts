// Exclusive, cross-process lock on a data directory. The lock file holds the owner's pid, host,
// boot id and process start time, so a second process is told who holds it, and a lock left by
// a dead (SIGKILLed) process — or by any process of an earlier boot — is recovered at once.
// An owner that cannot be checked (another host, or no start time to compare) is judged by a
// heartbeat instead: the holder refreshes the lock's mtime, and a lock silent for `staleAfterMs`
// is taken over. So no crash ever needs a hand-deleted lock.
//
// Fencing: a holder judged by its heartbeat can be paused (SIGSTOP, a laptop lid, docker pause)
// past `staleAfterMs`, taken over, and resumed. So the holder keeps a lease: each heartbeat first
// checks that the file at the path is still the one it linked (dev, ino) with its token, and only
// then touches it (through its own handle, so a stolen lock is never kept alive for its thief). The
// lease runs for half of `staleAfterMs` from the start of the last such check, on both the
// monotonic and the wall clock (the monotonic one may stop while the machine sleeps): while it
// runs, no other process can have judged the lock stale. Every acknowledgement of a write passes
// `fence()`: free while the lease runs, a fresh check of the file otherwise. A lock found lost
// stays lost (LOCK_LOST for every later write; `lost` resolves).
//
// Durability: taking the lock needs no fsync (the link excludes at once). What a power cut must
// not lose is the lock's meaning for the next start: "a run ended without closing" (own-states.ts:
// its torn tail is its own, and cut). That matters only once this run has written something, so
// the lock file and its folder are fsync'd in the background, and nothing this run writes may
// start before that is done: the store's seam holds every write until `whenDurable()` (store.ts,
// holdWritesUntil), and `fence()`, which every acknowledgement passes, waits for it too. A power
// cut before it leaves no lock or one whose content is lost, and nothing of this run to repair.
import { randomUUID } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { StoreError } from '../../../shared/errors.ts';
import { errnoOf, ioError } from '../../durable/durable.ts';
import { nodeFs, type FsSeam } from '../../durable/fs-seam.ts';
import { elapsedSince, instant, type Instant } from './clock.ts';
import { linkNew, readLock, removeDeadTemps, type LockFile } from './lock-file.ts';
import { heldTokens, ownerState, ownInfo, stealTokens, type LockInfo } from './owner.ts';

export interface LockWait {
  /** For the user: who holds the lock, and how long at most until it is taken over. */
  message: string;
  pid: number;
  hostname: string;
  /** Time since the holder's last heartbeat, as far as this process can tell. */
  lastHeartbeatMs: number;
  /** The lock is taken over after this long if no heartbeat comes. */
  retryAfterMs: number;
}

/** An `onWait` for command-line entries: tells the user once why start-up is waiting. */
export function tellOnceWhileWaiting(print: (line: string) => void): (w: LockWait) => void {
  let told = false;
  return (w) => {
    if (!told) print(`waiting: ${w.message}`);
    told = true;
  };
}

/** A lock whose heartbeat (mtime) is older than this is abandoned, whatever the clocks' skew. */
const ABANDONED_AFTER_MS = 24 * 3_600_000;

export interface LockOptions {
  /** How often the holder refreshes the lock's mtime (default 10 s). */
  heartbeatMs?: number;
  /** An owner that cannot be checked is judged gone after this long without a heartbeat (default 60 s). */
  staleAfterMs?: number;
  /**
   * Without it, a lock whose owner cannot be checked and whose heartbeat is recent fails LOCKED
   * with `details.retryAfterMs`. With it, acquire waits (bounded by `staleAfterMs`), calling
   * `onWait` at each check, and fails LOCKED only if a heartbeat shows the holder alive.
   */
  onWait?: (wait: LockWait) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => Math.max(0, Math.round(ms / 1000));

export class DirLock {
  readonly path: string;
  private readonly token = randomUUID();
  private held = false;
  /** Open on the lock's own inode, so the heartbeat never touches a lock someone else wrote. */
  private handle: fsp.FileHandle | null = null;
  /** The inode we linked: the lock is ours while the path names it. */
  private identity = { dev: -1, ino: -1 };
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly heartbeatMs: number;
  private readonly staleAfterMs: number;
  /** No other process can judge the lock stale sooner than `staleAfterMs` after a heartbeat: half of it is ours. */
  private readonly leaseMs: number;
  /** The start of the last check that found the lock ours and was followed by a touch. */
  private lastBeat: Instant = instant();
  /** Acknowledgements need no check until `leaseMs` after this; null: none is granted now. */
  private leaseFrom: Instant | null = null;
  private lostError: StoreError | null = null;
  private markLostResolve: ((e: StoreError) => void) | undefined;
  /** Resolves (never rejects) if this process finds it no longer holds the lock. */
  readonly lost = new Promise<StoreError>((r) => (this.markLostResolve = r));
  private readonly onWait: LockOptions['onWait'];
  /** The disk, as the store sees it (tests delay or fail the lock's fsyncs through it). */
  private readonly fs: FsSeam;
  /** The background fsync of the lock file and its folder; settled once, and null again when it succeeded. */
  private durability: Promise<void> | null = null;
  private durabilityError: StoreError | null = null;
  /**
   * Whether a lock file stood at the path when this process first tried to take it: a run that
   * did not end cleanly (or one still running, which acquire refuses). The link that takes the
   * lock is what tells, so no separate look is needed.
   */
  foundAtStart = false;

  private constructor(path: string, options: LockOptions, fs: FsSeam) {
    this.path = path;
    this.fs = fs;
    this.heartbeatMs = options.heartbeatMs ?? 10_000;
    this.staleAfterMs = options.staleAfterMs ?? 60_000;
    this.leaseMs = this.staleAfterMs / 2;
    this.onWait = options.onWait;
  }

  static async acquire(path: string, options: LockOptions = {}, fs: FsSeam = nodeFs): Promise<DirLock> {
    await removeDeadTemps(path);
    const lock = new DirLock(path, options, fs);
    await lock.take();
    return lock;
  }

  private async take(): Promise<void> {
    const info = ownInfo(this.token);
    /** The silent owner being waited for, and since when (our clock: immune to skew between hosts). */
    let watched = null as { token: string; mtimeMs: number; since: number } | null;
    for (let attempt = 0; attempt < 50; ) {
      let linked = false;
      try {
        const start = instant(); // a new lock cannot look stale to anyone before this plus staleAfterMs
        const { fh, dev, ino } = await linkNew(this.path, info, this.fs);
        this.handle = fh;
        linked = true;
        this.identity = { dev, ino };
        heldTokens.add(this.token);
        this.held = true;
        this.lastBeat = this.leaseFrom = start;
        this.scheduleBeat();
        this.makeDurable(this.handle);
        return;
      } catch (e) {
        if (linked) {
          // Linked but not taken: do not leave a lock behind that nobody holds.
          await this.handle?.close().catch(() => {});
          this.handle = null;
          await fsp.unlink(this.path).catch(() => {});
        }
        if (linked || errnoOf(e) !== 'EEXIST') throw new StoreError('IO_ERROR', `cannot create the lock file ${this.path} (${errnoOf(e) ?? 'unknown error'})`, { errno: errnoOf(e) }, { cause: e });
        this.foundAtStart = true;
      }
      let current: LockFile;
      try {
        current = await readLock(this.path);
      } catch {
        attempt++;
        continue; // vanished between link and read: try again
      }
      const owner = current.info;
      if (owner === null) {
        // Unreadable (damaged, or from an older writer): give a live writer a moment first.
        if (Date.now() - current.mtimeMs < 2000) {
          await sleep(50);
          attempt++;
          continue;
        }
      } else {
        const state = ownerState(owner, heldTokens);
        const where = owner.hostname !== hostname() ? ` on ${owner.hostname}` : '';
        if (state === 'alive' || (state === 'unknown' && watched?.token === owner.token && current.mtimeMs !== watched.mtimeMs)) {
          throw new StoreError('LOCKED', `the data directory is in use by process ${owner.pid}${where}${state === 'unknown' ? ' (its heartbeat is current)' : ''}`, {
            pid: owner.pid,
            hostname: owner.hostname,
          });
        }
        if (state === 'unknown') {
          if (watched?.token !== owner.token) watched = { token: owner.token, mtimeMs: current.mtimeMs, since: Date.now() };
          // Silence is measured on our clock, from when we started watching: a holder whose clock is
          // behind ours writes mtimes that look old while it still beats. Only a lock untouched for
          // far longer than any plausible skew (a day) is judged by its mtime alone.
          const byMtime = Date.now() - current.mtimeMs;
          const silentFor = byMtime > ABANDONED_AFTER_MS ? byMtime : Date.now() - watched.since;
          if (silentFor < this.staleAfterMs) {
            const retryAfterMs = this.staleAfterMs - silentFor;
            const why = where ? `another computer (${owner.hostname}), which cannot be checked from here` : `process ${owner.pid}, whose identity cannot be checked on this system`;
            const wait: LockWait = {
              message: `the data directory is locked by ${why}; its last heartbeat was ${secs(silentFor)} s ago, and the lock will be taken over if none comes for ${secs(this.staleAfterMs)} s (in ${secs(retryAfterMs)} s at most)`,
              pid: owner.pid,
              hostname: owner.hostname,
              lastHeartbeatMs: silentFor,
              retryAfterMs,
            };
            if (!this.onWait) throw new StoreError('LOCKED', wait.message, { pid: owner.pid, hostname: owner.hostname, lastHeartbeatMs: silentFor, retryAfterMs });
            this.onWait(wait);
            await sleep(Math.min(retryAfterMs, this.heartbeatMs, 1000));
            continue;
          }
        }
      }
      await this.removeStale(current);
      attempt++;
    }
    throw new StoreError('LOCKED', `could not take the lock on ${dirname(this.path)}: other processes kept taking it`);
  }

  /** fsyncs the lock file, then its folder (the link), in the background: see the file's comment. */
  private makeDurable(handle: fsp.FileHandle): void {
    const work = (async () => {
      await handle.sync();
      const dir = await this.fs.open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    })();
    this.durability = work.then(
      () => {
        this.durability = null;
      },
      (e: unknown) => {
        this.durabilityError = ioError(e, 'making the data-folder lock durable (nothing can be saved)');
      },
    );
  }

  /**
   * Undefined once the lock is durable; else a promise that resolves when it is, or rejects
   * (IO_ERROR, for every call) if it could not be made so. Whatever this process writes in the
   * data folder waits for it first.
   */
  whenDurable(): Promise<void> | undefined {
    if (this.durabilityError) return Promise.reject(this.durabilityError);
    const pending = this.durability;
    if (!pending) return undefined;
    return pending.then(() => {
      if (this.durabilityError) throw this.durabilityError;
    });
  }

  private scheduleBeat(): void {
    this.heartbeat = setTimeout(() => void this.beat(), this.heartbeatMs);
    this.heartbeat.unref(); // never keeps the process alive
  }

  /** Checks that the lock is still ours, and only then refreshes its mtime; a missed beat costs nothing until staleAfterMs. */
  private async beat(): Promise<void> {
    const start = instant();
    // Late (paused, asleep, a blocked event loop): another process may be taking the lock over at
    // this very moment, past its check of our heartbeat. This beat grants no lease; the next one,
    // finding the lock still ours a heartbeat after our touch, does.
    const late = elapsedSince(this.lastBeat) >= this.leaseMs;
    try {
      if (!(await this.stillOurs())) return;
      const now = new Date();
      await this.handle!.utimes(now, now);
      this.lastBeat = start;
      if (!late) this.leaseFrom = start;
    } catch {
      // Not proven either way (a failed read, or released meanwhile): the lease runs out.
    } finally {
      if (this.held && !this.lostError) this.scheduleBeat();
    }
  }

  /** Whether the path still names the file we linked, with our token. Marks the lock lost if not; throws if the file cannot be read. */
  private async stillOurs(): Promise<boolean> {
    if (this.lostError) return false;
    let current: LockFile;
    try {
      current = await readLock(this.path);
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT') throw e;
      this.markLost(null);
      return false;
    }
    // Unreadable content in our own inode is ours being rewritten in place: stealers link a new file.
    const ours = current.dev === this.identity.dev && current.ino === this.identity.ino && (current.info === null || current.info.token === this.token);
    if (!ours) this.markLost(current.info);
    return ours;
  }

  private markLost(owner: LockInfo | null): void {
    if (this.lostError || !this.held) return;
    this.leaseFrom = null;
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.heartbeat = null;
    const who = owner ? `process ${owner.pid}${owner.hostname !== hostname() ? ` on ${owner.hostname}` : ''}` : null;
    this.lostError = new StoreError(
      'LOCK_LOST',
      who
        ? `another CardShark (${who}) took over this data folder while this one was not responding (paused or asleep); to keep its data safe this one saves nothing more: restart the app`
        : `the lock file of this data folder was removed or replaced by another program; to keep the data safe this app saves nothing more: restart the app`,
      owner ? { pid: owner.pid, hostname: owner.hostname } : { reason: 'removed' },
    );
    this.markLostResolve?.(this.lostError);
  }

  /**
   * Passes (undefined: no syscall) while the lease runs; otherwise checks the lock file now.
   * Rejects LOCK_LOST if the lock is no longer ours, CLOSED once released, IO_ERROR if the lock
   * file cannot be read. A write is acknowledged only after its data is durable and this passed.
   * Before the lock itself is durable, waits for that first (IO_ERROR if it cannot be).
   */
  fence(): Promise<void> | undefined {
    const durable = this.whenDurable();
    return durable ? durable.then(() => this.ours()) : this.ours();
  }

  /** fence() without waiting for the lock to be durable: whether the lock is still this process's. */
  private ours(): Promise<void> | undefined {
    if (this.lostError) return Promise.reject(this.lostError);
    if (!this.held) return Promise.reject(new StoreError('CLOSED', 'the data-folder lock was released; nothing more is saved'));
    if (this.leaseFrom && elapsedSince(this.leaseFrom) < this.leaseMs) return undefined;
    return this.stillOurs().then(
      (ours) => {
        if (!ours) throw this.lostError ?? new StoreError('CLOSED', 'the data-folder lock was released; nothing more is saved');
      },
      (e: unknown) => {
        throw ioError(e, 'checking the data-folder lock');
      },
    );
  }

  /** Whether this process still holds the lock (fence() passes, durable or not yet: a read need not wait for the disk). */
  holds(): Promise<boolean> {
    return Promise.resolve(this.ours()).then(() => true, () => false);
  }

  /**
   * Two processes may find the same stale lock; a steal marker (a file holding the stealer's
   * pid, start time and boot id, linked into place like the lock) makes sure only one removes it.
   * A marker left by a stealer that died inside is recovered at once, by the same owner check.
   */
  private async removeStale(stale: LockFile): Promise<void> {
    const marker = `${this.path}.steal`;
    const mine = ownInfo(randomUUID());
    try {
      stealTokens.add(mine.token);
      await (await linkNew(marker, mine, this.fs)).fh.close();
    } catch (e) {
      stealTokens.delete(mine.token);
      if (errnoOf(e) !== 'EEXIST') throw new StoreError('IO_ERROR', `cannot create the lock marker ${marker} (${errnoOf(e) ?? 'unknown error'})`, { errno: errnoOf(e) }, { cause: e });
      await this.clearDeadMarker(marker);
      await sleep(20);
      return;
    }
    try {
      // The same file (inode) with the same owner (token) and no heartbeat since it was judged
      // stale: nothing took it, and its owner did not come back.
      const now = await readLock(this.path).catch(() => null);
      if (now && now.ino === stale.ino && now.info?.token === stale.info?.token && now.mtimeMs === stale.mtimeMs) await fsp.unlink(this.path).catch(() => {});
    } finally {
      await fsp.unlink(marker).catch(() => {});
      stealTokens.delete(mine.token);
    }
  }

  private async clearDeadMarker(marker: string): Promise<void> {
    const found = await readLock(marker).catch(() => null);
    if (!found) return;
    // A live steal lasts milliseconds: a marker whose owner cannot be checked (another host,
    // unreadable, or the directory an older version used) is judged by its age.
    const state = found.info ? ownerState(found.info, stealTokens) : 'unknown';
    if (state === 'alive' || (state === 'unknown' && Date.now() - found.mtimeMs < 10_000)) return;
    const again = await readLock(marker).catch(() => null);
    if (!again || again.ino !== found.ino) return; // replaced meanwhile: not the dead one
    await fsp.rm(marker, { recursive: true, force: true });
  }

  async release(): Promise<void> {
    if (!this.held) return;
    this.held = false;
    heldTokens.delete(this.token);
    if (this.heartbeat) clearTimeout(this.heartbeat);
    this.heartbeat = null;
    this.leaseFrom = null;
    await this.durability; // never closes the handle under its own fsync (settles, never rejects)
    await this.handle?.close().catch(() => {});
    this.handle = null;
    const current = await readLock(this.path).catch(() => null);
    if (current?.info?.token === this.token) await fsp.unlink(this.path).catch(() => {});
  }
}

// Durability primitives: directory fsync, verified atomic rewrite, errno → typed error.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, statSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { StoreError } from '../../shared/errors.ts';
import { nodeFs, type FsSeam } from './fs-seam.ts';

/** A rename or create is only durable once its directory entry is fsync'd. */
export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there; renames are still atomic
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * `mkdir -p` that survives a power cut: a new directory exists only once its entry in the
 * parent is fsync'd, so each parent whose entry changed is fsync'd, from the first directory
 * that already existed down to `dir`. `mode` applies to the directories created here only;
 * existing ones are left as they are.
 */
export async function mkdirDurable(dir: string, options: { mode?: number; fs?: FsSeam } = {}): Promise<void> {
  // A directory another caller is still making durable already exists, before its entry is
  // fsync'd: wait for that caller rather than return at once. No await between the last check and
  // the registration below, so two callers never both miss each other.
  for (;;) {
    let pending: Promise<void> | undefined;
    for (let d = dir; ; d = dirname(d)) {
      pending = inFlight.get(d);
      if (pending || dirname(d) === d) break;
    }
    if (!pending) break;
    await pending.catch(() => {});
  }
  const work = createDurably(dir, options);
  inFlight.set(dir, work);
  try {
    await work;
  } finally {
    if (inFlight.get(dir) === work) inFlight.delete(dir);
  }
}

/** Directories being created by mkdirDurable in this process, until their entries are durable. */
const inFlight = new Map<string, Promise<void>>();

async function createDurably(dir: string, options: { mode?: number; fs?: FsSeam }): Promise<void> {
  const fs = options.fs ?? nodeFs;
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const exists = await fs.stat(d).then((st) => {
      if (!st.isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
      return true;
    }, (e: unknown) => {
      if (errnoOf(e) === 'ENOENT') return false;
      throw e;
    });
    if (exists || dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing) {
    try {
      await fs.mkdir(d, options.mode === undefined ? undefined : { mode: options.mode });
    } catch (e) {
      // Made by a concurrent caller, whose fsync may not have happened yet: ours below covers it.
      if (errnoOf(e) !== 'EEXIST') throw e;
    }
    await fsyncDir(dirname(d));
  }
}

/** fsyncDir for synchronous callers (the settings file, which its library writes synchronously). */
export function fsyncDirSync(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** mkdirDurable for synchronous callers: the same rule, on node:fs directly. */
export function mkdirDurableSync(dir: string, options: { mode?: number } = {}): void {
  const missing: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    const st = statSync(d, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw Object.assign(new Error(`${d} is not a directory`), { code: 'ENOTDIR' });
    if (st || dirname(d) === d) break;
    missing.unshift(d);
  }
  for (const d of missing) {
    try {
      mkdirSync(d, options.mode === undefined ? undefined : { mode: options.mode });
    } catch (e) {
      if (errnoOf(e) !== 'EEXIST') throw e;
    }
    fsyncDirSync(dirname(d));
  }
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * sha256 of a big buffer (a 40 MB imported chat) a MiB at a time, giving the event loop a turn
 * between MiBs, so that hashing it does not hold the main process for ~100 ms.
 */
async function sha256InTurns(data: Buffer): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < data.length; at += 1 << 20) {
    if (at > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    hash.update(data.subarray(at, at + (1 << 20)));
  }
  return hash.digest('hex');
}

/**
 * temp + fsync + rename (write-file-atomic), then fsync of the directory, then a read-back
 * check. Only after the check is the old version considered replaced. Bytes are compared as they
 * are (memcmp: a 50 MB branch or import is not hashed twice); a string is compared by hash.
 */
export async function atomicRewrite(fs: FsSeam, path: string, data: string | Buffer, beforeRename?: () => Promise<void>): Promise<void> {
  const expected = typeof data === 'string' ? sha256(data) : null;
  // A chat file that is a symbolic link is rewritten where it points, the link kept (write-file-atomic
  // does the same for a rewrite in place): the staging file goes beside the file it replaces.
  const target = await fsp.realpath(path).catch(() => path);
  if (beforeRename) {
    // The new file is written and synced under a staging name first (`<path>.<uint32>`, a name the
    // start-up sweep of chat folders removes), so that the check runs right before the rename: the
    // time it takes to write a 50 MB chat is no window for another program's change to be missed.
    const staging = `${target}.${randomBytes(4).readUInt32BE(0)}`;
    // The staging name has no mode or owner to keep: the file it replaces lends them (as
    // write-file-atomic does for a rewrite in place), so a chat chmod'ed 600 stays so.
    const st = await fs.stat(target).catch(() => null);
    await fs.writeFileAtomic(staging, data, st ? { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid } : undefined);
    try {
      await beforeRename();
      await fs.rename(staging, target);
    } catch (e) {
      await fs.unlink(staging).catch(() => {});
      throw e;
    }
  } else await fs.writeFileAtomic(path, data);
  await fsyncDir(dirname(target));
  const same = expected === null ? await readsBackAs(fs, path, data as Buffer) : (await sha256InTurns(await fs.readFile(path))) === expected;
  if (!same) throw new StoreError('IO_ERROR', `read-back check failed after rewriting ${basename(path)}`);
}

const READ_BACK_CHUNK = 1 << 20;

/**
 * Whether the file holds exactly `data` (every byte, and nothing after it), read a MiB at a time
 * into one buffer: a whole-file read of a 50 MB chat would be a fresh 50 MB allocation, whose
 * first touch alone costs more than the compare.
 */
async function readsBackAs(fs: FsSeam, path: string, data: Buffer): Promise<boolean> {
  const fh = await fs.open(path, 'r');
  try {
    const chunk = Buffer.allocUnsafe(Math.min(READ_BACK_CHUNK, data.length + 1));
    for (let at = 0; ; ) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, at);
      if (bytesRead === 0) return at === data.length;
      if (at + bytesRead > data.length || data.compare(chunk, 0, bytesRead, at, at + bytesRead) !== 0) return false;
      at += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

export function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string'
    ? (e as { code: string }).code
    : undefined;
}

/** Maps an fs failure to a typed error; a StoreError passes through unchanged. */
export function ioError(e: unknown, what: string): StoreError {
  if (e instanceof StoreError) return e;
  const errno = errnoOf(e);
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new StoreError('DISK_FULL', `${what}: the disk is full. Nothing was lost; free some space and retry.`, { errno }, { cause: e });
  }
  // The message names the operation and errno, not the raw text: it reaches the renderer, and
  // raw fs messages carry absolute paths. The original stays in `cause` for the log.
  if (errno) return new StoreError('IO_ERROR', `${what} failed (${errno})`, { errno }, { cause: e });
  return new StoreError('INTERNAL', `${what} failed unexpectedly`, undefined, { cause: e });
}

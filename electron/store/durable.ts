// Durability primitives: directory fsync, verified atomic rewrite, errno → typed error.
import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { StoreError } from '../../shared/errors.ts';
import type { FsSeam } from './fs-seam.ts';

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

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * temp + fsync + rename (write-file-atomic), then fsync of the directory, then a read-back
 * hash check. Only after the check is the old version considered replaced.
 */
export async function atomicRewrite(fs: FsSeam, path: string, data: string | Buffer): Promise<void> {
  const expected = sha256(data);
  await fs.writeFileAtomic(path, data);
  await fsyncDir(dirname(path));
  const actual = sha256(await fs.readFile(path));
  if (actual !== expected) {
    throw new StoreError('IO_ERROR', `read-back check failed after rewriting ${basename(path)}`);
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

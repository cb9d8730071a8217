// A rewrite that never drops or redirects another program's bytes. The file is replaced (atomic,
// verified: atomicRewrite) only if it is still exactly the version the caller last read or wrote
// (same device, inode, size and mtime), checked right before the replace. And if another program
// wrote into the old file while the new one was being written (after that check, before the
// rename), the old file's bytes, its own included, are put back: the call then fails CONFLICT.
import { StoreError } from '../../shared/errors.ts';
import { atomicRewrite, errnoOf } from './durable.ts';
import type { FsSeam } from './fs-seam.ts';

/** One version of a file: its identity (device, inode), size and mtime (-1n: not known). */
export interface FileStamp {
  dev: bigint;
  ino: bigint;
  size: number;
  mtimeNs: bigint;
}

export function stampOf(st: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint }): FileStamp {
  return { dev: st.dev, ino: st.ino, size: Number(st.size), mtimeNs: st.mtimeNs };
}

/** Same file, same size, same mtime (an unknown mtime on either side never matches). */
export function sameStamp(a: FileStamp, b: FileStamp): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeNs !== -1n && a.mtimeNs === b.mtimeNs;
}

/** The stamp of what `path` names now; null if nothing does. */
export async function stampPath(fs: FsSeam, path: string): Promise<FileStamp | null> {
  try {
    return stampOf(await fs.stat(path, { bigint: true }));
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return null;
    throw e;
  }
}

function changed(what: string): StoreError {
  return new StoreError('CONFLICT', `${what} was changed outside the app while it was being rewritten; nothing was replaced, and its content is as the other program left it`, { reason: 'changed_outside' });
}

/** Replaces `path` with `data` only while it is exactly `expected`; CONFLICT (and the file as the other program left it) otherwise. */
export async function rewriteIfUnchanged(fs: FsSeam, path: string, expected: FileStamp, data: string | Buffer, what: string): Promise<void> {
  let old;
  try {
    old = await fs.open(path, 'r');
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') throw changed(what);
    throw e;
  }
  try {
    // The handle must be on the expected file, and the path must still name it: checked before the
    // new file is written, and again right before it is renamed into place (what another program
    // renames over the path in between would be lost with the old file). Between that last check and
    // the rename there are no more than two system calls: no portable rename can make it one.
    const unchanged = async () => {
      const held = stampOf(await old.stat({ bigint: true }));
      const named = await stampPath(fs, path);
      if (!sameStamp(held, expected) || !named || !sameStamp(named, expected)) throw changed(what);
    };
    await unchanged();
    await atomicRewrite(fs, path, data, unchanged);
    const after = stampOf(await old.stat({ bigint: true }));
    if (!sameStamp(after, expected)) {
      // Another program wrote into the old file during the rewrite (it had it open): its bytes
      // are only there now. Put the old file back, with them, rather than lose them.
      const bytes = Buffer.allocUnsafe(after.size);
      let got = 0;
      while (got < after.size) {
        const { bytesRead } = await old.read(bytes, got, after.size - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      await atomicRewrite(fs, path, bytes.subarray(0, got));
      throw changed(what);
    }
  } finally {
    await old.close().catch(() => {});
  }
}

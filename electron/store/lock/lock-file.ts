// The lock file on disk: read with its identity and heartbeat (mtime), created by a hard link of
// a private temp file (never seen half-written), and the temp files of crashed attempts removed.
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { nodeFs, type FsSeam } from '../../durable/fs-seam.ts';
import type { LockInfo } from './owner.ts';

export interface LockFile {
  info: LockInfo | null;
  /** Identity of the file read, so a stealer removes exactly the stale file it judged. */
  dev: number;
  ino: number;
  /** The holder's last heartbeat. */
  mtimeMs: number;
}

/** Reads a lock (or steal marker) file; throws ENOENT when there is none. `info` is null when unreadable. */
export async function readLock(path: string): Promise<LockFile> {
  const fh = await fsp.open(path, 'r');
  try {
    const { dev, ino, mtimeMs } = await fh.stat();
    try {
      const parsed = JSON.parse(await fh.readFile('utf8')) as Partial<LockInfo>;
      const ok = typeof parsed.pid === 'number' && typeof parsed.token === 'string';
      return { info: ok ? (parsed as LockInfo) : null, dev, ino, mtimeMs };
    } catch {
      return { info: null, dev, ino, mtimeMs };
    }
  } finally {
    await fh.close();
  }
}

/** Temp files of lock attempts that crashed between writing and linking (a live one lasts milliseconds). */
export async function removeDeadTemps(lockPath: string): Promise<void> {
  const dir = dirname(lockPath);
  const prefix = `${basename(lockPath)}.`;
  for (const name of await fsp.readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const age = await fsp.stat(join(dir, name)).then((st) => Date.now() - st.mtimeMs, () => 0);
    if (age > 10_000) await fsp.unlink(join(dir, name)).catch(() => {});
  }
}

/**
 * Writes `info` to a private temp file and hard-links it to `path`: never seen half-written by
 * another process; EEXIST if taken. Not fsync'd: exclusion needs none (the link is atomic, and
 * readers see the page cache); the holder makes its lock durable itself (DirLock). `fs` opens the
 * file (tests see its fsync through it); the link is node's own, whatever the seam does with links.
 */
export async function linkNew(path: string, info: LockInfo, fs: Pick<FsSeam, 'open'> = nodeFs): Promise<{ fh: fsp.FileHandle; dev: number; ino: number }> {
  const temp = `${path}.${info.token}.tmp`;
  const fh = await fs.open(temp, 'w');
  try {
    await fh.writeFile(JSON.stringify(info));
    // The linked file is the temp file's inode: its identity is read while the link is made.
    const [st, linked] = await Promise.allSettled([fh.stat(), fsp.link(temp, path)]);
    if (linked.status === 'rejected') throw linked.reason;
    if (st.status === 'rejected') {
      await fsp.unlink(path).catch(() => {}); // linked but not known: leave no lock behind that nobody holds
      throw st.reason;
    }
    void fsp.unlink(temp).catch(() => {}); // not waited for: a linked name is never written again
    return { fh, dev: st.value.dev, ino: st.value.ino };
  } catch (e) {
    await fh.close();
    await fsp.unlink(temp).catch(() => {}); // before a retry writes the same name again
    throw e;
  }
}

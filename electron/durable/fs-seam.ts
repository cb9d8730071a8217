// The thin seam through which the store touches the disk. Production uses node:fs;
// tests wrap it to inject faults the OS cannot produce on demand (ENOSPC, EIO).
import * as fsp from 'node:fs/promises';
import writeFileAtomic from 'write-file-atomic';

export interface FsSeam {
  open: typeof fsp.open;
  readFile: typeof fsp.readFile;
  rename: typeof fsp.rename;
  unlink: typeof fsp.unlink;
  mkdir: typeof fsp.mkdir;
  readdir: typeof fsp.readdir;
  stat: typeof fsp.stat;
  copyFile: typeof fsp.copyFile;
  link: typeof fsp.link;
  rm: typeof fsp.rm;
  /**
   * temp file + write + fsync + rename (write-file-atomic). The new file takes the mode and owner
   * of the file at `path`, or those of `like` (a staging name standing in for the file it replaces).
   */
  writeFileAtomic: (path: string, data: string | Buffer, like?: FileOwnership) => Promise<void>;
}

/** The mode and owner a rewritten file keeps from the file it replaces. */
export interface FileOwnership {
  mode: number;
  uid: number;
  gid: number;
}

export const nodeFs: FsSeam = {
  open: fsp.open,
  readFile: fsp.readFile,
  rename: fsp.rename,
  unlink: fsp.unlink,
  mkdir: fsp.mkdir,
  readdir: fsp.readdir,
  stat: fsp.stat,
  copyFile: fsp.copyFile,
  link: fsp.link,
  rm: fsp.rm,
  writeFileAtomic: (path, data, like) => writeFileAtomic(path, data, like ? { fsync: true, mode: like.mode, chown: { uid: like.uid, gid: like.gid } } : { fsync: true }),
};

/**
 * The same seam, with every call that changes the disk first awaiting `ready()` (undefined: at
 * once); reads are never held. The store's seam holds its writes until its lock is durable.
 */
export function holdWritesUntil(fs: FsSeam, ready: () => Promise<void> | undefined): FsSeam {
  const held = <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      const wait = ready();
      return wait ? wait.then(() => call(...args)) : call(...args);
    };
  const open = held((...args: Parameters<typeof fsp.open>) => fs.open(...args));
  return {
    ...fs,
    // A handle opened to read is a read; any other flag may create, truncate or append.
    open: (path, flags, mode) => (flags === undefined || flags === 'r' ? fs.open(path, flags, mode) : open(path, flags, mode)),
    rename: held((...a: Parameters<typeof fsp.rename>) => fs.rename(...a)),
    unlink: held((...a: Parameters<typeof fsp.unlink>) => fs.unlink(...a)),
    mkdir: held((...a: Parameters<typeof fsp.mkdir>) => fs.mkdir(...a)) as typeof fsp.mkdir,
    copyFile: held((...a: Parameters<typeof fsp.copyFile>) => fs.copyFile(...a)),
    link: held((...a: Parameters<typeof fsp.link>) => fs.link(...a)),
    rm: held((...a: Parameters<typeof fsp.rm>) => fs.rm(...a)),
    writeFileAtomic: held((path: string, data: string | Buffer, like?: FileOwnership) => fs.writeFileAtomic(path, data, like)),
  };
}

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
  /** temp file + write + fsync + rename (write-file-atomic). */
  writeFileAtomic: (path: string, data: string | Buffer) => Promise<void>;
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
  writeFileAtomic: (path, data) => writeFileAtomic(path, data, { fsync: true }),
};

// Bytes the store cannot read are copied here before anything else happens to them,
// so a damaged line is reported and kept, never silently dropped.
import { join } from 'node:path';
import { sha256, fsyncDir, ioError, mkdirDurable } from '../durable/durable.ts';
import type { FsSeam } from '../durable/fs-seam.ts';

/** Idempotent: the same bytes at the same offset land in the same file once. */
export async function quarantineBytes(fs: FsSeam, dir: string, offset: number, bytes: Buffer): Promise<string> {
  const path = join(dir, `${String(offset).padStart(12, '0')}-${sha256(bytes).slice(0, 12)}.bin`);
  try {
    await mkdirDurable(dir, { fs });
    const exists = await fs.stat(path).then(() => true, () => false);
    if (!exists) {
      const fh = await fs.open(`${path}.partial`, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await fs.rename(`${path}.partial`, path);
      await fsyncDir(dir);
    }
    return path;
  } catch (e) {
    throw ioError(e, 'quarantining unreadable bytes');
  }
}

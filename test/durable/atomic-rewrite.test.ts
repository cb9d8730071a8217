// atomicRewrite's read-back check: a file that does not read back as written (a disk or driver
// that lost or changed bytes) is an IO_ERROR, for bytes (compared as they are) and for text (by hash).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { atomicRewrite } from '../../electron/durable/durable.ts';
import { nodeFs, type FsSeam } from '../../electron/store/index.ts';
import { tempDir } from '../store/helpers.ts';

/** Writes the data with its byte at `at` changed: what the OS cannot be made to do on demand. */
const flipping = (at: number): FsSeam => ({
  ...nodeFs,
  writeFileAtomic: (path, data) => {
    const b = Buffer.from(typeof data === 'string' ? Buffer.from(data) : data);
    b[at] = b[at]! ^ 0x20;
    return nodeFs.writeFileAtomic(path, b);
  },
});

/** Writes the data with one byte more (or, `cut`, one less) at the end. */
const resizing = (cut: boolean): FsSeam => ({
  ...nodeFs,
  writeFileAtomic: (path, data) => {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    return nodeFs.writeFileAtomic(path, cut ? b.subarray(0, b.length - 1) : Buffer.concat([b, Buffer.from('z')]));
  },
});

describe('atomicRewrite', () => {
  it('writes bytes and text that read back as given', async () => {
    const dir = tempDir();
    const data = Buffer.from('x'.repeat(3 << 20) + 'end\n');
    await atomicRewrite(nodeFs, join(dir, 'a'), data);
    expect((await readFile(join(dir, 'a'))).equals(data)).toBe(true);
    await atomicRewrite(nodeFs, join(dir, 'b'), 'text é\n');
    expect(await readFile(join(dir, 'b'), 'utf8')).toBe('text é\n');
  });

  it('a read-back that differs by one byte is IO_ERROR', async () => {
    const dir = tempDir();
    const big = Buffer.from('y'.repeat(2 << 20));
    await expect(atomicRewrite(flipping(big.length - 1), join(dir, 'a'), big)).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(atomicRewrite(flipping(0), join(dir, 'b'), 'some text\n')).rejects.toMatchObject({ code: 'IO_ERROR' });
  });

  it('a read-back longer or shorter than the bytes written is IO_ERROR (also at a chunk boundary)', async () => {
    const dir = tempDir();
    for (const size of [1, 1 << 20, (1 << 20) + 7]) {
      const data = Buffer.alloc(size, 0x61);
      await expect(atomicRewrite(resizing(false), join(dir, `long-${size}`), data)).rejects.toMatchObject({ code: 'IO_ERROR' });
      await expect(atomicRewrite(resizing(true), join(dir, `short-${size}`), data)).rejects.toMatchObject({ code: 'IO_ERROR' });
      await atomicRewrite(nodeFs, join(dir, `ok-${size}`), data);
    }
  });
});

// The change lines of a saved position index, by id hash: read at once when the chat has few
// (OPS_AT_ONCE), else looked up in the hash directory. Both ways give the same rows, in file
// order, as a plain scan of the hash column, for hashes present and absent.
import { open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodePositions, OPS_AT_ONCE, PositionFile } from '../../electron/store/positions/position-file.ts';

const stamp = { chatId: 'c', dev: '1', ino: '2', mtimeNs: '3', size: 0, tailFrom: 0, tailCrc: 0 };

function table(lineHashes: number[], opHashes: number[]) {
  const n = opHashes.length;
  return {
    end: 0,
    count: lineHashes.length,
    hash: Int32Array.from(lineHashes),
    off: Float64Array.from(lineHashes, (_, i) => i * 10),
    len: new Int32Array(lineHashes.length).fill(9),
    sup: new Uint8Array(lineHashes.length),
    ops: { count: n, hash: Int32Array.from(opHashes), off: Float64Array.from(opHashes, (_, i) => 1e6 + i), len: new Int32Array(n).fill(5), pos: Int32Array.from(opHashes, (_, i) => i), del: new Uint8Array(n) },
  };
}

const plainScan = (hashes: number[], h: number) => hashes.flatMap((x, k) => (x === h ? [k] : []));

// Hashes from a small pool (many repeats) and anywhere in the 32-bit range (directory buckets).
const hash = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.integer(), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1));

describe('position file: change lines by hash', () => {
  it('read at once and through the directory, they are the rows a plain scan finds', async () => {
    const path = join(tmpdir(), `cardshark-posfile-${process.pid}.pos`);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(hash, { maxLength: 50 }), fc.array(hash, { maxLength: 3000 }), fc.array(hash, { maxLength: 5 }), async (lines, ops, absent) => {
          await writeFile(path, encodePositions(table(lines, ops), stamp));
          const fh = await open(path, 'r');
          try {
            const atOnce = await PositionFile.open(fh);
            const looked = await PositionFile.open(fh, 0);
            for (const h of [...new Set(ops), ...absent]) {
              const want = plainScan(ops, h);
              expect(await atOnce.opsWithHash(h)).toEqual(want);
              expect(await looked.opsWithHash(h)).toEqual(want);
            }
          } finally {
            await fh.close();
          }
        }),
        { numRuns: 60 },
      );
    } finally {
      await rm(path, { force: true });
    }
  });

  it('a chat with more change lines than OPS_AT_ONCE is looked up in the directory, not read whole', async () => {
    const path = join(tmpdir(), `cardshark-posfile-big-${process.pid}.pos`);
    const ops = Array.from({ length: OPS_AT_ONCE + 1 }, (_, k) => (k * 2654435761) | 0);
    await writeFile(path, encodePositions(table([1, 2, 3], ops), stamp));
    const fh = await open(path, 'r');
    try {
      let bytes = 0;
      const read = fh.read.bind(fh);
      // Counts what the lookups read (the head was read by open, before this).
      const file = await PositionFile.open(fh);
      (fh as unknown as { read: typeof fh.read }).read = ((...args: Parameters<typeof fh.read>) => read(...args).then((r) => ((bytes += r.bytesRead), r))) as typeof fh.read;
      expect(await file.opsWithHash(ops[7]!)).toEqual([7]);
      expect(bytes).toBeLessThan(4 * OPS_AT_ONCE); // the hash column alone would be 4 bytes a row
    } finally {
      await fh.close();
      await rm(path, { force: true });
    }
  });
});

// The superseded flags of a position table (a later line with the same id hash), made at once or
// extended after appends, against a plain scan with a Set.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LineTable } from '../../electron/store/line-scan.ts';
import { extendTable, tableFromScan } from '../../electron/store/positions/position-table.ts';

const noOps = () => ({ count: 0, hash: new Int32Array(0), off: new Float64Array(0), len: new Int32Array(0), pos: new Int32Array(0), del: new Uint8Array(0) });
const scan = (hash: number[], end = hash.length): LineTable => ({ count: hash.length, hash: Int32Array.from(hash), off: new Float64Array(hash.length), len: new Int32Array(hash.length), ops: noOps(), opsById: new Map(), deleted: new Set(), end }) as unknown as LineTable;

function expected(hash: number[]): number[] {
  const later = new Set<number>();
  const sup = new Array<number>(hash.length).fill(0);
  for (let i = hash.length - 1; i >= 0; i--) {
    if (later.has(hash[i]!)) sup[i] = 1;
    later.add(hash[i]!);
  }
  return sup;
}

// Hashes from a small pool (many repeats), with 0 and the extremes among them.
const hashes = fc.array(fc.oneof(fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31)), fc.integer({ min: -40, max: 40 }), fc.integer()), { maxLength: 300 });

describe('position table: superseded flags', () => {
  it('made at once and extended by appends, they match a plain scan', () => {
    fc.assert(
      fc.property(hashes, hashes, (a, b) => {
        expect([...tableFromScan(scan(a)).sup]).toEqual(expected(a));
        const grown = extendTable(tableFromScan(scan(a)), scan(b, a.length + b.length));
        expect([...grown.sup]).toEqual(expected([...a, ...b]));
      }),
      { numRuns: 300 },
    );
  });
});

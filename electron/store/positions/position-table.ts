// What the position index knows of a chat file: where each message line (first appearance) and
// each change line is, with its id's 32-bit hash (line-scan.ts's idHash), never any text. Ids
// are confirmed by reading the line, so a hash collision or a stale entry is never a wrong answer.
import type { LineTable, OpLines } from '../line-scan.ts';

export interface PositionTable {
  /** Bytes of the file the table covers, from its start: complete lines only. */
  end: number;
  count: number;
  hash: Int32Array;
  off: Float64Array;
  len: Int32Array;
  /** 1 where a later message line has the same hash (a newer first appearance of the id, or a collision). */
  sup: Uint8Array;
  ops: OpLines;
}

/**
 * A set of 32-bit hashes in typed arrays (open addressing): a JS Set of a million numbers costs
 * ~0.5 s and ~50 MB on the main thread at every save of a 1,000,000-message chat's index; this, a
 * few tens of ms and 12 MB.
 */
class HashSet {
  private readonly keys: Int32Array;
  private readonly used: Uint8Array;
  private readonly mask: number;

  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.keys = new Int32Array(size);
    this.used = new Uint8Array(size);
    this.mask = size - 1;
  }

  /** Adds `h`; returns whether it was there already. */
  addHas(h: number): boolean {
    let i = Math.imul(h, 0x9e3779b1) >>> 0;
    for (;;) {
      i &= this.mask;
      if (!this.used[i]) {
        this.used[i] = 1;
        this.keys[i] = h;
        return false;
      }
      if (this.keys[i] === h) return true;
      i++;
    }
  }

  has(h: number): boolean {
    let i = Math.imul(h, 0x9e3779b1) >>> 0;
    for (;;) {
      i &= this.mask;
      if (!this.used[i]) return false;
      if (this.keys[i] === h) return true;
      i++;
    }
  }
}

/** Marks each line followed by a later line with the same hash, in a table of `count` hashes where lines from `from` on are new. */
function markSuperseded(hash: Int32Array, sup: Uint8Array, from: number): void {
  const later = new HashSet(hash.length - from);
  for (let i = hash.length - 1; i >= from; i--) if (later.addHas(hash[i]!)) sup[i] = 1;
  if (from === 0) return;
  for (let i = 0; i < from; i++) if (later.has(hash[i]!)) sup[i] = 1;
}

export function tableFromScan(t: LineTable): PositionTable {
  const sup = new Uint8Array(t.count);
  markSuperseded(t.hash, sup, 0);
  return { end: t.end, count: t.count, hash: t.hash, off: t.off, len: t.len, sup, ops: t.ops };
}

function concat<T extends Float64Array | Int32Array | Uint8Array>(a: T, b: T): T {
  const out = new (a.constructor as new (n: number) => T)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The table of a file after lines were appended: `delta` is a scan from `old.end` starting at `old.count`. */
export function extendTable(old: PositionTable, delta: LineTable): PositionTable {
  const hash = concat(old.hash, delta.hash);
  const sup = concat(old.sup, new Uint8Array(delta.count));
  markSuperseded(hash, sup, old.count);
  const o = old.ops;
  const d = delta.ops;
  const ops: OpLines = { count: o.count + d.count, hash: concat(o.hash, d.hash), off: concat(o.off, d.off), len: concat(o.len, d.len), pos: concat(o.pos, d.pos), del: concat(o.del, d.del) };
  return { end: Math.max(old.end, delta.end), count: old.count + delta.count, hash, off: concat(old.off, delta.off), len: concat(old.len, delta.len), sup, ops };
}

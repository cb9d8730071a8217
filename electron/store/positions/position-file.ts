// The position index's file format. A cache: anything unexpected in it (wrong magic, a checksum
// that fails, a short read) makes it unusable, never a wrong answer.
//
//   "CSPOSIX2" | u32 meta length | u32 block count | u32 crc32 of (meta + block crcs)
//   | meta (JSON) | u32 crc32 of each body block | padding to 8 | body
//
// The body holds typed arrays (little-endian): per message line its id hash, offset, length and
// superseded flag; per change line its id hash, delete flag, `pos`, offset and length; and for
// each of the two a hash directory (rows bucketed by the top bits of their hash: bucket starts,
// then each row's hash and row number, in bucket order). Every 16 KiB block of the body has its
// own crc32, so a jump reads the head, then only the blocks it needs: the bucket of the id it
// looks for, and the few rows of the lines it returns. Not the whole hash column (4 MB at
// 1,000,000 messages), not the whole file (~25 MB).
import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import type { PositionTable } from './position-table.ts';

const MAGIC = Buffer.from('CSPOSIX2');
const BLOCK = 16 * 1024;
const PREFIX = 20;
/** The first read of a file: its head whole in all but very large indexes. */
const HEAD_READ = 16 * 1024;
/** Rows per hash bucket, about: a lookup reads one bucket's hashes and rows. */
const PER_BUCKET = 32;
/**
 * Change lines whose hashes are read at once, on the first lookup: a page asks for the changes of
 * each of its messages, and one read of ≤ 64 KiB beats a directory lookup (two reads) per message.
 * A chat with more changes is looked up in the directory.
 */
export const OPS_AT_ONCE = 16_384;

/** The chat file the table was made from, as the store saw it: checked before the table is used. */
export interface PositionStamp {
  chatId: string;
  dev: string;
  ino: string;
  mtimeNs: string;
  /** The chat's bytes when the table was made (the table covers all of them: complete lines). */
  size: number;
  /** crc32 of the chat's bytes [tailFrom, size): an append keeps them, an edit of the last lines does not. */
  tailFrom: number;
  tailCrc: number;
}

interface Meta extends PositionStamp {
  count: number;
  opCount: number;
  /** Hash directory sizes: 2^bits buckets. */
  bits: number;
  opBits: number;
}

/** Thrown when the index proves unusable (a checksum, a short read, a line that is not what it says): the caller scans the chat instead. */
export class StaleIndex extends Error {}

type Typed = Int32Array | Float64Array | Uint8Array;
const bytesOf = (a: Typed) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Rows of message lines, [first, first + n). */
export interface LineRows {
  hash: Int32Array;
  off: Float64Array;
  len: Int32Array;
  sup: Uint8Array;
}

/** Rows of change lines, [first, first + n). */
export interface OpRows {
  hash: Int32Array;
  del: Uint8Array;
  pos: Int32Array;
  off: Float64Array;
  len: Int32Array;
}

/** What a jump reads of a position index: rows by number, and the rows whose id has a given hash. */
export interface PositionAccess {
  readonly count: number;
  readonly opCount: number;
  lines(first: number, n: number): Promise<LineRows>;
  ops(first: number, n: number): Promise<OpRows>;
  /** Message lines whose id hash is `h`, in file order. */
  linesWithHash(h: number): Promise<number[]>;
  /** Change lines whose id hash is `h`, in file order. */
  opsWithHash(h: number): Promise<number[]>;
  close(): Promise<void>;
}

/** Buckets for `n` rows: about PER_BUCKET rows each. */
const bitsFor = (n: number) => (n <= PER_BUCKET ? 0 : Math.min(24, Math.ceil(Math.log2(n / PER_BUCKET))));
const bucketOf = (h: number, bits: number) => (bits === 0 ? 0 : h >>> (32 - bits));

/** Bucket starts (2^bits + 1), then each row's hash and number in bucket order (file order within a bucket). */
function directory(hash: Int32Array, bits: number): { dir: Int32Array; keys: Int32Array; rows: Int32Array } {
  const dir = new Int32Array((1 << bits) + 1);
  for (let i = 0; i < hash.length; i++) dir[bucketOf(hash[i]!, bits) + 1]!++;
  for (let b = 1; b < dir.length; b++) dir[b]! += dir[b - 1]!;
  const next = dir.slice(0, -1);
  const keys = new Int32Array(hash.length);
  const rows = new Int32Array(hash.length);
  for (let i = 0; i < hash.length; i++) {
    const at = next[bucketOf(hash[i]!, bits)]!++;
    keys[at] = hash[i]!;
    rows[at] = i;
  }
  return { dir, keys, rows };
}

/** Bytes per entry of each section, in body order, and which count it is per. */
const SECTIONS = [
  ['hash', 4, 'count'],
  ['off', 8, 'count'],
  ['len', 4, 'count'],
  ['sup', 1, 'count'],
  ['dir', 4, 'buckets'],
  ['keys', 4, 'count'],
  ['rows', 4, 'count'],
  ['opHash', 4, 'opCount'],
  ['opDel', 1, 'opCount'],
  ['opPos', 4, 'opCount'],
  ['opOff', 8, 'opCount'],
  ['opLen', 4, 'opCount'],
  ['opDir', 4, 'opBuckets'],
  ['opKeys', 4, 'opCount'],
  ['opRows', 4, 'opCount'],
] as const;
type Section = (typeof SECTIONS)[number][0];
const WIDTH = Object.fromEntries(SECTIONS.map(([k, w]) => [k, w])) as Record<Section, number>;

function sections(m: Pick<Meta, 'count' | 'opCount' | 'bits' | 'opBits'>): Record<Section, { at: number; size: number }> & { bodyLen: number } {
  const per = { count: m.count, opCount: m.opCount, buckets: (1 << m.bits) + 1, opBuckets: (1 << m.opBits) + 1 };
  let at = 0;
  const out = {} as Record<Section, { at: number; size: number }> & { bodyLen: number };
  for (const [k, width, of] of SECTIONS) {
    const size = width * per[of];
    out[k] = { at, size };
    at += size;
  }
  out.bodyLen = at;
  return out;
}

const pad8 = (n: number) => (8 - (n % 8)) % 8;

export function encodePositions(t: PositionTable, stamp: PositionStamp): Buffer {
  const o = t.ops;
  const cut = <T extends Typed>(a: T, n: number) => a.subarray(0, n) as T;
  const hash = cut(t.hash, t.count);
  const opHash = cut(o.hash, o.count);
  const bits = bitsFor(t.count);
  const opBits = bitsFor(o.count);
  const d = directory(hash, bits);
  const od = directory(opHash, opBits);
  const parts: Typed[] = [hash, cut(t.off, t.count), cut(t.len, t.count), cut(t.sup, t.count), d.dir, d.keys, d.rows, opHash, cut(o.del, o.count), cut(o.pos, o.count), cut(o.off, o.count), cut(o.len, o.count), od.dir, od.keys, od.rows];
  const meta: Meta = { ...stamp, count: t.count, opCount: o.count, bits, opBits };
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const bodyLen = parts.reduce((n, a) => n + a.byteLength, 0);
  const blocks = Math.ceil(bodyLen / BLOCK);
  const crcsAt = PREFIX + metaBytes.length;
  const headLen = crcsAt + 4 * blocks;
  const bodyAt = headLen + pad8(headLen);
  // One buffer, each part copied once (a 1,000,000-message index is ~25 MB: no second copy).
  const out = Buffer.allocUnsafe(bodyAt + bodyLen);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(metaBytes.length, 8);
  out.writeUInt32LE(blocks, 12);
  metaBytes.copy(out, PREFIX);
  out.fill(0, headLen, bodyAt);
  let at = bodyAt;
  for (const a of parts) {
    out.set(bytesOf(a), at);
    at += a.byteLength;
  }
  for (let b = 0; b < blocks; b++) out.writeUInt32LE(crc32(out.subarray(bodyAt + b * BLOCK, Math.min(bodyAt + (b + 1) * BLOCK, out.length))), crcsAt + 4 * b);
  out.writeUInt32LE(crc32(out.subarray(crcsAt, headLen), crc32(metaBytes)), 16);
  return out;
}

async function readAt(fh: FileHandle, off: number, len: number, upTo = false): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, off + got);
    if (bytesRead === 0) {
      if (upTo) return buf.subarray(0, got);
      throw new StaleIndex('the position index is shorter than it says');
    }
    got += bytesRead;
  }
  return buf;
}

function isMeta(x: unknown): x is Meta {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  const bits = (v: unknown) => int(v) && (v as number) <= 24;
  return (
    typeof m.chatId === 'string' && typeof m.dev === 'string' && typeof m.ino === 'string' && typeof m.mtimeNs === 'string' &&
    int(m.size) && int(m.tailFrom) && int(m.tailCrc) && int(m.count) && int(m.opCount) && bits(m.bits) && bits(m.opBits)
  );
}

/** An open position index file: its stamp, and checked reads of its sections (each block checked once, then kept). */
export class PositionFile implements PositionAccess {
  readonly meta: Meta;
  private readonly fh: FileHandle;
  private readonly bodyAt: number;
  private readonly crcs: Buffer;
  private readonly at: ReturnType<typeof sections>;
  private readonly checked = new Map<number, Buffer>();
  private readonly opsAtOnce: number;
  /** Change lines by id hash, once read at once (opCount ≤ opsAtOnce). */
  private opsByHash: Promise<Map<number, number[]>> | null = null;

  private constructor(fh: FileHandle, meta: Meta, crcs: Buffer, bodyAt: number, opsAtOnce: number) {
    this.fh = fh;
    this.opsAtOnce = opsAtOnce;
    this.meta = meta;
    this.crcs = crcs;
    this.bodyAt = bodyAt;
    this.at = sections(meta);
  }

  get count(): number {
    return this.meta.count;
  }

  get opCount(): number {
    return this.meta.opCount;
  }

  /** Opens and checks the file's head (one read in all but huge indexes); throws StaleIndex if it is not a position index. */
  static async open(fh: FileHandle, opsAtOnce = OPS_AT_ONCE): Promise<PositionFile> {
    let head = await readAt(fh, 0, HEAD_READ, true);
    if (head.length < PREFIX || !head.subarray(0, 8).equals(MAGIC)) throw new StaleIndex('not a position index');
    const metaLen = head.readUInt32LE(8);
    const blocks = head.readUInt32LE(12);
    const headLen = PREFIX + metaLen + 4 * blocks;
    if (head.length < headLen) head = Buffer.concat([head, await readAt(fh, head.length, headLen - head.length)]);
    const metaBytes = head.subarray(PREFIX, PREFIX + metaLen);
    const crcs = head.subarray(PREFIX + metaLen, headLen);
    if (crc32(crcs, crc32(metaBytes)) !== head.readUInt32LE(16)) throw new StaleIndex('the position index head fails its checksum');
    let meta: unknown;
    try {
      meta = JSON.parse(metaBytes.toString('utf8'));
    } catch {
      throw new StaleIndex('the position index head is not JSON');
    }
    if (!isMeta(meta)) throw new StaleIndex('the position index head is not as expected');
    if (blocks !== Math.ceil(sections(meta).bodyLen / BLOCK)) throw new StaleIndex('the position index head does not match its body');
    return new PositionFile(fh, meta, crcs, headLen + pad8(headLen), opsAtOnce);
  }

  /** Body bytes [from, from + len), every block they touch checked against its crc32. */
  private async body(from: number, len: number): Promise<Buffer> {
    if (len === 0) return Buffer.alloc(0);
    const b0 = Math.floor(from / BLOCK);
    const b1 = Math.floor((from + len - 1) / BLOCK);
    const start = b0 * BLOCK;
    if (b0 === b1 && this.checked.has(b0)) return this.checked.get(b0)!.subarray(from - start, from - start + len);
    const buf = await readAt(this.fh, this.bodyAt + start, Math.min((b1 + 1) * BLOCK, this.at.bodyLen) - start);
    for (let b = b0; b <= b1; b++) {
      const block = buf.subarray((b - b0) * BLOCK, (b - b0 + 1) * BLOCK);
      if (crc32(block) !== this.crcs.readUInt32LE(4 * b)) throw new StaleIndex(`position index block ${b} fails its checksum`);
      if (this.checked.size < 64) this.checked.set(b, block);
    }
    return buf.subarray(from - start, from - start + len);
  }

  private async array<T extends Typed>(make: new (n: number) => T, section: Section, first: number, n: number): Promise<T> {
    const out = new make(n);
    bytesOf(out).set(await this.body(this.at[section].at + first * WIDTH[section], n * WIDTH[section]));
    return out;
  }

  // The columns lie apart in the file: read at once, not one after another (each read is a trip
  // to the thread pool, and on a busy machine the trips, not the bytes, are what a jump waits for).
  async lines(first: number, n: number): Promise<LineRows> {
    const [hash, off, len, sup] = await Promise.all([this.array(Int32Array, 'hash', first, n), this.array(Float64Array, 'off', first, n), this.array(Int32Array, 'len', first, n), this.array(Uint8Array, 'sup', first, n)]);
    return { hash, off, len, sup };
  }

  async ops(first: number, n: number): Promise<OpRows> {
    const [hash, del, pos, off, len] = await Promise.all([this.array(Int32Array, 'opHash', first, n), this.array(Uint8Array, 'opDel', first, n), this.array(Int32Array, 'opPos', first, n), this.array(Float64Array, 'opOff', first, n), this.array(Int32Array, 'opLen', first, n)]);
    return { hash, del, pos, off, len };
  }

  private async withHash(h: number, bits: number, dir: Section, keys: Section, rows: Section, count: number): Promise<number[]> {
    const b = bucketOf(h, bits);
    const [from, to] = await this.array(Int32Array, dir, b, 2);
    if (!(0 <= from! && from! <= to! && to! <= count)) throw new StaleIndex('the position index directory is not as expected');
    const [k, r] = await Promise.all([this.array(Int32Array, keys, from!, to! - from!), this.array(Int32Array, rows, from!, to! - from!)]);
    const out: number[] = [];
    for (let j = 0; j < k.length; j++) {
      if (k[j] !== h) continue;
      if (!(r[j]! >= 0 && r[j]! < count && (out.length === 0 || r[j]! > out.at(-1)!))) throw new StaleIndex('the position index directory is not as expected');
      out.push(r[j]!);
    }
    return out;
  }

  linesWithHash(h: number): Promise<number[]> {
    return this.withHash(h, this.meta.bits, 'dir', 'keys', 'rows', this.meta.count);
  }

  async opsWithHash(h: number): Promise<number[]> {
    const n = this.meta.opCount;
    if (n > this.opsAtOnce) return this.withHash(h, this.meta.opBits, 'opDir', 'opKeys', 'opRows', n);
    this.opsByHash ??= this.array(Int32Array, 'opHash', 0, n).then((hash) => {
      const byHash = new Map<number, number[]>();
      for (let k = 0; k < n; k++) {
        const rows = byHash.get(hash[k]!);
        if (rows) rows.push(k);
        else byHash.set(hash[k]!, [k]);
      }
      return byHash;
    });
    return [...((await this.opsByHash).get(h) ?? [])];
  }

  /** The whole table (to extend it after an append). */
  async table(): Promise<PositionTable> {
    const { count, opCount } = this.meta;
    const { hash, off, len, sup } = await this.lines(0, count);
    return { end: this.meta.size, count, hash, off, len, sup, ops: { count: opCount, ...(await this.ops(0, opCount)) } };
  }

  close(): Promise<void> {
    return this.fh.close().catch(() => {});
  }
}

/** The same reads from a table in memory (made or extended in this session, not yet saved). */
export function tableAccess(t: PositionTable): PositionAccess {
  const matching = (hash: Int32Array, n: number, h: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) if (hash[i] === h) out.push(i);
    return out;
  };
  const o = t.ops;
  return {
    count: t.count,
    opCount: o.count,
    lines: async (first, n) => ({ hash: t.hash.subarray(first, first + n), off: t.off.subarray(first, first + n), len: t.len.subarray(first, first + n), sup: t.sup.subarray(first, first + n) }),
    ops: async (first, n) => ({ hash: o.hash.subarray(first, first + n), del: o.del.subarray(first, first + n), pos: o.pos.subarray(first, first + n), off: o.off.subarray(first, first + n), len: o.len.subarray(first, first + n) }),
    linesWithHash: async (h) => matching(t.hash, t.count, h),
    opsWithHash: async (h) => matching(o.hash, o.count, h),
    close: async () => {},
  };
}

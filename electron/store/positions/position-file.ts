// The position index's file format. A cache: anything unexpected in it (wrong magic, a checksum
// that fails, a short read) makes it unusable, never a wrong answer.
//
//   "CSPOSIX1" | u32 meta length | u32 crc32 of meta | meta (JSON) | padding to 8 | body
//
// The body holds typed arrays (little-endian), in this order: message hashes, change hashes,
// change delete flags, change `pos`, change offsets, change lengths, message offsets, message
// lengths, message superseded flags. Every 64 KiB block of the body has its own crc32 in the
// meta, so a jump reads and checks the hashes and changes, and only the few blocks of offsets
// around the line it returns, not the whole file (17 MB at 1,000,000 messages).
import { crc32 } from 'node:zlib';
import type { FileHandle } from 'node:fs/promises';
import type { PositionTable } from './position-table.ts';

const MAGIC = Buffer.from('CSPOSIX1');
const BLOCK = 64 * 1024;
const PREFIX = 16;

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
  blocks: number[];
}

/** Thrown when the index proves unusable (a checksum, a short read, a line that is not what it says): the caller scans the chat instead. */
export class StaleIndex extends Error {}

type Typed = Int32Array | Float64Array | Uint8Array;
const bytesOf = (a: Typed) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Bytes per entry of each section, in body order; `op…` sections have one entry per change line, the others one per message line. */
const WIDTH = { hash: 4, opHash: 4, opDel: 1, opPos: 4, opOff: 8, opLen: 4, off: 8, len: 4, sup: 1 };
type Section = keyof typeof WIDTH;

function sections(count: number, opCount: number): Record<Section, { at: number; size: number }> & { bodyLen: number } {
  let at = 0;
  const out = {} as Record<Section, { at: number; size: number }> & { bodyLen: number };
  for (const k of Object.keys(WIDTH) as Section[]) {
    const size = WIDTH[k] * (k.startsWith('op') ? opCount : count);
    out[k] = { at, size };
    at += size;
  }
  out.bodyLen = at;
  return out;
}

export function encodePositions(t: PositionTable, stamp: PositionStamp): Buffer {
  const o = t.ops;
  const body = Buffer.concat([t.hash, o.hash, o.del, o.pos, o.off, o.len, t.off, t.len, t.sup].map(bytesOf));
  const blocks: number[] = [];
  for (let at = 0; at < body.length; at += BLOCK) blocks.push(crc32(body.subarray(at, at + BLOCK)));
  const meta: Meta = { ...stamp, count: t.count, opCount: o.count, blocks };
  const metaBytes = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(PREFIX);
  MAGIC.copy(head, 0);
  head.writeUInt32LE(metaBytes.length, 8);
  head.writeUInt32LE(crc32(metaBytes), 12);
  const pad = Buffer.alloc((8 - ((PREFIX + metaBytes.length) % 8)) % 8);
  return Buffer.concat([head, metaBytes, pad, body]);
}

async function readAt(fh: FileHandle, off: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, off + got);
    if (bytesRead === 0) throw new StaleIndex('the position index is shorter than it says');
    got += bytesRead;
  }
  return buf;
}

function isMeta(x: unknown): x is Meta {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Record<string, unknown>;
  const int = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
  return (
    typeof m.chatId === 'string' && typeof m.dev === 'string' && typeof m.ino === 'string' && typeof m.mtimeNs === 'string' &&
    int(m.size) && int(m.tailFrom) && int(m.tailCrc) && int(m.count) && int(m.opCount) && Array.isArray(m.blocks) && m.blocks.every(int)
  );
}

/** An open position index file: its stamp, and checked reads of its sections. */
export class PositionFile {
  readonly meta: Meta;
  private readonly fh: FileHandle;
  private readonly bodyAt: number;
  private readonly at: ReturnType<typeof sections>;

  private constructor(fh: FileHandle, meta: Meta, bodyAt: number) {
    this.fh = fh;
    this.meta = meta;
    this.bodyAt = bodyAt;
    this.at = sections(meta.count, meta.opCount);
  }

  /** Opens and checks the file's head; throws StaleIndex if it is not a position index. */
  static async open(fh: FileHandle): Promise<PositionFile> {
    const head = await readAt(fh, 0, PREFIX);
    if (!head.subarray(0, 8).equals(MAGIC)) throw new StaleIndex('not a position index');
    const metaLen = head.readUInt32LE(8);
    const metaBytes = await readAt(fh, PREFIX, metaLen);
    if (crc32(metaBytes) !== head.readUInt32LE(12)) throw new StaleIndex('the position index head fails its checksum');
    let meta: unknown;
    try {
      meta = JSON.parse(metaBytes.toString('utf8'));
    } catch {
      throw new StaleIndex('the position index head is not JSON');
    }
    if (!isMeta(meta)) throw new StaleIndex('the position index head is not as expected');
    if (meta.blocks.length !== Math.ceil(sections(meta.count, meta.opCount).bodyLen / BLOCK)) throw new StaleIndex('the position index head does not match its body');
    const bodyAt = PREFIX + metaLen + ((8 - ((PREFIX + metaLen) % 8)) % 8);
    return new PositionFile(fh, meta, bodyAt);
  }

  /** Body bytes [from, from + len), every block they touch checked against its crc32. */
  private async body(from: number, len: number): Promise<Buffer> {
    if (len === 0) return Buffer.alloc(0);
    const b0 = Math.floor(from / BLOCK);
    const b1 = Math.floor((from + len - 1) / BLOCK);
    const bodyLen = this.at.bodyLen;
    const start = b0 * BLOCK;
    const buf = await readAt(this.fh, this.bodyAt + start, Math.min((b1 + 1) * BLOCK, bodyLen) - start);
    for (let b = b0; b <= b1; b++) {
      if (crc32(buf.subarray((b - b0) * BLOCK, (b - b0 + 1) * BLOCK)) !== this.meta.blocks[b]) throw new StaleIndex(`position index block ${b} fails its checksum`);
    }
    return buf.subarray(from - start, from - start + len);
  }

  private async array<T extends Typed>(make: new (n: number) => T, section: Section, first = 0, n?: number): Promise<T> {
    const count = n ?? (section.startsWith('op') ? this.meta.opCount : this.meta.count) - first;
    const out = new make(count);
    bytesOf(out).set(await this.body(this.at[section].at + first * WIDTH[section], count * WIDTH[section]));
    return out;
  }

  hashes(): Promise<Int32Array> {
    return this.array(Int32Array, 'hash');
  }

  async ops(): Promise<PositionTable['ops']> {
    return { count: this.meta.opCount, hash: await this.array(Int32Array, 'opHash'), del: await this.array(Uint8Array, 'opDel'), pos: await this.array(Int32Array, 'opPos'), off: await this.array(Float64Array, 'opOff'), len: await this.array(Int32Array, 'opLen') };
  }

  /** Offsets, lengths and superseded flags of message lines [first, first + n). */
  async lines(first: number, n: number): Promise<{ off: Float64Array; len: Int32Array; sup: Uint8Array }> {
    return { off: await this.array(Float64Array, 'off', first, n), len: await this.array(Int32Array, 'len', first, n), sup: await this.array(Uint8Array, 'sup', first, n) };
  }

  /** The whole table (to extend it after an append). */
  async table(): Promise<PositionTable> {
    const { off, len, sup } = await this.lines(0, this.meta.count);
    return { end: this.meta.size, count: this.meta.count, hash: await this.hashes(), off, len, sup, ops: await this.ops() };
  }

  close(): Promise<void> {
    return this.fh.close().catch(() => {});
  }
}

// A lean forward pass over a whole chat file, for the reads that need all of it at once (find in
// chat, the page around an old message) without building the store's full backward index.
//
// Message lines our writer made (`{"id":"…` first) are classified from their first bytes and
// their id is kept only as a 32-bit hash in a typed array: no string or object per line. Every
// other line (changes, other tools' key order) is parsed and validated in full. Ids are compared
// by hash first and confirmed by reading the line again, so a hash collision is never a mistake.
// The rules are those of docs/FORMAT.md (and compaction's readFullState): logical order is the
// order of the last first appearance of each id; a delete is final; a change applies to the first
// appearance it follows.
import type { FileHandle } from 'node:fs/promises';
import type { Message, MessageOp } from '../../shared/chat-format.ts';
import type { FsSeam } from '../durable/fs-seam.ts';
import { applyOp, BlockTokens, parseRecord, toMessage } from './records.ts';

const BLOCK = 8 * 1024 * 1024;
const NL = 0x0a;
const ID_PREFIX = Buffer.from('{"id":"');
const ID_TOKEN = Buffer.from('"id"');

export interface ScanOp {
  /** Number of message lines before this change: it applies to a first appearance with a smaller index. */
  pos: number;
  rec: MessageOp;
}

/** Called per block with the block's bytes; returns sorted offsets (in the block) of interest. */
export type BlockHook = (block: Buffer) => number[];
/** Called for a message line that holds an offset of interest, while its bytes are at hand. */
export type CandidateHook = (line: number, bytes: Buffer) => void;

export interface LineTable {
  /** Message lines (first appearances), in file order. */
  count: number;
  off: Float64Array;
  len: Int32Array;
  hash: Int32Array;
  opsById: Map<string, ScanOp[]>;
  deleted: Set<string>;
  /** Where each change line is (for the position index, positions/): its id's hash, offset, length, `pos`, and whether it is a delete. */
  ops: OpLines;
  /** The offset just past the last newline scanned: the lines before it are complete. */
  end: number;
}

export interface OpLines {
  count: number;
  hash: Int32Array;
  off: Float64Array;
  len: Int32Array;
  pos: Int32Array;
  del: Uint8Array;
}

/** Where a scan starts: after the header (a whole file), or at `offset`, after `count` message lines (the rest of a file indexed before). */
export interface ScanFrom {
  offset: number;
  count: number;
}

/** Ids longer than this are hashed on their last HASH_TAIL characters and their length. */
const HASH_TAIL = 16;

/** FNV-1a over the id's length and last characters (ids are ASCII, so bytes and chars agree). */
export function idHash(id: string): number {
  let h = Math.imul(0x811c9dc5 ^ id.length, 0x01000193);
  for (let i = Math.max(0, id.length - HASH_TAIL); i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h | 0;
}

function bytesHash(b: Buffer, start: number, end: number): number {
  let h = Math.imul(0x811c9dc5 ^ (end - start), 0x01000193);
  for (let i = Math.max(start, end - HASH_TAIL); i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h | 0;
}

/** Whether the line at `p` starts with `{"id":"` (our writer's message lines). */
function idFirst(b: Buffer, p: number): boolean {
  return b[p] === 0x7b && b[p + 1] === 0x22 && b[p + 2] === 0x69 && b[p + 3] === 0x64 && b[p + 4] === 0x22 && b[p + 5] === 0x3a && b[p + 6] === 0x22;
}

async function readAt(fh: FileHandle, off: number, len: number, into?: Buffer): Promise<Buffer> {
  const buf = into && into.length >= len ? into.subarray(0, len) : Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, off + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === len ? buf : buf.subarray(0, got);
}

/** What a page around a message needs of a chat's lines: a full scan (ScannedChat) or the position index (positions/). */
export interface LineSource {
  /** Message lines (first appearances). */
  readonly count: number;
  lineOf(id: string): Promise<number>;
  materialize(i: number): Promise<Message | null>;
  close(): Promise<void>;
}

/** An open chat file plus its line table; close it when done. */
export class ScannedChat implements LineSource {
  readonly table: LineTable;
  private readonly fh: FileHandle;
  private lastByHashMap: { get(h: number): number | undefined } | undefined;

  private constructor(fh: FileHandle, table: LineTable) {
    this.fh = fh;
    this.table = table;
  }

  /** Scans `size` bytes of the file at `path` (the store's view of it). */
  static async open(fs: FsSeam, path: string, size: number, hooks: { block?: BlockHook; candidate?: CandidateHook } = {}): Promise<ScannedChat> {
    const fh = await fs.open(path, 'r');
    try {
      return new ScannedChat(fh, await scanLines(fh, size, hooks));
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
  }

  get count(): number {
    return this.table.count;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => {});
  }

  /** Last message line with each hash: an open-addressing table in a typed array (no Map of 100k entries). */
  private get lastByHash(): { get(h: number): number | undefined } {
    if (!this.lastByHashMap) {
      const { hash, count } = this.table;
      let size = 1024;
      while (size < count * 2) size *= 2;
      const mask = size - 1;
      const slots = new Int32Array(size); // line index + 1; 0 = empty
      for (let i = 0; i < count; i++) {
        const h = hash[i]!;
        let k = (Math.imul(h, 0x9e3779b1) >>> 0) & mask;
        while (slots[k] !== 0 && hash[slots[k]! - 1] !== h) k = (k + 1) & mask;
        slots[k] = i + 1; // a later line with the same hash replaces the earlier one
      }
      this.lastByHashMap = {
        get(h: number) {
          let k = (Math.imul(h, 0x9e3779b1) >>> 0) & mask;
          for (;;) {
            const v = slots[k]!;
            if (v === 0) return undefined;
            if (hash[v - 1] === h) return v - 1;
            k = (k + 1) & mask;
          }
        },
      };
    }
    return this.lastByHashMap;
  }

  async lineBytes(i: number): Promise<Buffer> {
    return readAt(this.fh, this.table.off[i]!, this.table.len[i]!);
  }

  /** The id a message line names, or null if the line is not a valid message. */
  private async lineId(i: number): Promise<string | null> {
    const rec = parseRecord((await this.lineBytes(i)).toString('utf8'));
    return rec.kind === 'message' ? rec.rec.id : null;
  }

  /** The message line holding the current first appearance of `id`, or -1. Deleted ids still count. */
  async lineOf(id: string): Promise<number> {
    const h = idHash(id);
    const last = this.lastByHash.get(h);
    if (last === undefined) return -1;
    if ((await this.lineId(last)) === id) return last;
    // A collision: another id has the same hash and a later line. Walk back through that hash.
    for (let i = last - 1; i >= 0; i--) if (this.table.hash[i] === h && (await this.lineId(i)) === id) return i;
    return -1;
  }

  /** Whether line `i`, naming `id`, is that id's current first appearance (no later one). */
  async isCurrent(i: number, id: string): Promise<boolean> {
    const h = this.table.hash[i]!;
    if (this.lastByHash.get(h) === i) return true;
    for (let j = i + 1; j < this.table.count; j++) if (this.table.hash[j] === h && (await this.lineId(j)) === id) return false;
    return true;
  }

  /** The message as it stands now (its changes applied), or null if deleted, superseded or unreadable. */
  async materialize(i: number, knownBase?: Message): Promise<Message | null> {
    let msg: Message;
    if (knownBase) msg = structuredClone(knownBase);
    else {
      const rec = parseRecord((await this.lineBytes(i)).toString('utf8'));
      if (rec.kind !== 'message') return null;
      msg = toMessage(rec.rec);
    }
    if (this.table.deleted.has(msg.id) || !(await this.isCurrent(i, msg.id))) return null;
    for (const op of this.table.opsById.get(msg.id) ?? []) if (op.pos > i) applyOp(msg, op.rec);
    return msg;
  }
}

/** Grows a typed array to `cap` entries, keeping its contents. */
function grown<T extends Float64Array | Int32Array | Uint8Array>(a: T, cap: number): T {
  const b = new (a.constructor as new (n: number) => T)(cap);
  b.set(a);
  return b;
}

/**
 * Scans the lines of `fh` up to `size`: from the start (the header skipped), or from `from` (lines
 * appended to a file indexed before: line indexes and `pos` then count from `from.count`, and the
 * table holds only the new lines).
 */
/** What a scan calls back, and its block size (smaller blocks hold the event loop for less: a background scan). */
export interface ScanHooks {
  block?: BlockHook;
  candidate?: CandidateHook;
  blockBytes?: number;
}

export async function scanLines(fh: FileHandle, size: number, hooks: ScanHooks = {}, from?: ScanFrom): Promise<LineTable> {
  const baseBlock = hooks.blockBytes ?? BLOCK;
  let cap = 1024;
  let off = new Float64Array(cap);
  let len = new Int32Array(cap);
  let hash = new Int32Array(cap);
  const base = from?.count ?? 0;
  let count = 0;
  let opCap = 64;
  const ops: OpLines = { count: 0, hash: new Int32Array(opCap), off: new Float64Array(opCap), len: new Int32Array(opCap), pos: new Int32Array(opCap), del: new Uint8Array(opCap) };
  const pushOp = (o: number, l: number, id: string, del: boolean) => {
    if (ops.count === opCap) {
      opCap *= 2;
      ops.hash = grown(ops.hash, opCap);
      ops.off = grown(ops.off, opCap);
      ops.len = grown(ops.len, opCap);
      ops.pos = grown(ops.pos, opCap);
      ops.del = grown(ops.del, opCap);
    }
    const k = ops.count++;
    ops.hash[k] = idHash(id);
    ops.off[k] = o;
    ops.len[k] = l;
    ops.pos[k] = base + count;
    ops.del[k] = del ? 1 : 0;
  };
  const opsById = new Map<string, ScanOp[]>();
  const deleted = new Set<string>();
  const push = (o: number, l: number, h: number) => {
    if (count === cap) {
      cap *= 2;
      const o2 = new Float64Array(cap);
      o2.set(off);
      off = o2;
      const l2 = new Int32Array(cap);
      l2.set(len);
      len = l2;
      const h2 = new Int32Array(cap);
      h2.set(hash);
      hash = h2;
    }
    off[count] = o;
    len[count] = l;
    hash[count] = h;
    count++;
  };

  let pos = from?.offset ?? 0;
  let headerDone = from !== undefined;
  let end = pos;
  let blockSize = baseBlock;
  // One buffer for every block (lines are handled before the next read): no 8 MiB garbage per block.
  let scratch = Buffer.allocUnsafe(Math.min(baseBlock, size));
  while (pos < size) {
    const want = Math.min(blockSize, size - pos);
    if (want > scratch.length) scratch = Buffer.allocUnsafe(want);
    const b = await readAt(fh, pos, want, scratch);
    if (b.length === 0) break;
    const atEnd = pos + b.length >= size;
    let p = 0;
    if (!headerDone) {
      const nl = b.indexOf(NL);
      if (nl === -1) {
        if (atEnd) break;
        blockSize *= 2;
        continue;
      }
      p = nl + 1;
      headerDone = true;
    }
    // Where the block holds `"op"` tokens and `\u` escapes (records.ts, as the index's sniff uses
    // them): an id-first line holding either may mean something else to JSON.parse (an `"op"`
    // key, spaced or escaped), so it gets the full parse. And the hook's hits.
    const tokens = BlockTokens.find(b);
    const hits = hooks.block ? hooks.block(b) : [];
    let hi = 0;
    let consumed = p;
    if (p > 0) end = pos + p;
    while (p < b.length) {
      let nl = b.indexOf(NL, p);
      if (nl === -1) {
        if (!atEnd) break; // the line continues in the next block
        nl = b.length;
      } else end = pos + nl + 1;
      let lineEnd = nl;
      if (lineEnd > p && b[lineEnd - 1] === 0x0d) lineEnd--;
      while (hi < hits.length && hits[hi]! < p) hi++;
      const hasOpKey = tokens.hasOpToken(p, lineEnd) || tokens.hasEscape(p, lineEnd);
      const isCandidate = hi < hits.length && hits[hi]! < lineEnd;
      if (lineEnd > p) {
        let q = -1;
        if (!hasOpKey && lineEnd - p > ID_PREFIX.length && idFirst(b, p)) {
          // The id's closing quote, found in JS (ids are short; a Buffer.indexOf call per line costs more).
          const idStart = p + ID_PREFIX.length;
          for (let k = idStart; k < lineEnd; k++) {
            const c = b[k]!;
            if (c === 0x22) {
              if (k > idStart) q = k;
              break;
            }
            if (c === 0x5c) break; // an escape changes what the id names: the full parse decides
          }
        }
        // A second `"id"` key later in the line is the one JSON.parse keeps: the full parse decides.
        if (q !== -1) {
          const second = b.indexOf(ID_TOKEN, q + 1);
          if (second !== -1 && second < lineEnd) q = -1;
        }
        if (q !== -1) {
          push(pos + p, lineEnd - p, bytesHash(b, p + ID_PREFIX.length, q));
          if (isCandidate) hooks.candidate?.(base + count - 1, b.subarray(p, lineEnd));
        } else {
          const rec = parseRecord(b.toString('utf8', p, lineEnd));
          if (rec.kind === 'message') {
            push(pos + p, lineEnd - p, idHash(rec.rec.id));
            if (isCandidate) hooks.candidate?.(base + count - 1, b.subarray(p, lineEnd));
          } else if (rec.kind === 'op') {
            pushOp(pos + p, lineEnd - p, rec.rec.id, rec.rec.op === 'delete');
            if (rec.rec.op === 'delete') deleted.add(rec.rec.id);
            else {
              let list = opsById.get(rec.rec.id);
              if (!list) opsById.set(rec.rec.id, (list = []));
              list.push({ pos: base + count, rec: rec.rec });
            }
          }
          // meta records and unreadable lines hold no message text
        }
      }
      p = nl + 1;
      consumed = Math.min(p, b.length);
    }
    if (consumed === 0 && !atEnd) {
      blockSize *= 2; // one line longer than a block
      continue;
    }
    pos += consumed;
    blockSize = baseBlock;
  }
  const opLines: OpLines = { count: ops.count, hash: ops.hash.subarray(0, ops.count), off: ops.off.subarray(0, ops.count), len: ops.len.subarray(0, ops.count), pos: ops.pos.subarray(0, ops.count), del: ops.del.subarray(0, ops.count) };
  return { count, off: off.subarray(0, count), len: len.subarray(0, count), hash: hash.subarray(0, count), opsById, deleted, ops: opLines, end };
}

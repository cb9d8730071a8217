// A source read in blocks, as lines: never the whole file in memory. Each line is decoded on its
// own once complete (a newline byte is never part of a multi-byte UTF-8 character, so a character
// split across two blocks is whole again in its line). Tolerates what rawLines does: a BOM, CRLF,
// blank lines, no trailing newline, a last line cut in half; and a line too long to hold (a
// hostile file) is skipped as it is read, reported by number, never gathered.
import { open } from 'node:fs/promises';
import type { RawLine } from './lines.ts';

/** A source's bytes, read a block at a time: a file by path, or bytes already in memory (the app's Import). */
export interface ByteSource {
  size: number;
  /** Fills buf from `position`; the number of bytes read (0 at the end). */
  read(buf: Buffer, position: number): Promise<number>;
  close(): Promise<void>;
}

export async function fileSource(path: string): Promise<ByteSource> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    return {
      size,
      read: async (buf, position) => (await fh.read(buf, 0, buf.length, position)).bytesRead,
      close: () => fh.close(),
    };
  } catch (e) {
    await fh.close();
    throw e;
  }
}

export function bufferSource(bytes: Buffer): ByteSource {
  return {
    size: bytes.length,
    read: async (buf, position) => bytes.copy(buf, 0, position, Math.min(bytes.length, position + buf.length)),
    close: async () => {},
  };
}

/** A line longer than this (a message may hold 4 MiB; a source line carries more) is not read. */
export const MAX_SOURCE_LINE_BYTES = 32 * 1024 * 1024;
const BLOCK = 1024 * 1024;

export interface BlockLine extends RawLine {
  /** Byte offsets of the line's start and of the end of its newline. */
  start: number;
  end: number;
  /** The line was longer than the cap: its text is empty, its length here. */
  tooLong?: number;
}

export interface LineRange {
  /** Byte range to read, [from, to); from defaults to after the BOM, to to the end. */
  from?: number;
  to?: number;
  /** The number of the range's first line. */
  firstLine?: number;
  /** Each block as it is read (to hash the whole source while scanning it). */
  onBlock?: (bytes: Buffer) => void;
  maxLineBytes?: number;
  /** Bytes read at a time (tests use small blocks to split lines and characters across them). */
  blockBytes?: number;
}

/** Where a source's text starts: after its UTF-8 BOM, if any. */
async function textStart(src: ByteSource): Promise<number> {
  const head = Buffer.alloc(3);
  const n = await src.read(head, 0);
  return n === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
}

/**
 * The non-blank lines of the range, numbered, in batches: one batch per block read (an await per
 * block, not per line). Blank lines are counted but not given.
 */
export async function* lineBatches(src: ByteSource, range: LineRange = {}): AsyncGenerator<BlockLine[]> {
  const from = range.from ?? (range.onBlock ? 0 : await textStart(src));
  const to = Math.min(range.to ?? src.size, src.size);
  const max = range.maxLineBytes ?? MAX_SOURCE_LINE_BYTES;
  const blockSize = range.blockBytes ?? BLOCK;
  // Hashing needs every byte, the BOM too: the BOM is skipped after reading.
  let skip = range.onBlock && from === 0 ? await textStart(src) : 0;
  let line = (range.firstLine ?? 1) - 1;
  /** The current line's bytes from earlier blocks, and where it started. */
  let parts: Buffer[] = [];
  let partBytes = 0;
  let lineStart = from + skip;
  let tooLong = 0;
  let pos = from;
  // One block buffer, reused: the lines given are strings decoded out of it, and a line's start
  // kept for the next block is copied. (A fresh 1 MiB buffer per block leaves malloc's heap
  // fragmented: the RSS of a 575 MB import grew past 450 MB.)
  const buf = Buffer.allocUnsafe(Math.min(blockSize, Math.max(1, to - pos)));
  while (pos < to) {
    const block = buf.subarray(0, Math.min(blockSize, to - pos));
    let got = 0;
    while (got < block.length) {
      const n = await src.read(block.subarray(got), pos + got);
      if (n === 0) break;
      got += n;
    }
    if (got === 0) break;
    const bytes = block.subarray(0, got);
    range.onBlock?.(bytes);
    const batch: BlockLine[] = [];
    let at = skip;
    skip = 0;
    for (;;) {
      const nl = bytes.indexOf(0x0a, at);
      if (nl === -1) break;
      line++;
      const end = pos + nl + 1;
      if (tooLong > 0) batch.push(oversize(line, lineStart, end, tooLong + nl - at, false));
      else if (partBytes + nl - at > max) batch.push(oversize(line, lineStart, end, partBytes + nl - at, false));
      else if (partBytes === 0) pushBytes(batch, bytes, at, nl, line, lineStart, end);
      else pushText(batch, Buffer.concat([...parts, bytes.subarray(at, nl)]).toString('utf8'), line, lineStart, end, false);
      parts = [];
      partBytes = 0;
      tooLong = 0;
      at = nl + 1;
      lineStart = end;
    }
    // The rest of the block starts the next line: kept (copied out of the block), unless too long.
    const rest = got - at;
    if (rest > 0) {
      if (tooLong > 0) tooLong += rest;
      else if (partBytes + rest > max) {
        tooLong = partBytes + rest;
        parts = [];
        partBytes = 0;
      } else {
        parts.push(Buffer.from(bytes.subarray(at)));
        partBytes += rest;
      }
    }
    pos += got;
    if (batch.length > 0) yield batch;
  }
  // A last line with no newline after it: the source's last line if the range runs to its end.
  if (partBytes > 0 || tooLong > 0) {
    line++;
    const last = pos >= src.size;
    const batch: BlockLine[] = [];
    if (tooLong > 0) batch.push(oversize(line, lineStart, pos, tooLong, last));
    else pushText(batch, Buffer.concat(parts).toString('utf8'), line, lineStart, pos, last);
    if (batch.length > 0) yield batch;
  }
}

/**
 * A line within the block: decoded only when its text is read (the lines of a block are not all
 * alive at once as strings), which must be before the next block is read (the buffer is reused).
 */
class BlockSlice implements BlockLine {
  readonly line: number;
  readonly start: number;
  readonly end: number;
  readonly last = false;
  private readonly bytes: Buffer;
  private readonly a: number;
  private readonly b: number;

  constructor(bytes: Buffer, a: number, b: number, line: number, start: number, end: number) {
    this.bytes = bytes;
    this.a = a;
    this.b = b;
    this.line = line;
    this.start = start;
    this.end = end;
  }

  get text(): string {
    return this.bytes.toString('utf8', this.a, this.b > this.a && this.bytes[this.b - 1] === 0x0d ? this.b - 1 : this.b);
  }
}

/** A complete line inside the block: blank lines are left out (only a line not starting with "{" is decoded to tell). */
function pushBytes(batch: BlockLine[], bytes: Buffer, a: number, b: number, line: number, start: number, end: number): void {
  if (bytes[a] === 0x7b) batch.push(new BlockSlice(bytes, a, b, line, start, end));
  else pushText(batch, bytes.toString('utf8', a, b), line, start, end, false);
}

function pushText(batch: BlockLine[], raw: string, line: number, start: number, end: number, last: boolean): void {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  // trim() copies the line: test the first character first (real lines start with "{").
  if (text.length === 0 || (text.charCodeAt(0) !== 0x7b && text.trim() === '')) return;
  batch.push({ line, text, last, start, end });
}

function oversize(line: number, start: number, end: number, bytes: number, last: boolean): BlockLine {
  return { line, text: '', last, start, end, tooLong: bytes };
}

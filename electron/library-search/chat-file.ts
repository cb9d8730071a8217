// Reading a chat file for the library search: its identity, the bytes before an offset, and its
// complete lines from an offset in blocks (bounded memory, however big the chat). All through one
// handle (its fstat gives the identity): a rewrite (atomic rename) meanwhile cannot mix two files.
import { open, type FileHandle } from 'node:fs/promises';

/** Bytes kept from before the indexed end of a file: the same bytes there mean the file was only appended to. */
export const TAIL_BYTES = 64;
/**
 * Lines are read in blocks of about this size (a longer line is read whole); each is indexed in
 * one go on the main thread (~tens of ms for 256 KiB of text on a busy machine), so a window's
 * request waits at most that long behind it (see request-gate.ts).
 */
export const BLOCK_BYTES = 256 * 1024;

export class ChatFile {
  readonly ino: string;
  readonly mtimeNs: string;
  /** The file's size when opened; reads stop there. */
  readonly size: number;
  private readonly fh: FileHandle;

  private constructor(fh: FileHandle, st: { ino: bigint; mtimeNs: bigint; size: bigint }) {
    this.fh = fh;
    this.ino = String(st.ino);
    this.mtimeNs = String(st.mtimeNs);
    this.size = Number(st.size);
  }

  /** Null if the file is gone. */
  static async open(path: string): Promise<ChatFile | null> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    try {
      return new ChatFile(fh, await fh.stat({ bigint: true }));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  private async read(at: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh.read(buf, got, length - got, at + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  }

  /** The TAIL_BYTES (or fewer, near the start) before `end`, as hex; '' past the end of the file. */
  async before(end: number): Promise<string> {
    if (end > this.size) return '';
    const start = Math.max(0, end - TAIL_BYTES);
    return (await this.read(start, end - start)).toString('hex');
  }

  /** The complete lines from `from`, a block at a time, each with the offset it ends at; a torn last line is left for later. */
  async *lines(from: number, blockBytes = BLOCK_BYTES): AsyncGenerator<{ lines: Buffer; end: number }> {
    let at = from;
    let want = blockBytes;
    while (at < this.size) {
      const data = await this.read(at, Math.min(want, this.size - at));
      const nl = data.lastIndexOf(0x0a);
      if (nl === -1) {
        if (at + data.length >= this.size) return; // only a torn last line is left
        want *= 2; // a line longer than a block
        continue;
      }
      want = blockBytes;
      at += nl + 1;
      yield { lines: data.subarray(0, nl + 1), end: at };
    }
  }

  close(): Promise<void> {
    return this.fh.close();
  }
}

/** The TAIL_BYTES before the end of `lines`, which follow the bytes `before` (hex) in the file. */
export function tailAfter(before: string, lines: Buffer): string {
  if (lines.length >= TAIL_BYTES) return lines.toString('hex', lines.length - TAIL_BYTES);
  return (before + lines.toString('hex')).slice(-TAIL_BYTES * 2);
}

// Reading a chat file for the library search: its identity, and its complete lines from an offset.
// Read through one handle (fstat of that handle): a rewrite (atomic rename) meanwhile cannot mix two files.
import { open } from 'node:fs/promises';

/** Bytes kept from before the indexed end of a file: the same bytes there mean the file was only appended to. */
export const TAIL_BYTES = 64;

export interface ChatFileRead {
  ino: string;
  mtimeNs: string;
  /** The file's size now. */
  size: number;
  /** The TAIL_BYTES (or fewer) before `from`, as hex; '' when `from` is 0 or past the end. */
  before: string;
  /** The complete lines from `from` (up to the last newline); a torn last line waits until it is complete. */
  lines: Buffer;
  /** Where `lines` ends: the next read starts there. */
  end: number;
}

/** The file's identity and its complete lines from `from` (`from` past the end reads nothing). Null if it is gone. */
export async function readChatFile(path: string, from: number): Promise<ChatFileRead | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const st = await fh.stat({ bigint: true });
    const size = Number(st.size);
    const start = Math.max(0, Math.min(from, size) - TAIL_BYTES);
    const buf = Buffer.allocUnsafe(size - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const data = buf.subarray(0, got);
    const at = Math.min(from, size) - start;
    const before = from > 0 && from <= size ? data.toString('hex', 0, at) : '';
    const rest = data.subarray(at);
    const nl = rest.lastIndexOf(0x0a);
    const lines = nl === -1 ? rest.subarray(0, 0) : rest.subarray(0, nl + 1);
    return { ino: String(st.ino), mtimeNs: String(st.mtimeNs), size, before, lines, end: start + at + lines.length };
  } finally {
    await fh.close();
  }
}

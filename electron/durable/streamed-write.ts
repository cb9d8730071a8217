// A new file written piece by piece, in bounded memory (an import of any size), yet all or nothing.
// A small file stays in memory and is written at the end by atomicRewrite (one verified write, as
// before). Past SPILL_BYTES the pieces go into a temp file beside the target, which is fsync'd, read
// back and checked against the hash of what was written, and only then renamed into place. The temp
// name is write-file-atomic's form (`<target>.<uint32>`), which the store already takes for the
// leftover of an interrupted rewrite: a kill mid-write leaves a temp file that the next open
// removes, never a file taken as a chat.
import { createHash, randomInt, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { StoreError } from '../../shared/errors.ts';
import { atomicRewrite, fsyncDir } from './durable.ts';
import type { FsSeam } from './fs-seam.ts';

const CHUNK = 4 * 1024 * 1024;
/** Up to this size a file is kept in memory and written at once. */
export const SPILL_BYTES = 8 * 1024 * 1024;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class StreamedFile {
  readonly target: string;
  /** The temp file, once the pieces spilled into one. */
  temp: string | null = null;
  private readonly fs: FsSeam;
  private fh: FileHandle | null = null;
  private readonly hash: Hash = createHash('sha256');
  /** Filled chunks not written yet, and the one being filled. */
  private ready: Buffer[] = [];
  /** Chunk buffers written out, for reuse (a fresh 4 MiB buffer each time fragments malloc's heap: RSS grows). */
  private free: Buffer[] = [];
  private cur: Buffer = Buffer.allocUnsafe(CHUNK);
  private at = 0;
  private written = 0;
  private queued = 0;
  private renamed = false;

  /** A new file for `target` (its directory must exist by the first drain()). */
  constructor(fs: FsSeam, target: string) {
    this.fs = fs;
    this.target = target;
  }

  /** A fresh temp file beside the target. */
  private async spill(): Promise<FileHandle> {
    for (;;) {
      const temp = `${this.target}.${randomInt(2 ** 32)}`;
      try {
        this.fh = await this.fs.open(temp, 'wx', 0o600);
        this.temp = temp;
        return this.fh;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  /** Bytes handed over so far. */
  get size(): number {
    return this.written + this.queued + this.at;
  }

  /** Whether enough is buffered that the caller should await drain() before writing more. */
  get full(): boolean {
    return this.ready.length > 0;
  }

  /** Encodes text straight into the current chunk (3 bytes per UTF-16 unit are the most UTF-8 needs). */
  write(text: string): void {
    const worst = text.length * 3;
    if (this.at + worst > this.cur.length) {
      this.seal();
      this.cur = worst <= CHUNK && this.free.length > 0 ? this.free.pop()! : Buffer.allocUnsafe(Math.max(CHUNK, worst));
    }
    this.at += this.cur.write(text, this.at, 'utf8');
  }

  private seal(): void {
    if (this.at === 0) return;
    const chunk = this.cur.subarray(0, this.at);
    this.ready.push(chunk);
    this.queued += chunk.length;
    this.at = 0;
  }

  /** Writes the filled chunks to the temp file, once they are more than SPILL_BYTES. */
  async drain(): Promise<void> {
    if (this.temp === null && this.queued <= SPILL_BYTES) return;
    const fh = this.fh ?? (await this.spill());
    while (this.ready.length > 0) {
      const chunk = this.ready.shift()!;
      this.queued -= chunk.length;
      this.hash.update(chunk);
      let off = 0;
      while (off < chunk.length) {
        const { bytesWritten } = await fh.write(chunk, off, chunk.length - off, this.written + off);
        off += bytesWritten;
      }
      this.written += chunk.length;
      const whole = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.buffer.byteLength - chunk.byteOffset);
      if (whole.length === CHUNK && this.free.length < 2) this.free.push(whole);
    }
  }

  /**
   * Everything written, fsync'd, closed, then read back and checked against what was written.
   * `check` runs between the blocks read back (it may throw to stop: a cancel).
   */
  async finish(check?: () => void): Promise<void> {
    this.seal();
    if (this.temp === null) return; // small: written at once by renameIntoPlace
    await this.drain();
    const fh = this.open();
    await fh.sync();
    this.fh = null;
    await fh.close();
    const expected = this.hash.digest('hex');
    const back = await this.fs.open(this.temp!, 'r');
    try {
      const h = createHash('sha256');
      const buf = Buffer.allocUnsafe(CHUNK);
      let pos = 0;
      for (;;) {
        const { bytesRead } = await back.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        h.update(buf.subarray(0, bytesRead));
        pos += bytesRead;
        await turn();
        check?.();
      }
      if (pos !== this.written || h.digest('hex') !== expected) throw new StoreError('IO_ERROR', `read-back check failed after writing ${basename(this.target)}`);
    } finally {
      await back.close().catch(() => {});
    }
  }

  /**
   * The checked temp file takes the target's name (replacing nothing the caller did not check),
   * durably; a small file is written there at once (atomic, verified).
   */
  async renameIntoPlace(): Promise<void> {
    if (this.temp === null) {
      const chunks = this.ready;
      this.ready = [];
      this.queued = 0;
      await atomicRewrite(this.fs, this.target, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
      return;
    }
    await this.fs.rename(this.temp, this.target);
    this.renamed = true;
    await fsyncDir(dirname(this.target));
  }

  /** Closes and removes the temp file (a failed or cancelled write); never throws. */
  async discard(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    this.ready = [];
    await fh?.close().catch(() => {});
    if (this.temp !== null && !this.renamed) await this.fs.unlink(this.temp).catch(() => {});
  }

  private open(): FileHandle {
    if (!this.fh) throw new StoreError('INTERNAL', 'the temp file is closed');
    return this.fh;
  }
}

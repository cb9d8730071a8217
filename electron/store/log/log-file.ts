// One chat file as a ChatLog has it open: its read and append handles, the identity (device,
// inode, mtime) and size of what was read, reads at an offset, and whether the path still names
// that file. The other log modules keep these fields current; nothing here parses records.
import type { FileHandle } from 'node:fs/promises';
import { StoreError } from '../../../shared/errors.ts';
import { errnoOf } from '../../durable/durable.ts';
import type { FsSeam } from '../../durable/fs-seam.ts';
import { stampOf, type FileStamp } from '../../durable/guarded-rewrite.ts';

export const NL = 0x0a;
/** Bytes read at once when indexing backwards or looking for the start of the last line. */
export const BLOCK = 256 * 1024;

/** Where one line is: its offset and its length without the newline. */
export interface Ref {
  off: number;
  len: number;
}

/** Identity, size and mtime of a chat file (mtime -1n when unknown): what the store last read or wrote, compared with a stat of the path. */
export type FileState = FileStamp;

export type PathState = 'same' | 'replaced' | 'changed' | 'gone';

export class LogFile {
  readonly fs: FsSeam;
  readonly chatId: string;
  readonly path: string;
  reader: FileHandle | null = null;
  writer: FileHandle | null = null;
  /** Identity of the file this log has open; the path must still name it before a write. */
  dev = 0n;
  ino = 0n;
  /** Bytes the log holds: the file without a torn tail that a read-only chat keeps on disk. */
  size = 0;
  /** Bytes of the file on disk (differs from `size` only while a read-only chat's torn tail stays). */
  fileSize = 0;
  /** The file's mtime after our last read or write: an in-place edit of the same size changes it. */
  mtimeNs = -1n;
  /** Where the records start: just after the header line. */
  headerEnd = 0;
  endsWithNewline = true;
  /** Where the file ended at open when its last line had no newline; an append puts one there. */
  unterminatedEnd = -1;
  /** Set once the file on disk is known to differ from what this log read: the store reopens it. */
  stale = false;
  /** An append that failed after it began writing: where it began, and whether its bytes were cut back (else some may still be there). */
  failedWrite: { from: number; cutBack: boolean } | null = null;

  constructor(fs: FsSeam, chatId: string, path: string) {
    this.fs = fs;
    this.chatId = chatId;
    this.path = path;
  }

  async read(off: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.reader!.read(buf, got, len - got, off + got);
      if (bytesRead === 0) throw new StoreError('CONFLICT', `chat ${this.chatId} shrank while being read; it was changed outside the app`);
      got += bytesRead;
    }
    return buf;
  }

  /**
   * What the path names now, compared with the file this log read: an editor or sync tool may
   * have saved over it (temp file + rename), deleted it, appended to it, or edited it in place
   * (same size, new mtime). One stat of the path, which the caller gets too: cheap enough to run
   * before every write and every read operation. (An fstat of the open handle would miss a
   * rename over the path.)
   */
  async pathState(): Promise<{ state: PathState; stamp: FileStamp | null }> {
    let st;
    try {
      st = await this.fs.stat(this.path, { bigint: true });
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return { state: 'gone', stamp: null };
      throw e;
    }
    const stamp = stampOf(st);
    if (st.ino !== this.ino || st.dev !== this.dev) return { state: 'replaced', stamp };
    // An unknown mtime (a failed fstat after a write) compares by size alone.
    const same = stamp.size === this.fileSize && (this.mtimeNs === -1n || stamp.mtimeNs === this.mtimeNs);
    return { state: same ? 'same' : 'changed', stamp };
  }

  /** Refuses a write unless the path still names this log's file, unchanged since it was read or written; returns its stamp. */
  async assertUnchanged(): Promise<FileStamp> {
    const { state, stamp } = await this.pathState();
    if (state === 'same') return stamp!;
    this.stale = true;
    if (state === 'gone') {
      throw new StoreError('NOT_FOUND', `chat ${this.chatId} was deleted outside the app; nothing was saved`, { chatId: this.chatId });
    }
    const what = state === 'replaced' ? 'replaced by another file' : 'changed';
    throw new StoreError('CONFLICT', `chat ${this.chatId} was ${what} outside the app; nothing was saved. It has been re-read: try again`, { chatId: this.chatId, reason: 'changed_outside' });
  }

  /** The file as this log last read or wrote it. */
  state(): FileState {
    return { dev: this.dev, ino: this.ino, size: this.fileSize, mtimeNs: this.mtimeNs };
  }

  async close(): Promise<void> {
    const handles = [this.reader, this.writer];
    this.reader = this.writer = null;
    await Promise.all(handles.map((h) => h?.close().catch(() => {})));
  }
}

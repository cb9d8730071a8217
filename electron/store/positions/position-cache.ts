// Per-chat position indexes (see position-table.ts), persisted as a cache: one file per chat in
// the store's device cache folder (Layout.positionsDir). Safe to delete; never a second source of
// truth (every line read through it is checked, position-file.ts and indexed-chat.ts).
//
// - Used only if it describes the chat file as the store sees it now: same device and inode, same
//   size and mtime; or the file grew and the bytes before the old end still end the same (an
//   append, by the app or another program): then only the appended bytes are scanned, and the
//   extended table is saved later. Anything else (missing, replaced, shorter, edited in place,
//   damaged) makes it unusable: the caller scans the whole file, and that scan is saved.
// - Saving is deferred and batched (one atomic rewrite per chat at most every `delayMs`, and on
//   close), fenced by the data-folder lock like index.json. An append never touches it.
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import type { FsSeam } from '../../durable/fs-seam.ts';
import { scanLines, type LineSource, type LineTable } from '../line-scan.ts';
import { IndexedChat } from './indexed-chat.ts';
import { encodePositions, PositionFile, StaleIndex, tableAccess, type PositionStamp } from './position-file.ts';
import { extendTable, tableFromScan, type PositionTable } from './position-table.ts';

export const POSITIONS_FLUSH_DELAY_MS = 2_000;
/** A chat opened with fewer bytes than this gets no index in the background: a jump scans it quickly enough. */
export const PREPARE_MIN_BYTES = 4 * 1024 * 1024;
/** How long after a chat is opened its index is built in the background (the page and its first reads go first). */
const PREPARE_DELAY_MS = 1_000;
/** Bytes before a table's end whose checksum tells an append from an edit of the last lines. */
const TAIL_BYTES = 4096;

/** The chat file as the store's log sees it (ChatLog.fileState, and `size`: its bytes without a torn tail it keeps). */
export interface ChatFileView {
  chatId: string;
  path: string;
  dev: bigint;
  ino: bigint;
  mtimeNs: bigint;
  size: number;
}

interface Pending {
  view: ChatFileView;
  /** Taken from the chat when the table was made, so a later edit of those bytes cannot pass for the table's. */
  tail: { tailFrom: number; tailCrc: number };
  table: () => Promise<PositionTable>;
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function readAt(fh: FileHandle, off: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, off + got);
    if (bytesRead === 0) throw new StaleIndex('the chat is shorter than the index says');
    got += bytesRead;
  }
  return buf;
}

async function tailCrc(chat: FileHandle, end: number): Promise<{ tailFrom: number; tailCrc: number }> {
  const tailFrom = Math.max(0, end - TAIL_BYTES);
  return { tailFrom, tailCrc: crc32(await readAt(chat, tailFrom, end - tailFrom)) };
}

export class PositionCache {
  private readonly fs: FsSeam;
  private readonly dir: string;
  private readonly fence: () => Promise<void> | undefined;
  private readonly delayMs: number;
  private readonly pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private closed = false;
  /** Background builds: the chats queued (by the view they were asked for) and the one running. */
  private readonly toBuild = new Map<string, ChatFileView>();
  private building: Promise<void> | undefined;
  private buildTimer: NodeJS.Timeout | undefined;
  private readonly prepared = new Map<string, string>();

  constructor(fs: FsSeam, dir: string, fence: () => Promise<void> | undefined, delayMs = POSITIONS_FLUSH_DELAY_MS) {
    this.fs = fs;
    this.dir = dir;
    this.fence = fence;
    this.delayMs = delayMs;
  }

  fileOf(chatId: string): string {
    return join(this.dir, `${chatId}.pos`);
  }

  /**
   * The chat's lines from its position index, or null if it has none usable (missing, stale,
   * damaged): the caller scans the file (and hands the scan to `remember`).
   */
  async open(view: ChatFileView): Promise<LineSource | null> {
    // The saved index is opened alongside the chat (one wait fewer for a jump in a fresh process);
    // closed unread if the chat's table is in memory after all.
    let indexFile: Promise<FileHandle | null> | null = this.pending.has(view.chatId) ? null : this.fs.open(this.fileOf(view.chatId), 'r').catch(() => null);
    const unused = () => void indexFile?.then((fh) => fh?.close().catch(() => {}));
    let chat: FileHandle;
    try {
      chat = await this.fs.open(view.path, 'r');
    } catch (e) {
      unused();
      throw e;
    }
    try {
      const st = await chat.stat({ bigint: true });
      if (st.dev !== view.dev || st.ino !== view.ino || view.mtimeNs === -1n) throw new StaleIndex('the chat file is not the one the store read');
      const pending = this.pending.get(view.chatId);
      if (pending && pending.view.dev === view.dev && pending.view.ino === view.ino && pending.view.size <= view.size) {
        const table = await pending.table();
        if (pending.view.size === view.size && pending.view.mtimeNs === view.mtimeNs) return this.inMemory(chat, view, table);
        if (pending.view.size < view.size && table.end === pending.view.size) return this.extended(chat, view, table);
      }
      const opening = indexFile ?? this.fs.open(this.fileOf(view.chatId), 'r').catch(() => null);
      indexFile = null; // fromFile owns it now
      return await this.fromFile(chat, view, await opening);
    } catch (e) {
      await chat.close().catch(() => {});
      if (e instanceof StaleIndex || (e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    } finally {
      unused();
    }
  }

  private async fromFile(chat: FileHandle, view: ChatFileView, fh: FileHandle | null): Promise<LineSource> {
    if (!fh) throw new StaleIndex('no position index');
    let file: PositionFile;
    try {
      file = await PositionFile.open(fh);
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
    try {
      const m = file.meta;
      if (m.chatId !== view.chatId || m.dev !== String(view.dev) || m.ino !== String(view.ino)) throw new StaleIndex('the index describes another file');
      if (m.size === view.size && m.mtimeNs === String(view.mtimeNs)) return new IndexedChat(chat, view.size, file); // reads the blocks it needs, as it needs them
      if (m.size >= view.size) throw new StaleIndex('the chat was changed in place or cut');
      const { tailCrc: crc } = await tailCrc(chat, m.size);
      if (crc !== m.tailCrc || m.tailFrom !== Math.max(0, m.size - TAIL_BYTES)) throw new StaleIndex('the chat was changed before its old end');
      const table = await file.table();
      await file.close();
      return await this.extended(chat, view, table);
    } catch (e) {
      await file.close();
      throw e;
    }
  }

  private inMemory(chat: FileHandle, view: ChatFileView, t: PositionTable): LineSource {
    return new IndexedChat(chat, view.size, tableAccess(t));
  }

  /** The table extended by a scan of the bytes appended since it was made; saved later if it covers the whole chat. */
  private async extended(chat: FileHandle, view: ChatFileView, old: PositionTable): Promise<LineSource> {
    const delta = await scanLines(chat, view.size, {}, { offset: old.end, count: old.count });
    const table = extendTable(old, delta);
    if (table.end === view.size) this.schedule(view, await tailCrc(chat, table.end), async () => table);
    return this.inMemory(chat, view, table);
  }

  /**
   * A chat was opened: if it is big and has no usable index, one is built in the background
   * (a scan of the file, outside the chat's queue: it reads only the bytes `view` names).
   */
  prepare(view: ChatFileView): void {
    if (this.closed || view.size < PREPARE_MIN_BYTES || view.mtimeNs === -1n || this.pending.has(view.chatId) || this.toBuild.has(view.chatId)) return;
    const seen = `${view.ino}:${view.size}:${view.mtimeNs}`;
    if (this.prepared.get(view.chatId) === seen) return; // checked for this very file already
    this.prepared.set(view.chatId, seen);
    void this.usable(view).then((ok) => {
      if (ok || this.closed) return;
      this.toBuild.set(view.chatId, view);
      if (this.building || this.buildTimer) return;
      this.buildTimer = setTimeout(() => {
        this.buildTimer = undefined;
        this.building = this.buildQueued().finally(() => (this.building = undefined));
      }, PREPARE_DELAY_MS);
      this.buildTimer.unref();
    });
  }

  /** Whether the saved index describes the chat, or it only grew (then a jump extends it). */
  private async usable(view: ChatFileView): Promise<boolean> {
    const fh = await this.fs.open(this.fileOf(view.chatId), 'r').catch(() => null);
    if (!fh) return false;
    try {
      const m = (await PositionFile.open(fh)).meta;
      return m.chatId === view.chatId && m.dev === String(view.dev) && m.ino === String(view.ino) && (m.size < view.size || (m.size === view.size && m.mtimeNs === String(view.mtimeNs)));
    } catch {
      return false;
    } finally {
      await fh.close().catch(() => {});
    }
  }

  private async buildQueued(): Promise<void> {
    for (const [chatId, view] of this.toBuild) {
      this.toBuild.delete(chatId);
      if (this.closed) return;
      if (this.pending.has(chatId)) continue; // a jump or a find made one meanwhile
      const chat = await this.fs.open(view.path, 'r').catch(() => null);
      if (!chat) continue;
      try {
        const st = await chat.stat({ bigint: true });
        if (st.dev !== view.dev || st.ino !== view.ino) continue;
        const stop = (): number[] => {
          if (this.closed) throw new StaleIndex('the store is closing');
          return [];
        };
        const scan = await scanLines(chat, view.size, { block: stop, blockBytes: 1024 * 1024 });
        if (scan.end === view.size && !this.pending.has(chatId)) {
          let table: PositionTable | undefined;
          this.schedule(view, await tailCrc(chat, scan.end), async () => (table ??= tableFromScan(scan)));
        }
      } catch {
        // a cache: a failed build is tried again when the chat is next opened
      } finally {
        await chat.close().catch(() => {});
      }
    }
  }

  /** A full scan of the chat as `view` describes it (read through `chat`): saved later as its index (the rebuild). */
  async remember(view: ChatFileView, scan: LineTable): Promise<void> {
    if (this.closed || scan.end !== view.size || view.mtimeNs === -1n) return; // an unterminated last line, or an unknown mtime: nothing to check it by later
    const chat = await this.fs.open(view.path, 'r').catch(() => null);
    if (!chat) return;
    try {
      const st = await chat.stat({ bigint: true });
      if (st.dev !== view.dev || st.ino !== view.ino || st.mtimeNs !== view.mtimeNs || Number(st.size) !== view.size) return; // changed since: the next jump scans again
      let table: PositionTable | undefined;
      this.schedule(view, await tailCrc(chat, scan.end), async () => (table ??= tableFromScan(scan)));
    } finally {
      await chat.close().catch(() => {});
    }
  }

  private schedule(view: ChatFileView, tail: Pending['tail'], table: () => Promise<PositionTable>): void {
    if (this.closed) return;
    this.pending.set(view.chatId, { view, tail, table });
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush().catch(() => {}); // a cache: a failed write is tried again at the next use or on close
    }, this.delayMs);
    this.timer.unref();
  }

  /** The chat is gone or rewritten: its index is of no use. */
  async forget(chatId: string): Promise<void> {
    this.pending.delete(chatId);
    await this.fs.rm(this.fileOf(chatId), { force: true }).catch(() => {});
  }

  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.flushing) await this.flushing;
    if (this.pending.size === 0) return;
    this.flushing = this.writeAll().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async writeAll(): Promise<void> {
    await this.fs.mkdir(this.dir, { recursive: true });
    for (const [chatId, p] of [...this.pending]) {
      try {
        // Each step is synchronous (~0.1 s each at 1,000,000 messages on a busy machine): the
        // event loop gets a turn between them, so a window's request waits for one at most.
        await turn();
        const table = await p.table();
        const stamp: PositionStamp = { chatId, dev: String(p.view.dev), ino: String(p.view.ino), mtimeNs: String(p.view.mtimeNs), size: table.end, ...p.tail };
        await turn();
        const bytes = encodePositions(table, stamp);
        await turn();
        await this.fence();
        await this.fs.writeFileAtomic(this.fileOf(chatId), bytes);
      } finally {
        if (this.pending.get(chatId) === p) this.pending.delete(chatId);
      }
    }
  }

  /** Stops a background build, saves what is pending; later tables are not saved. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.buildTimer) clearTimeout(this.buildTimer);
    this.buildTimer = undefined;
    this.toBuild.clear();
    await this.building;
    await this.flush().catch(() => {}); // what is pending is still saved
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

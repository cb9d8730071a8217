// The app's last written version of a chat, kept readable until it has been compared with what
// another program left at the chat's path: every write the store acknowledged must end up in the
// chat or in a conflict copy (electron/watcher/conflict-copy.ts), never in neither.
//
// At the first write of a file (each chat, each file the app writes), a hard link to it goes into
// <data>/.own-versions/: no space while the chat's path names the same file, and the file stays
// readable after another program renames another one over it, whether the chat's log is still open,
// was closed (idle logs are closed beyond 64), or the app quit or crashed meanwhile. Where a link
// cannot be made (another file system, the path already replaced), the log's open handle still holds
// the file, and its bytes are copied there when the log closes or the change is seen. Once the
// watcher has compared the kept versions with a changed file (refreshChat; a file renamed or changed
// after that comparison keeps them for the next one), they go and the file at
// the path becomes the app's version (a link to it: a later change that loses what the app wrote is
// still seen); they go too when the app writes another file of the chat, or the chat is gone. So the
// app's version of every chat it wrote is known across runs: at open, a link whose chat still has
// that file is that version; the other kept files wait for the watcher's comparison. Like every entry in the data directory, each is made durable (its
// directory fsynced) before the write that made it is acknowledged (ChatTasks.acknowledge waits).
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Message } from '../../../shared/chat-format.ts';
import { errnoOf, fsyncDir, ioError, mkdirDurable } from '../../durable/durable.ts';
import { sameStamp, stampOf, type FileStamp } from '../../durable/guarded-rewrite.ts';
import { readFullState } from '../compaction.ts';
import type { ChatLog } from '../log/chat-log.ts';
import type { FileState } from '../log/log-file.ts';
import { KeyedQueue } from '../write-queue.ts';
import type { StoreContext } from './context.ts';
import type { LogEvents, OwnVersionOnClose } from './open-logs.ts';

interface KeptVersion {
  dev: bigint;
  ino: bigint;
  /** The app's version is the file's first `size` bytes (another program may have appended since). */
  size: number;
  /** Where it is kept: a hard link to the chat's file, or a copy of its bytes. */
  file: string;
  /** The chat's path was seen to name another file, or to change, since: not the store's own until compared. */
  superseded: boolean;
  /** The app is rewriting the chat (compaction) from this file: its own new file replaces it at the path. */
  rewritten?: boolean;
  /**
   * At the last comparison its lines were in the chat only through a sync tool's conflict copy beside
   * it: kept (and compared again) until the copy's merge has brought them into the chat itself, so
   * that a copy gone before its merge (pruned by the sync tool, deleted) still leaves them reachable.
   */
  awaitsMerge?: boolean;
}

/** One version of the app's for a comparison: its bytes, and the kept file they were read from (none: the open log's). */
export interface OwnVersionBytes {
  bytes: Buffer;
  file?: string;
}

/** A kept file's name: `<chatId>.<inode>.<random hex>.jsonl` for a link, `<chatId>.copy.<random hex>.jsonl` for a copy. */
const KEPT_FILE = /^([0-9a-f-]{36})\.(\d+|copy)\.[0-9a-f]+\.jsonl$/;
/** Kept files checked at once at open. */
const LOAD_BATCH = 512;

export class OwnVersions implements LogEvents {
  private readonly ctx: StoreContext;
  /** The file state after the store's last write of each chat (OwnWrites). */
  private readonly lastWrite: (chatId: string) => FileState | undefined;
  private readonly kept = new Map<string, KeptVersion[]>();
  /** Every change to a chat's kept versions runs here, in the order it was asked for. */
  private readonly work = new KeyedQueue();
  /** A write's bytes that could not be kept (ownWrite): its acknowledgement fails. */
  private readonly failed = new Map<string, unknown>();
  /** The file the watcher last compared each chat's kept versions with (null: none at the path): see compared(). */
  private readonly comparedWith = new Map<string, FileStamp | null>();
  /** Chats whose last comparison could not be made (a read failed): nothing of them goes until one is. */
  private readonly compareFailed = new Set<string>();
  /** Chats whose open log's version (not kept on disk) was held only by a conflict copy at the last comparison. */
  private readonly openAwaitsMerge = new Set<string>();
  private dirMade = false;

  constructor(ctx: StoreContext, lastWrite: (chatId: string) => FileState | undefined) {
    this.ctx = ctx;
    this.lastWrite = lastWrite;
  }

  /**
   * At open: what earlier runs kept. A link to the file the chat's path still names is the app's
   * version of it (no stat when the chat index vouches for that file); any other kept file waits
   * for the watcher's comparison (pendingPaths); a chat gone takes its kept files with it.
   */
  async load(): Promise<void> {
    const { fs, layout, chats, index } = this.ctx;
    if (!existsSync(layout.ownVersionsDir)) return; // none kept: told without an error object
    const dir = await fs.stat(layout.ownVersionsDir, { bigint: true }).catch(() => null);
    if (!dir) return;
    const names = await fs.readdir(layout.ownVersionsDir);
    for (let i = 0; i < names.length; i += LOAD_BATCH) {
      await Promise.all(
        names.slice(i, i + LOAD_BATCH).map(async (name) => {
          const file = join(layout.ownVersionsDir, name);
          const [, chatId = '', ino] = KEPT_FILE.exec(name) ?? [];
          const loc = chats.get(chatId);
          if (!loc) return fs.unlink(file).catch(() => {}); // a temp file, or its chat is gone
          const entry = index.get(chatId); // adopted at open only if its file is unchanged since it was written
          if (ino !== undefined && ino !== 'copy' && entry && entry.file.ino === ino) {
            this.add(chatId, { dev: dir.dev, ino: BigInt(ino), size: entry.file.size, file, superseded: false });
            return;
          }
          const [kept, now] = await Promise.all([fs.stat(file, { bigint: true }).catch(() => null), fs.stat(loc.path, { bigint: true }).catch(() => null)]);
          if (!kept) return;
          const same = now !== null && now.dev === kept.dev && now.ino === kept.ino;
          this.add(chatId, { dev: kept.dev, ino: kept.ino, size: Number(same ? now.size : kept.size), file, superseded: !same });
        }),
      );
    }
  }

  /** The paths of chats with a kept version their file may lack (found at open): the watcher compares each. */
  pendingPaths(): string[] {
    return [...this.kept.keys()].filter((id) => this.isPending(id)).flatMap((id) => this.ctx.chats.get(id)?.path ?? []);
  }

  /**
   * Resolves once what the store's last write of the chat asked here is done (its link made and
   * durable); throws if the only copy of that write could not be kept (a full disk): the write is
   * then not acknowledged.
   */
  async written(chatId: string): Promise<void> {
    if (this.work.busy(chatId)) await this.work.run(chatId, async () => {});
    const failed = this.failed.get(chatId);
    if (failed === undefined) return;
    this.failed.delete(chatId);
    throw ioError(failed, `keeping what was written to chat ${chatId}`);
  }

  /** Whether a version the app wrote is kept that the chat's path may no longer hold: compare before calling the file the store's own. */
  pending(chatId: string): Promise<boolean> {
    return this.work.run(chatId, async () => this.isPending(chatId));
  }

  /**
   * The store wrote the chat through `log`: keep a link to the file it wrote; a kept earlier file of
   * its own that the path still held was rewritten by the app itself. If the path names another file
   * already (another program renamed one over it while the app wrote), the bytes are copied through
   * the log's handle: durable before the write is acknowledged, so neither a quit nor a crash before
   * the watcher's comparison loses them.
   */
  ownWrite(chatId: string, log: ChatLog): void {
    const w = this.lastWrite(chatId);
    if (!w) return;
    const fast = !this.work.busy(chatId) && this.linkTo(chatId, w);
    if (fast && (this.kept.get(chatId) ?? []).every((v) => v === fast || v.superseded)) {
      // The common case, at every append: the link to this file is kept already.
      fast.size = Math.max(fast.size, w.size);
      fast.rewritten = false;
      return;
    }
    void this.work.run(chatId, async () => {
      const link = this.linkTo(chatId, w);
      if (link) {
        link.size = Math.max(link.size, w.size);
        link.rewritten = false; // written to again, not replaced (a rewrite that failed)
      }
      await this.remove(chatId, (this.kept.get(chatId) ?? []).filter((v) => !v.superseded && v !== link));
      if (link || !this.ctx.chats.has(chatId)) return;
      if (await this.link(chatId, w, false).catch(() => false)) return;
      // No link: if only because this file system has none (FAT, some shares), the open log still
      // holds the file and it is kept as the log closes. If the path names another file already (a
      // rename over it raced this write), the bytes are copied now, before the write is acknowledged.
      if (!(await this.pathNamesOther(chatId, w))) return;
      await this.keep(chatId, log, w, true).catch((e: unknown) => {
        this.failed.set(chatId, e); // the write is not acknowledged (written() throws); the copy is tried again as the log closes
      });
    });
  }

  /** A log was opened on the chat's path: a kept version of another file is no longer what the path holds. */
  opened(chatId: string, log: ChatLog): void {
    const st = log.fileState();
    void this.work.run(chatId, async () => {
      for (const v of this.kept.get(chatId) ?? []) if (!v.rewritten && (v.dev !== st.dev || v.ino !== st.ino || st.size < v.size)) v.superseded = true;
    });
  }

  /** The watcher is comparing the kept versions with the file the chat's path names now (`file`, stat'd before it is read). */
  comparing(chatId: string, file: FileStamp | null): void {
    this.comparedWith.set(chatId, file);
    this.compareFailed.delete(chatId);
  }

  /** The comparison could not be made (reading a version or the file failed): everything is kept, to be compared at the next change or start. */
  comparisonFailed(chatId: string): void {
    this.comparedWith.delete(chatId);
    this.compareFailed.add(chatId);
  }

  /**
   * The comparison found these versions (kept `files`, and `open`: the open log's) in the chat only
   * through a sync tool's conflict copy beside it: they stay until a comparison finds them in the chat itself.
   */
  heldOnlyByCopies(chatId: string, files: string[], open: boolean): void {
    for (const v of this.kept.get(chatId) ?? []) v.awaitsMerge = files.includes(v.file);
    if (open) this.openAwaitsMerge.add(chatId);
    else this.openAwaitsMerge.delete(chatId);
  }

  /**
   * Whether a kept version waits for a comparison that can be made now: not one waiting for a
   * conflict copy's merge (compared when the chat or the copy changes), nor one whose comparison
   * failed (compared at the next change or start).
   */
  toCompareNow(chatId: string): Promise<boolean> {
    return this.work.run(chatId, async () => !this.compareFailed.has(chatId) && (this.kept.get(chatId)?.some((v) => v.superseded && !v.awaitsMerge) ?? false));
  }

  /** A log is closing (OpenLogs.forget). */
  closing(chatId: string, log: ChatLog | undefined, then: OwnVersionOnClose): Promise<void> {
    return this.work.run(chatId, async () => {
      if (then === 'drop') return this.remove(chatId, [...(this.kept.get(chatId) ?? [])]);
      if (then === 'compared') return this.compared(chatId, log);
      // The app's rewrite replaces the file it keeps: the link goes at the rewrite's acknowledgement (a
      // rewrite on close has none: the next open compares the two files).
      if (then === 'rewrite') {
        for (const v of this.kept.get(chatId) ?? []) if (!v.superseded) v.rewritten = true;
        return;
      }
      // If the log holds the app's last written version, that file stays readable after it closes.
      const w = log && this.heldBy(chatId, log);
      // Also at close: the lock is held until this is done.
      if (w) await this.keep(chatId, log!, w, false);
    });
  }

  /**
   * The watcher compared the kept versions with the file (conflict copies made for what it lacked):
   * they are dropped, but the file at the path becomes the app's version, so that a later change that
   * loses what the app wrote is still seen (a link the app made to that very file stays as it is).
   */
  private async compared(chatId: string, log: ChatLog | undefined): Promise<void> {
    const vs = this.kept.get(chatId) ?? [];
    const openAwaitsMerge = this.openAwaitsMerge.delete(chatId);
    if (this.compareFailed.has(chatId)) {
      // Not compared: all of it stays, the open log's version too, for the next comparison.
      for (const v of vs) v.superseded = true;
      const w = log && this.heldBy(chatId, log);
      if (w) await this.keep(chatId, log!, w, true);
      return;
    }
    const hadVersion = vs.length > 0 || (log !== undefined && this.heldBy(chatId, log) !== undefined);
    const loc = this.ctx.chats.get(chatId);
    const now = loc && (await this.ctx.fs.stat(loc.path, { bigint: true }).catch(() => null));
    // Another program renamed or wrote the file after the comparison (before the chat was re-read):
    // what was kept was not compared with this file, so nothing goes; the watcher compares again.
    const was = this.comparedWith.get(chatId);
    this.comparedWith.delete(chatId);
    if (was !== undefined && !sameFile(was, now ? stampOf(now) : null)) {
      for (const v of vs) {
        v.awaitsMerge = false; // not compared with this file: compared again now
        if (!now || v.dev !== now.dev || v.ino !== now.ino) v.superseded = true;
      }
      const w = log && this.heldBy(chatId, log);
      if (w) await this.keep(chatId, log!, w, true);
      return;
    }
    const atPath = now ? vs.filter((v) => !v.superseded && v.dev === now.dev && v.ino === now.ino) : [];
    // What only a conflict copy holds stays until the copy's merge (or, the copy gone, a conflict-copy chat) keeps it.
    for (const v of vs) if (v.awaitsMerge) v.superseded = true;
    const w = openAwaitsMerge && log ? this.heldBy(chatId, log) : undefined;
    if (w) {
      await this.keep(chatId, log!, w, true);
      const kept = this.find(chatId, w);
      if (kept) kept.awaitsMerge = true;
    }
    const older = vs.filter((v) => !atPath.includes(v) && !v.awaitsMerge);
    if (now && hadVersion && atPath.length === 0 && !this.ctx.closed) {
      // The compared file becomes the app's version before the older ones go. If the path names
      // another file already (renamed over it since the stat), nothing goes: that file was not compared.
      const compared = { dev: now.dev, ino: now.ino, size: Number(now.size), mtimeNs: now.mtimeNs };
      if (!(await this.link(chatId, compared, false)) && (await this.pathNamesOther(chatId, compared))) {
        for (const v of vs) {
          v.awaitsMerge = false; // as above: compared again with the file there now
          v.superseded = true;
        }
        return;
      }
    }
    await this.remove(chatId, older);
  }

  /** The store saw that the chat's path no longer holds what the log read: keep the app's version the log holds, and compare all. */
  changedOutside(chatId: string, log: ChatLog): Promise<void> {
    return this.work.run(chatId, async () => {
      for (const v of this.kept.get(chatId) ?? []) v.superseded = true;
      const w = this.heldBy(chatId, log);
      if (w) await this.keep(chatId, log, w, true);
    });
  }

  /**
   * The app's versions of the chat, oldest first: each kept one, then the file the open log holds
   * if the app wrote it last and it is not kept. Unreadable ones are left out.
   */
  versions(chatId: string, open: ChatLog | undefined): Promise<OwnVersionBytes[]> {
    return this.work.run(chatId, async () => {
      const out: OwnVersionBytes[] = [];
      for (const v of this.kept.get(chatId) ?? []) {
        // A kept file that cannot be read now (EIO) fails the comparison: it is kept for the next one.
        const bytes = await this.ctx.fs.readFile(v.file).catch((e: unknown) => (errnoOf(e) === 'ENOENT' ? null : Promise.reject(ioError(e, `reading the app's version of chat ${chatId}`))));
        if (bytes && bytes.length >= v.size) out.push({ bytes: bytes.subarray(0, v.size), file: v.file });
      }
      const w = open && this.heldBy(chatId, open);
      if (w && !this.find(chatId, w)) {
        const bytes = await open.ownBytes(w.size).catch(() => null);
        if (bytes) out.push({ bytes });
      }
      return out;
    });
  }

  /** Compared, or the chat is gone: nothing kept of it. */
  drop(chatId: string): Promise<void> {
    this.comparedWith.delete(chatId);
    this.compareFailed.delete(chatId);
    this.openAwaitsMerge.delete(chatId);
    return this.work.run(chatId, () => this.remove(chatId, [...(this.kept.get(chatId) ?? [])]));
  }

  /** Resolves once every change asked for so far is done (close waits for it before releasing the lock). */
  idle(): Promise<void> {
    return this.work.idle();
  }

  private isPending(chatId: string): boolean {
    return this.kept.get(chatId)?.some((v) => v.superseded) ?? false;
  }

  /** Whether the chat's path now names a file other than the one the app wrote (`w`), or none. */
  private async pathNamesOther(chatId: string, w: FileState): Promise<boolean> {
    const loc = this.ctx.chats.get(chatId);
    if (!loc) return false;
    const st = await this.ctx.fs.stat(loc.path, { bigint: true }).catch(() => null);
    return st === null || st.dev !== w.dev || st.ino !== w.ino;
  }

  /** The app's last write of the chat, if it is the file this log has open. */
  private heldBy(chatId: string, log: ChatLog): FileState | undefined {
    const w = this.lastWrite(chatId);
    const st = log.fileState();
    return w && w.dev === st.dev && w.ino === st.ino ? w : undefined;
  }

  private find(chatId: string, w: FileState): KeptVersion | undefined {
    return this.kept.get(chatId)?.find((v) => v.dev === w.dev && v.ino === w.ino && v.size === w.size);
  }

  /** The kept link to this file, made while the chat's path still named it. */
  private linkTo(chatId: string, w: FileState): KeptVersion | undefined {
    return this.kept.get(chatId)?.find((v) => !v.superseded && v.dev === w.dev && v.ino === w.ino);
  }

  /** Keeps the file the log holds (the app's last write, `w`): a hard link while the path names it, else a copy through the handle. */
  private async keep(chatId: string, log: ChatLog, w: FileState, superseded: boolean): Promise<void> {
    if (this.find(chatId, w)) return;
    const link = this.linkTo(chatId, w);
    if (link) {
      link.size = w.size;
      link.superseded = superseded;
      return;
    }
    if (await this.link(chatId, w, superseded)) return;
    const bytes = await log.ownBytes(w.size).catch(() => null); // shrunk in place: those bytes are gone
    if (!bytes) return;
    const file = await this.nextFile(chatId, 'copy');
    await this.ctx.fs.writeFileAtomic(file, bytes);
    await fsyncDir(this.ctx.layout.ownVersionsDir);
    // The app only appends to a file it did not rewrite: an earlier copy of this file is a prefix of this one.
    const older = (this.kept.get(chatId) ?? []).filter((v) => v.dev === w.dev && v.ino === w.ino && v.size < w.size && KEPT_FILE.exec(basename(v.file))?.[2] === 'copy');
    this.add(chatId, { dev: w.dev, ino: w.ino, size: w.size, file, superseded: true });
    await this.remove(chatId, older);
  }

  /** A hard link to the chat's path, if it still names the file the app wrote (`w`). */
  private async link(chatId: string, w: FileState, superseded: boolean): Promise<boolean> {
    const { fs, chats } = this.ctx;
    const loc = chats.get(chatId);
    if (!loc) return false;
    const file = await this.nextFile(chatId, w.ino);
    const linked = await fs.link(loc.path, file).then(() => true, () => false);
    const st = linked ? await fs.stat(file, { bigint: true }).catch(() => null) : null;
    if (st && st.dev === w.dev && st.ino === w.ino && Number(st.size) >= w.size) {
      await fsyncDir(this.ctx.layout.ownVersionsDir);
      this.add(chatId, { dev: w.dev, ino: w.ino, size: w.size, file, superseded });
      return true;
    }
    if (linked) await fs.unlink(file).catch(() => {}); // the path names another file already
    return false;
  }

  private add(chatId: string, v: KeptVersion): void {
    const vs = this.kept.get(chatId);
    if (vs) vs.push(v);
    else this.kept.set(chatId, [v]);
  }

  private async remove(chatId: string, gone: KeptVersion[]): Promise<void> {
    if (gone.length === 0) return;
    const left = (this.kept.get(chatId) ?? []).filter((v) => !gone.includes(v));
    if (left.length) this.kept.set(chatId, left);
    else this.kept.delete(chatId);
    for (const v of gone) await this.ctx.fs.unlink(v.file).catch(() => {});
  }

  private async nextFile(chatId: string, ino: bigint | 'copy'): Promise<string> {
    if (!this.dirMade) await mkdirDurable(this.ctx.layout.ownVersionsDir, { fs: this.ctx.fs, mode: 0o700 });
    this.dirMade = true;
    return join(this.ctx.layout.ownVersionsDir, `${chatId}.${ino}.${randomBytes(6).toString('hex')}.jsonl`);
  }
}

/** The same file at the path, unchanged (or none at either time). */
function sameFile(a: FileStamp | null, b: FileStamp | null): boolean {
  return a === null || b === null ? a === b : sameStamp(a, b);
}

/** The fields of a message that make its text: what the user wrote or read. */
function sameText(a: Message, b: Message): boolean {
  return a.role === b.role && a.content === b.content && a.name === b.name && JSON.stringify(a.swipes ?? null) === JSON.stringify(b.swipes ?? null) && (a.swipe_id ?? null) === (b.swipe_id ?? null);
}

/**
 * Whether a file holds everything of a version the app wrote: its bytes as a prefix (another
 * program appended), or, read as a chat, the same title, every live message with the same text,
 * and none of its deleted messages back. A file that cannot be read holds nothing.
 */
export function holdsVersion(file: Buffer, version: Buffer): boolean {
  if (file.length >= version.length && file.subarray(0, version.length).equals(version)) return true;
  const mine = readFullState(version);
  const theirs = readFullState(file);
  if ('error' in mine) return true; // nothing of it can be read, so nothing of it can be copied either
  if ('error' in theirs || theirs.header.title !== mine.header.title) return false;
  const byId = new Map(theirs.messages.map((m) => [m.id, m]));
  for (const m of mine.messages) {
    const t = byId.get(m.id);
    if (!t || !sameText(m, t)) return false;
  }
  for (const id of mine.deleted.keys()) if (byId.has(id)) return false;
  return true;
}

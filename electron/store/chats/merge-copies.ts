// Merges another copy of a chat into the chat (merge/merge-chats.ts has the rules): a sync tool's
// conflict copy found next to it. On the chat's queue, fenced by the lock like every write: the
// chat's file is kept in backups/<chat>/ first (a hard link: the rewrite leaves its inode to the
// backup), then the merged chat replaces the file in one atomic, verified rewrite, only while the
// file is exactly what was read (else CONFLICT, nothing replaced: the watcher tries again when it
// settles). Only once the merged chat is durable does the copy go: moved into backups/<chat>/.
import { basename } from 'node:path';
import { ChatId, type ChatSummary, type Message } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { takeBackup } from '../../durable/backups.ts';
import { errnoOf, ioError } from '../../durable/durable.ts';
import type { FsSeam } from '../../durable/fs-seam.ts';
import { rewriteIfUnchanged, sameStamp, stampPath, type FileStamp } from '../../durable/guarded-rewrite.ts';
import { parseHeader } from '../records.ts';
import { mergeChats, type MergeResult, type SharedCopy } from '../merge/merge-chats.ts';
import { logged } from '../oplog-sink.ts';
import type { StoreContext } from './context.ts';
import type { IndexKeeper } from './index-keeper.ts';
import { parse } from './inputs.ts';
import type { OpenLogs } from './open-logs.ts';

export interface MergedCopy {
  summary: ChatSummary;
  /** Messages the chat holds now that it did not have as they are (added or changed in the copy). */
  merged: number;
}

export class CopyMerges {
  private readonly ctx: StoreContext;
  private readonly logs: OpenLogs;
  private readonly keeper: IndexKeeper;

  constructor(ctx: StoreContext, logs: OpenLogs, keeper: IndexKeeper) {
    this.ctx = ctx;
    this.logs = logs;
    this.keeper = keeper;
  }

  /**
   * Merges the copy at `copyPath` into chat `chatId`, then removes the copy. CORRUPT when either is
   * no chat file of this chat (nothing changed, the copy left as it is); CopyGone when it went.
   */
  mergeCopy(chatId: string, copyPath: string): Promise<MergedCopy> {
    // Only once the merged chat is durable does the copy leave the chats folder: moved into backups.
    return this.mergeInto(chatId, (mine) => readSharing(this.ctx.fs, copyPath, mine), `${basename(copyPath)} cannot be merged into chat ${chatId}`, async () => {
      await logged(this.ctx.oplog, 'backup', chatId, () => takeBackup(this.ctx.fs, this.ctx.layout.backupDir(chatId), copyPath, this.ctx.retention, this.ctx.now(), 'merged-copy', 'move'), () => 0);
    });
  }

  /**
   * The app's own messages another program's version lacks (by id), merged back into the chat: a
   * copy holding only them, under the chat's own header, merged as a conflict copy would be.
   */
  mergeBack(chatId: string, messages: Message[]): Promise<MergedCopy> {
    return this.mergeInto(parse(ChatId, chatId, 'chatId'), (mine) => {
      const nl = mine.indexOf(0x0a);
      return Buffer.from([mine.toString('utf8', 0, nl === -1 ? mine.length : nl), ...messages.map((m) => JSON.stringify(m))].join('\n') + '\n');
    }, `the app's messages cannot be merged back into chat ${chatId}`, async () => {});
  }

  private mergeInto(chatId: string, otherOf: (mine: Buffer) => Buffer | SharedCopy | Promise<SharedCopy>, cannot: string, afterDurable: () => Promise<void>): Promise<MergedCopy> {
    const { ctx } = this;
    return ctx.queue.run(chatId, async () => {
      await ctx.lock.fence();
      const loc = ctx.chats.get(chatId);
      if (!loc) throw new StoreError('NOT_FOUND', `chat ${chatId} is not in the library`, { chatId });
      const before = await stampPath(ctx.fs, loc.path);
      if (!before) throw new StoreError('NOT_FOUND', `chat ${chatId} was deleted outside the app`, { chatId });
      const { room, mine } = await readWithRoom(ctx.fs, loc.path, before.size).catch((e: unknown) => Promise.reject(ioError(e, `reading chat ${chatId}`)));
      const after = await stampPath(ctx.fs, loc.path);
      if (!after || !sameStamp(before, after) || mine.length !== before.size) {
        throw new StoreError('CONFLICT', `chat ${chatId} changed while it was read for a merge; nothing was changed`, { chatId, reason: 'changed_outside' });
      }
      // Another program is still writing its last line (it holds the file open, and would finish the
      // line in the file the rewrite replaces): not now; the watcher tries again once it is complete.
      if (mine.length > 0 && mine[mine.length - 1] !== 0x0a) {
        throw new StoreError('CONFLICT', `chat ${chatId} ends in a line another program is still writing; nothing was merged yet`, { chatId, reason: 'changed_outside' });
      }
      const r = mergeChats(mine, await otherOf(mine));
      if ('error' in r) throw new StoreError('CORRUPT', `${cannot}: ${r.error}; it was left as it is`, { chatId });
      // Lines no reader can use in a file the app did not write last: another program may be writing
      // there (an app line that landed inside its half-written line); the merge would leave them out
      // and that program would finish them in the replaced file. Not merged while they are there.
      const ours = ctx.ownStates.exact(chatId);
      if (r.changed && r.invalidInA > 0 && !(ours !== undefined && sameStamp(ours, before))) {
        throw new StoreError('CONFLICT', `chat ${chatId} holds ${r.invalidInA} unreadable line(s) another program may still be writing; nothing was merged`, { chatId, reason: 'unreadable_lines' });
      }
      let written: FileStamp | null = null;
      if (r.changed) {
        // The chat's file as it was: a hard link (the rewrite renames a new file over the path, so
        // the old one is left to the backup: no bytes written), then the merged chat.
        await logged(ctx.oplog, 'backup', chatId, () => takeBackup(ctx.fs, ctx.layout.backupDir(chatId), loc.path, ctx.retention, ctx.now(), 'merge', 'link'), () => 0);
        written = await this.rewrite(chatId, loc.path, before, mine, room, r);
      }
      await afterDurable();
      const log = await this.logs.log(chatId);
      // The file just written, as it was written: summarised from what the merge counted in it (no
      // index of 50 MB); anything else (nothing written, or changed since) is summarised from the file.
      const id = log.identity;
      const asWritten = written !== null && id.ino === String(written.ino) && id.size === written.size && log.size === written.size;
      const summary = asWritten ? await this.keeper.summaryOfWritten(log, { live: r.live, title: r.title }) : await this.keeper.summaryOf(log);
      await this.logs.evictIdle(chatId);
      return { summary, merged: r.fromB };
    });
  }

  /**
   * The merged chat replaces the file, with a revision past the chat's (as compaction does). Returns
   * the stamp of the file written (null if it cannot be told: it was changed or removed at once).
   * `mine` was read into `room`, which the new file's bytes may be laid out in (mine is used up then).
   */
  private async rewrite(chatId: string, path: string, before: FileStamp, mine: Buffer, room: Buffer, merged: MergeResult): Promise<FileStamp | null> {
    const { ctx } = this;
    const open = this.logs.peek(chatId);
    const revision = Math.max(fileRevision(mine), open && !open.stale ? open.revision : 0) + 1;
    const bodyLength = merged.body.reduce((n, b) => n + b.length, 0);
    const header = parseHeader(JSON.stringify(merged.header));
    if (!header.ok) throw new StoreError('INTERNAL', `the merge of chat ${chatId} produced an invalid header (${header.reason}); the file was left as it was`);
    const headerLine = JSON.stringify({ ...header.header, revision_base: revision - bodyLength });
    const head = Buffer.from(`${headerLine}\n`);
    const text = inPlace(room, mine, head, merged.body) ?? Buffer.concat([head, ...merged.body]);
    const ours = ctx.ownStates.exact(chatId);
    const wasOurs = ours !== undefined && sameStamp(ours, before);
    await ctx.lock.fence();
    await this.logs.forget(chatId, wasOurs ? 'rewrite' : 'keep');
    await logged(ctx.oplog, 'rewrite', chatId, () => rewriteIfUnchanged(ctx.fs, path, before, text, `chat ${chatId}`), () => text.length);
    // The merged file is the app's own write when the file it replaced was (else the watcher still compares what the app wrote with it).
    const stamp = await stampPath(ctx.fs, path).catch(() => null);
    if (wasOurs && stamp) ctx.ownStates.wrote(chatId, stamp);
    ctx.memos.get(chatId)?.quarantined.clear(); // offsets in the new file are new
    ctx.index.delete(chatId);
    return stamp && stamp.size === text.length ? stamp : null;
  }
}

/**
 * Room around the chat's bytes as read: for a longer header line before them, for merged records
 * longer than the chat's own after them (a few MiB of records each side fit; more are joined in a
 * new buffer). Bounded, not the copy's size: memory reserved counts on systems that do not overcommit.
 */
const ROOM_BEFORE = 64 * 1024;
const ROOM_AFTER = 4 * 1024 * 1024;

/**
 * The chat's file (`size` bytes as stat'd; fewer if it shrank meanwhile) read into the middle of a
 * buffer of its own (never a slice of Node's shared pool: the new file may be laid out in it).
 */
async function readWithRoom(fs: FsSeam, path: string, size: number): Promise<{ room: Buffer; mine: Buffer }> {
  const room = Buffer.allocUnsafeSlow(ROOM_BEFORE + size + ROOM_AFTER);
  const fh = await fs.open(path, 'r');
  try {
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(room, ROOM_BEFORE + got, size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { room, mine: room.subarray(ROOM_BEFORE, ROOM_BEFORE + got) };
  } finally {
    await fh.close();
  }
}

/**
 * The new file's bytes laid out where the chat's own were read, when the body begins with slices of
 * them in order (the merge's shared beginning, less any meta records the merge moves to the end) and
 * the header line and the other pieces fit around them: no second buffer of the chat's size (the
 * first touch of its pages is most of the cost of a copy). Each slice moves only towards the start
 * (the gaps close up), so none is overwritten before it is moved. Null when not (then they are joined
 * in a new buffer).
 */
function inPlace(room: Buffer, mine: Buffer, head: Buffer, body: Buffer[]): Buffer | null {
  const inRoom = (p: Buffer) => p.buffer === room.buffer;
  let own = 0;
  while (own < body.length && inRoom(body[own]!)) own++;
  if (own === 0 || body.slice(own).some(inRoom)) return null;
  const mineFrom = mine.byteOffset - room.byteOffset;
  let prevEnd = mineFrom;
  for (const p of body.slice(0, own)) {
    const from = p.byteOffset - room.byteOffset;
    if (from < prevEnd || from + p.length > mineFrom + mine.length) return null;
    prevEnd = from + p.length;
  }
  const start = body[0]!.byteOffset - room.byteOffset - head.length;
  const end = body.reduce((n, p) => n + p.length, start + head.length);
  if (start < 0 || end > room.length) return null;
  let at = start + head.length;
  for (const p of body.slice(0, own)) {
    const from = p.byteOffset - room.byteOffset;
    if (from !== at) room.copyWithin(at, from, from + p.length);
    at += p.length;
  }
  head.copy(room, start);
  for (const p of body.slice(own)) at += p.copy(room, at);
  return room.subarray(start, end);
}

/** The copy to merge went before it could be read (a sync tool took it back). */
export class CopyGone extends Error {}

const COMPARE_CHUNK = 1 << 20;

/**
 * The file at `path` as the bytes it shares with `mine` from the start, compared a MiB at a time
 * into one buffer (a 50 MB copy of the chat is not read into a 50 MB buffer: its first touch alone
 * costs more than the compare), and the bytes after them, read whole.
 */
async function readSharing(fs: FsSeam, path: string, mine: Buffer): Promise<SharedCopy> {
  const fh = await fs.open(path, 'r').catch((e: unknown) => Promise.reject(errnoOf(e) === 'ENOENT' ? new CopyGone(`${basename(path)} is gone`) : ioError(e, `reading ${basename(path)}`)));
  try {
    const chunk = Buffer.allocUnsafe(COMPARE_CHUNK);
    let shared = 0;
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, mine.length - shared), shared);
      if (bytesRead === 0) break;
      if (mine.compare(chunk, 0, bytesRead, shared, shared + bytesRead) === 0) {
        shared += bytesRead;
        continue;
      }
      let i = 0;
      while (chunk[i] === mine[shared + i]) i++;
      shared += i;
      break;
    }
    // Its own bytes: to its end, as far as it goes now.
    const parts: Buffer[] = [];
    for (let at = shared; ; ) {
      const size = Number((await fh.stat()).size);
      const part = Buffer.allocUnsafe(Math.max(size - at, 1 << 16));
      const { bytesRead } = await fh.read(part, 0, part.length, at);
      if (bytesRead === 0) break;
      parts.push(part.subarray(0, bytesRead));
      at += bytesRead;
    }
    return { shared, tail: parts.length === 1 ? parts[0]! : Buffer.concat(parts) };
  } catch (e) {
    throw ioError(e, `reading ${basename(path)}`);
  } finally {
    await fh.close();
  }
}

/** The revision a chat file states: revision_base plus the bytes after the header line (FORMAT.md). */
function fileRevision(buf: Buffer): number {
  const nl = buf.indexOf(0x0a);
  const header = parseHeader(buf.toString('utf8', 0, nl === -1 ? buf.length : nl).replace(/\r$/, ''));
  return (header.ok ? (header.header.revision_base ?? 0) : 0) + (nl === -1 ? 0 : buf.length - nl - 1);
}

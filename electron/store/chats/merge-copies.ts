// Merges another copy of a chat into the chat (merge/merge-chats.ts has the rules): a sync tool's
// conflict copy found next to it. On the chat's queue, fenced by the lock like every write:
// both files' bytes go into backups/<chat>/ first, then the merged chat replaces the file in one
// atomic, verified rewrite, only while the file is exactly what was read (else CONFLICT, nothing
// replaced: the watcher tries again when it settles). Only once the merged chat is durable does
// the copy go.
import { basename, dirname } from 'node:path';
import type { ChatSummary } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { takeBackup } from '../../durable/backups.ts';
import { errnoOf, fsyncDir, ioError } from '../../durable/durable.ts';
import { rewriteIfUnchanged, sameStamp, stampPath } from '../../durable/guarded-rewrite.ts';
import { parseHeader } from '../records.ts';
import { mergeChats } from '../merge/merge-chats.ts';
import { logged } from '../oplog-sink.ts';
import type { StoreContext } from './context.ts';
import type { IndexKeeper } from './index-keeper.ts';
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
   * Merges the copy at `copyPath` (read as `copy`) into chat `chatId`, then removes the copy.
   * CORRUPT when either is no chat file of this chat (nothing changed, the copy left as it is).
   */
  mergeCopy(chatId: string, copyPath: string, copy: Buffer): Promise<MergedCopy> {
    const { ctx } = this;
    return ctx.queue.run(chatId, async () => {
      await ctx.lock.fence();
      const loc = ctx.chats.get(chatId);
      if (!loc) throw new StoreError('NOT_FOUND', `chat ${chatId} is not in the library`, { chatId });
      const before = await stampPath(ctx.fs, loc.path);
      if (!before) throw new StoreError('NOT_FOUND', `chat ${chatId} was deleted outside the app`, { chatId });
      const mine = await ctx.fs.readFile(loc.path).catch((e: unknown) => Promise.reject(ioError(e, `reading chat ${chatId}`)));
      const after = await stampPath(ctx.fs, loc.path);
      if (!after || !sameStamp(before, after) || mine.length !== before.size) {
        throw new StoreError('CONFLICT', `chat ${chatId} changed while it was read for a merge; nothing was changed`, { chatId, reason: 'changed_outside' });
      }
      const r = mergeChats(mine, copy);
      if ('error' in r) throw new StoreError('CORRUPT', `${basename(copyPath)} cannot be merged into chat ${chatId}: ${r.error}; it was left as it is`, { chatId });
      const backups = ctx.layout.backupDir(chatId);
      // The copy's bytes are kept whatever the outcome: they are about to leave the chats folder.
      await logged(ctx.oplog, 'backup', chatId, () => takeBackup(ctx.fs, backups, copyPath, ctx.retention, ctx.now(), 'merged-copy'), () => copy.length);
      if (r.changed) {
        await logged(ctx.oplog, 'backup', chatId, () => takeBackup(ctx.fs, backups, loc.path, ctx.retention, ctx.now(), 'merge'), () => mine.length);
        await this.rewrite(chatId, loc.path, before, mine, r.bytes);
      }
      // Only now, with the merged chat durable (and both files' bytes in backups), does the copy go.
      await ctx.fs.unlink(copyPath).catch((e: unknown) => (errnoOf(e) === 'ENOENT' ? undefined : Promise.reject(ioError(e, `removing ${basename(copyPath)}`))));
      await fsyncDir(dirname(copyPath)).catch(() => {});
      const summary = await this.keeper.summaryOf(await this.logs.log(chatId));
      await this.logs.evictIdle(chatId);
      return { summary, merged: r.fromB };
    });
  }

  /** The merged chat replaces the file, with a revision past the chat's (as compaction does). */
  private async rewrite(chatId: string, path: string, before: { dev: bigint; ino: bigint; size: number; mtimeNs: bigint }, mine: Buffer, merged: Buffer): Promise<void> {
    const { ctx } = this;
    const open = this.logs.peek(chatId);
    const revision = Math.max(fileRevision(mine), open && !open.stale ? open.revision : 0) + 1;
    const nl = merged.indexOf(0x0a);
    const header = parseHeader(merged.toString('utf8', 0, nl));
    if (!header.ok) throw new StoreError('INTERNAL', `the merge of chat ${chatId} produced an invalid header (${header.reason}); the file was left as it was`);
    const body = merged.subarray(nl + 1);
    const text = Buffer.concat([Buffer.from(`${JSON.stringify({ ...header.header, revision_base: revision - body.length })}\n`), body]);
    const ours = ctx.ownStates.exact(chatId);
    const wasOurs = ours !== undefined && sameStamp(ours, before);
    await ctx.lock.fence();
    await this.logs.forget(chatId, wasOurs ? 'rewrite' : 'keep');
    await logged(ctx.oplog, 'rewrite', chatId, () => rewriteIfUnchanged(ctx.fs, path, before, text, `chat ${chatId}`), () => text.length);
    // The merged file is the app's own write when the file it replaced was (else the watcher still compares what the app wrote with it).
    const written = wasOurs ? await stampPath(ctx.fs, path).catch(() => null) : null;
    if (written) ctx.ownStates.wrote(chatId, written);
    ctx.memos.get(chatId)?.quarantined.clear(); // offsets in the new file are new
    ctx.index.delete(chatId);
  }
}

/** The revision a chat file states: revision_base plus the bytes after the header line (FORMAT.md). */
function fileRevision(buf: Buffer): number {
  const nl = buf.indexOf(0x0a);
  const header = parseHeader(buf.toString('utf8', 0, nl === -1 ? buf.length : nl).replace(/\r$/, ''));
  return (header.ok ? (header.header.revision_base ?? 0) : 0) + (nl === -1 ? 0 : buf.length - nl - 1);
}

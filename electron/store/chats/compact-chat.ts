// Compaction of a chat file: rewritten without superseded lines (compaction.ts computes the
// text), backed up first, what cannot be carried over quarantined, then one atomic, verified
// rewrite, only while the file is still exactly what the store last read or wrote (another
// program's bytes, a line it is still writing, are never dropped: CONFLICT, and the chat is
// re-read). On request (compactChat) and, where worthwhile, when the store closes (lifecycle.ts).
import type { ChatSummary, WriteOptions } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { takeBackup } from '../../durable/backups.ts';
import { rewriteIfUnchanged, stampPath } from '../../durable/guarded-rewrite.ts';
import { compactedText, readFullState } from '../compaction.ts';
import type { ChatLog } from '../log/chat-log.ts';
import { HEADER_MAX } from '../log/open-log.ts';
import { logged } from '../oplog-sink.ts';
import { quarantineBytes } from '../quarantine.ts';
import { parseHeader, parseRecord } from '../records.ts';
import { checkRevision, parseOpts } from './inputs.ts';
import { StorePart } from './store-part.ts';

export class ChatCompaction extends StorePart {
  async compactChat(chatId: string, opts?: WriteOptions): Promise<ChatSummary> {
    const o = parseOpts(opts);
    return this.tasks.onChat(chatId, async (log, id) => {
      checkRevision(log, o);
      await this.compact(log, id);
      return this.keeper.summaryOf(await this.logs.log(id));
    });
  }

  /** Backup first, quarantine what cannot be carried over, then an atomic, verified rewrite. Runs on the chat's queue. */
  async compact(log: ChatLog, id: string): Promise<void> {
    const { ctx } = this;
    log.assertReadable();
    if (log.status !== 'ok') throw new StoreError('READ_ONLY', `chat ${id} is read-only: ${log.statusReason}`);
    // Exactly the file this log read or wrote (else CONFLICT, and it is re-read), read through its own handle.
    const expected = await log.assertUnchanged();
    const buf = await log.ownBytes();
    const state = readFullState(buf);
    if ('error' in state) throw new StoreError('CORRUPT', `chat ${id} cannot be compacted: ${state.error}`);
    // The rewrite is a write: its revision is one more than the file's now (revision_base in the header).
    const revision = log.revision + 1;
    const text = compactedText(state, revision);
    // Never replace a file with one our own reader would reject.
    const [headerLine = '', ...records] = text.split('\n').slice(0, -1);
    const header = parseHeader(headerLine);
    if (!header.ok || Buffer.byteLength(headerLine) >= HEADER_MAX) {
      throw new StoreError('TOO_LARGE', `chat ${id} cannot be compacted: its header would be ${header.ok ? 'larger than 1 MiB' : 'invalid'}; the file was left as it was`);
    }
    for (const line of records) {
      const rec = parseRecord(line);
      if (rec.kind === 'invalid') throw new StoreError('INTERNAL', `compaction of chat ${id} produced an invalid line (${rec.reason}); the file was left as it was`);
    }
    for (const bad of state.invalid) await quarantineBytes(ctx.fs, ctx.layout.quarantineDir(id), bad.offset, bad.bytes);
    await logged(ctx.oplog, 'backup', id, () => takeBackup(ctx.fs, ctx.layout.backupDir(id), log.path, ctx.retention, ctx.now(), 'compaction'), () => log.size);
    await ctx.lock.fence(); // a rewrite replaces the file: never once another process may own it (compaction on close too)
    await this.logs.forget(id, 'rewrite');
    try {
      await logged(ctx.oplog, 'rewrite', id, () => rewriteIfUnchanged(ctx.fs, log.path, expected, text, `chat ${id}`), () => Buffer.byteLength(text));
    } catch (e) {
      if (e instanceof StoreError && e.code === 'CONFLICT') log.markStale(); // changed outside the app: re-read
      throw e;
    }
    // The new file is the store's own write (compaction on close has no later write to record it).
    const written = await stampPath(ctx.fs, log.path).catch(() => null);
    if (written) ctx.ownStates.wrote(id, written);
    ctx.memos.get(id)?.quarantined.clear(); // offsets in the new file are new
    // A new file: its summary is recomputed from it when next needed (the old one could carry a count
    // that counted lines compaction dropped, or an older `updated` than the file now states).
    ctx.index.delete(id);
  }
}

// The per-chat path every call takes: onto the chat's write queue (nothing else touches its file
// meanwhile), with its log open and, for a read, revalidated against the file at the path. After
// a write succeeds it is acknowledged here (the store records the file state as its own); after
// a failure, what memory holds of the chat is dropped as far as the error requires.
//
// Every write is fenced by the data-directory lock (lock.ts): it is not started once this process
// may have lost the lock, and it is acknowledged only if, after its data is durable, no other
// process can have taken the lock over (free while the lock's lease runs). Otherwise LOCK_LOST.
import { ChatId } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { ioError } from '../../durable/durable.ts';
import type { ChatLog } from '../log/chat-log.ts';
import type { OpKind } from '../oplog-sink.ts';
import type { StoreContext } from './context.ts';
import { parse } from './inputs.ts';
import type { OpenLogs } from './open-logs.ts';
import type { OwnWrites } from './own-writes.ts';

export class ChatTasks {
  private readonly ctx: StoreContext;
  private readonly logs: OpenLogs;
  private readonly own: OwnWrites;

  constructor(ctx: StoreContext, logs: OpenLogs, own: OwnWrites) {
    this.ctx = ctx;
    this.logs = logs;
    this.own = own;
  }

  /**
   * Runs `task` on the chat's write queue, once the store is open and the id valid; rejects, never
   * throws. A `write` is fenced: started only while the lock is ours, and acknowledged after.
   */
  onQueue<T>(chatId: unknown, task: (id: string) => Promise<T>, write = false): Promise<T> {
    if (this.ctx.closed) return Promise.reject(new StoreError('CLOSED', 'the chat store is closed'));
    let id: string;
    try {
      id = parse(ChatId, chatId, 'chatId');
    } catch (e) {
      return Promise.reject(e);
    }
    if (!write) return this.ctx.queue.run(id, () => task(id));
    return this.ctx.queue.run(id, async () => {
      await this.ctx.lock.fence();
      const result = await task(id);
      await this.acknowledge(id);
      return result;
    });
  }

  /**
   * Runs a task on a chat's queue. A read (`revalidate`) first checks that the open log still
   * matches the file at the path, so a file replaced or changed outside the app is re-read rather
   * than served from memory; a write checks the same itself, and refuses (log/append.ts).
   */
  onChat<T>(chatId: unknown, task: (log: ChatLog, chatId: string) => Promise<T>, revalidate = false, op?: OpKind): Promise<T> {
    const { ctx, logs } = this;
    return this.onQueue(chatId, async (id) => {
      if (!revalidate) await ctx.lock.fence(); // a write: not started once the lock may be lost
      const log = revalidate ? await this.revalidated(id) : await logs.log(id);
      const t0 = op ? performance.now() : 0;
      const size0 = log.size;
      const warned = ctx.memos.get(id)?.warnings.length ?? 0;
      try {
        const r = await task(log, id);
        if (!revalidate) await this.acknowledge(id);
        if (op) ctx.oplog.record({ op, chatId: id, bytes: log.size - size0, durationMs: performance.now() - t0, outcome: 'ok' });
        return r;
      } catch (e) {
        if (op) ctx.oplog.record({ op, chatId: id, durationMs: performance.now() - t0, outcome: 'error', code: e instanceof StoreError ? e.code : 'ERROR' });
        if (log.stale) await this.own.changedOutside(id, log);
        else this.own.noteFailedWrite(id, log);
        // After a failed write the file may hold bytes we did not account for: re-read it next time.
        const revisionConflict = e instanceof StoreError && e.details?.reason === 'revision';
        if (log.stale || !(e instanceof StoreError) || (['IO_ERROR', 'DISK_FULL', 'CONFLICT', 'INTERNAL'].includes(e.code) && !revisionConflict)) await logs.forget(id);
        // A chat that cannot be read now is listed as unreadable until it can be again.
        if (e instanceof StoreError && e.code === 'IO_ERROR') ctx.index.delete(id);
        if (log.stale) {
          ctx.memos.get(id)?.quarantined.clear(); // offsets may now name other lines
          // Missing only for a moment (a sync tool's two renames): not deleted, replaced. Nothing
          // was written; said as the change it is, so a write that commutes is made again on it.
          if (!(await logs.dropIfGone(id)) && e instanceof StoreError && e.code === 'NOT_FOUND') throw replacedWhileMissing(id);
        }
        throw ioError(e, `chat ${id}`);
      } finally {
        this.logQuarantines(id, warned);
        await logs.evictIdle(id);
      }
    });
  }

  /**
   * A write that another program's change to the file does not stop when it commutes with it
   * (issue 17, live changes from another computer): if the file was replaced or changed since the
   * chat was read (CONFLICT `changed_outside`: nothing was written, the app's version is kept for
   * the watcher's comparison as always, and the chat is read anew), the task runs once more on the
   * file as it is now, told so (`again`); it throws `first` itself when what it writes no longer
   * commutes there (the message it changes changed too).
   */
  async onChatAgainOnOutsideChange<T>(chatId: unknown, task: (log: ChatLog, chatId: string, again: { first: StoreError } | null) => Promise<T>, op?: OpKind): Promise<T> {
    try {
      return await this.onChat(chatId, (log, id) => task(log, id, null), false, op);
    } catch (e) {
      if (!(e instanceof StoreError) || e.code !== 'CONFLICT' || e.details?.reason !== 'changed_outside') throw e;
      // If the second try fails too (the file is read-only now: another program's half-written last
      // line), the caller hears of the change as before: CONFLICT (a streamed reply then detaches and
      // is kept in a conflict copy); a lost lock or a closed store is said as it is.
      return this.onChat(chatId, (log, id) => task(log, id, { first: e }), false, op).catch((again: unknown) => {
        throw again instanceof StoreError && ['CONFLICT', 'LOCK_LOST', 'CLOSED'].includes(again.code) ? again : e;
      });
    }
  }

  /**
   * A write of the store succeeded (its bytes are durable). It is acknowledged only while this
   * process still holds the data-directory lock (else LOCK_LOST: the caller hears of no success);
   * then the file as it is now is the store's own, and stays readable (own-versions.ts).
   */
  async acknowledge(chatId: string): Promise<void> {
    await this.ctx.lock.fence();
    this.own.noteOwnWrite(chatId);
    await this.own.versions.written(chatId);
    // Another program appended while this write was made (log/append.ts): the app's version (the
    // whole file, kept above) waits for the watcher's comparison, and the chat is read anew.
    const log = this.logs.peek(chatId);
    if (log?.stale) await this.forgetChanged(chatId, log);
  }

  /** The file at the chat's path is not what its open log holds: keep the app's version for the watcher's comparison, and read the file anew next time. */
  private async forgetChanged(chatId: string, log: ChatLog): Promise<void> {
    await this.own.changedOutside(chatId, log);
    await this.logs.forget(chatId);
    this.ctx.index.delete(chatId);
    this.ctx.memos.get(chatId)?.quarantined.clear(); // offsets may now name other lines
  }

  /** The chat's log, read anew if the file at the path is no longer the one the open log read. */
  private async revalidated(chatId: string): Promise<ChatLog> {
    const { ctx, logs } = this;
    const open = logs.peek(chatId);
    const state = open ? await open.pathState() : 'same';
    if (open && state !== 'same') {
      // Changed outside the app: drop what memory holds and read the file anew.
      await this.forgetChanged(chatId, open);
      if (state === 'gone' && (await logs.dropIfGone(chatId))) {
        throw new StoreError('NOT_FOUND', `chat ${chatId} was deleted outside the app`, { chatId });
      }
    }
    return logs.log(chatId);
  }

  /** Quarantine copies made by the lazy reader show up as new warnings: one record each. */
  private logQuarantines(chatId: string, from: number): void {
    const ws = this.ctx.memos.get(chatId)?.warnings ?? [];
    for (let i = from; i < ws.length; i++) if (ws[i]!.quarantinePath) this.ctx.oplog.record({ op: 'quarantine', chatId, durationMs: 0, outcome: 'ok', detail: { kind: ws[i]!.kind, offset: ws[i]!.offset ?? -1 } });
  }
}

/** A write that found the chat's file missing, and the file back after a moment: nothing was saved, and the chat is read anew. */
export function replacedWhileMissing(chatId: string): StoreError {
  return new StoreError('CONFLICT', `chat ${chatId} was replaced by another file outside the app; nothing was saved. It has been re-read: try again`, { chatId, reason: 'changed_outside' });
}

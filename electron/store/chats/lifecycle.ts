// The end of a store's life: flush waits for every queued write; close stops the background
// indexing, lets the queues drain, compacts the open chats where worthwhile, closes every file,
// writes the chat index and releases the data-directory lock. (Opening is openChatStore in store.ts.)
import { logged } from '../oplog-sink.ts';
import type { ChatCompaction } from './compact-chat.ts';
import type { StoreContext } from './context.ts';
import type { IndexKeeper } from './index-keeper.ts';
import type { OpenLogs } from './open-logs.ts';

export class Lifecycle {
  private readonly ctx: StoreContext;
  private readonly logs: OpenLogs;
  private readonly keeper: IndexKeeper;
  private readonly compaction: ChatCompaction;
  private closing: Promise<void> | undefined;

  constructor(ctx: StoreContext, logs: OpenLogs, keeper: IndexKeeper, compaction: ChatCompaction) {
    this.ctx = ctx;
    this.logs = logs;
    this.keeper = keeper;
    this.compaction = compaction;
  }

  async flush(): Promise<void> {
    await this.ctx.queue.idle();
  }

  /** Idempotent: a second call waits for the first to finish (and release the lock). */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const { ctx, logs } = this;
    ctx.closed = true;
    this.keeper.stopWaiting();
    try {
      await ctx.queue.idle();
      for (const [id, log] of logs.all()) {
        if (log.status !== 'ok' || !log.fullyIndexed || log.size < ctx.compactMinBytes) continue;
        // Compaction on close is an optimisation: if it fails, the log file is still complete.
        await log
          .stats()
          .then(({ deadRatio }) => (deadRatio > ctx.compactRatio ? this.compaction.compact(log, id) : undefined))
          .catch(() => {});
      }
    } finally {
      for (const [id] of logs.all()) await logs.forget(id);
      await logs.ownVersions?.idle(); // its links stay: the next open compares them with the chats' files
      await ctx.index.close();
      await ctx.positions.close();
      await logged(ctx.oplog, 'unlock', undefined, () => ctx.lock.release());
    }
  }
}

// Who wrote a chat file last: the store records the file state after each of its own writes
// (own-states.ts), so a watcher event for exactly that state is recognised as its own
// (isOwnState), and marks a chat `external` once another program changed it (then a torn last
// line is never cut off: that program may still be writing). When that happens, the app's view of
// the chat (its bytes as last read or written) is kept for a conflict copy.
import { ChatId } from '../../../shared/chat-format.ts';
import type { ChatLog } from '../log/chat-log.ts';
import { newChatMemo } from '../log/chat-memo.ts';
import type { StoreContext } from './context.ts';
import { parse } from './inputs.ts';
import type { OpenLogs } from './open-logs.ts';
import { OwnVersions } from './own-versions.ts';

/** A larger chat's app view is not kept in memory for a conflict copy, nor more than this in all. */
const MAX_VIEW_BYTES = 64 * 1024 * 1024;

export class OwnWrites {
  private readonly ctx: StoreContext;
  private readonly logs: OpenLogs;
  /** The app's view of a chat (its bytes as last read or written) kept when the file changed outside the app. */
  private readonly views = new Map<string, Buffer>();
  /** The app's last written version of each chat, kept on disk until compared with an outside change. */
  readonly versions: OwnVersions;

  constructor(ctx: StoreContext, logs: OpenLogs) {
    this.ctx = ctx;
    this.logs = logs;
    this.versions = new OwnVersions(ctx, (chatId) => ctx.ownStates.exact(chatId));
  }

  /** After a write of ours: the file as the chat's open log left it (if it is still open) is ours, at the revision it now has. */
  noteOwnWrite(chatId: string): void {
    const log = this.logs.peek(chatId);
    if (!log) return;
    const state = log.fileState();
    this.ctx.ownStates.wrote(chatId, state);
    this.versions.ownWrite(chatId, log);
    const memo = this.ctx.memos.get(chatId);
    if (!memo) return;
    memo.external = false; // the app wrote last again
    memo.revision = { state, value: log.revision, offset: log.revisionOffset };
  }

  /**
   * A write of ours failed after it began: if its bytes were cut back, the file is still ours (with
   * a new mtime); if not, a partial line of ours may follow what was acknowledged.
   */
  noteFailedWrite(chatId: string, log: ChatLog): void {
    const failed = log.failedWrite;
    if (!failed) return;
    const state = log.fileState();
    if (!failed.cutBack) {
      this.ctx.ownStates.wrotePartly(chatId, { ...state, size: failed.from });
      return;
    }
    if (state.mtimeNs === -1n) return;
    this.ctx.ownStates.wrote(chatId, state);
    const memo = this.ctx.memos.get(chatId);
    if (memo) memo.revision = { state, value: log.revision, offset: log.revisionOffset }; // same bytes: same revision
  }

  /** The path no longer holds what the log read: keep the app's view (for a conflict copy), and never truncate what another program wrote. */
  async changedOutside(chatId: string, log: ChatLog): Promise<void> {
    const memo = this.ctx.memos.get(chatId);
    if (memo) memo.external = true;
    this.ctx.ownStates.notOurs(chatId);
    await this.versions.changedOutside(chatId, log).catch(() => {}); // a failed copy (disk full) is tried again as the log closes
    if (this.views.has(chatId)) return;
    const bytes = await log.ownBytes().catch(() => null);
    if (!bytes || bytes.length > MAX_VIEW_BYTES) return;
    this.views.set(chatId, bytes);
    // Bounded: the oldest kept views go first (the watcher takes or drops each within moments).
    let total = 0;
    for (const b of this.views.values()) total += b.length;
    for (const [id, b] of this.views) {
      if (total <= MAX_VIEW_BYTES) break;
      this.views.delete(id);
      total -= b.length;
    }
  }

  /** Another program changed the chat (the watcher says so): never truncate its file's tail. */
  markExternal(chatId: string): void {
    const memo = this.ctx.memos.get(chatId);
    if (memo) memo.external = true;
    else this.ctx.memos.set(chatId, { ...newChatMemo(), external: true });
    this.ctx.ownStates.notOurs(chatId);
  }

  isOwnState(chatId: string, st: { dev: bigint | number; ino: bigint | number; size: bigint | number; mtimeNs?: bigint }): boolean {
    const w = this.ctx.ownStates.exact(chatId);
    if (w === undefined || BigInt(st.dev) !== w.dev || BigInt(st.ino) !== w.ino || Number(st.size) !== w.size) return false;
    // Same file, same size: an in-place edit of the same length still moves the mtime.
    return st.mtimeNs === undefined || (w.mtimeNs !== -1n && st.mtimeNs === w.mtimeNs);
  }

  async isOwnStateNow(chatId: string): Promise<boolean> {
    const id = parse(ChatId, chatId, 'chatId');
    const loc = this.ctx.chats.get(id);
    if (!loc || this.ctx.closed) return false;
    // On the chat's queue: no write of ours is half-done while we compare.
    return this.ctx.queue.run(id, async () => {
      const st = await this.ctx.fs.stat(loc.path, { bigint: true }).catch(() => null);
      return st !== null && this.isOwnState(id, st);
    });
  }

  /** The kept app view of a chat, if the file changed outside the app since the app read it. */
  view(chatId: string): Buffer | undefined {
    return this.views.get(chatId);
  }

  dropView(chatId: string): void {
    this.views.delete(chatId);
  }

  /** The chat is gone: nothing of it is kept. */
  forget(chatId: string): void {
    this.ctx.ownStates.notOurs(chatId);
    this.views.delete(chatId);
    void this.versions.drop(chatId);
  }
}

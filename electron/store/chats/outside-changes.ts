// What the store does when the watcher reports a change made outside the app (electron/watcher/):
// re-read a changed chat (its tail never cut: the store did not write it), let a chat whose file
// is gone leave the list, and hand out the app's view of a chat for a conflict copy.
import { CharacterId, ChatId, type ChatSummary, type Message } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { readFullState } from '../compaction.ts';
import type { StoreContext } from './context.ts';
import type { IndexKeeper } from './index-keeper.ts';
import { parse } from './inputs.ts';
import type { OpenLogs } from './open-logs.ts';
import type { OwnWrites } from './own-writes.ts';

export class OutsideChanges {
  private readonly ctx: StoreContext;
  private readonly logs: OpenLogs;
  private readonly own: OwnWrites;
  private readonly keeper: IndexKeeper;

  constructor(ctx: StoreContext, logs: OpenLogs, own: OwnWrites, keeper: IndexKeeper) {
    this.ctx = ctx;
    this.logs = logs;
    this.own = own;
    this.keeper = keeper;
  }

  /**
   * Re-reads one chat after a change outside the app (the watcher calls this): a chat file that is
   * gone leaves the list (null); a new one joins it when its character is given (else null); a
   * changed one is re-read, its tail never cut (the store did not write it), and its index entry
   * recomputed from the file.
   */
  async refreshChat(chatId: string, characterId?: string): Promise<ChatSummary | null> {
    const { ctx, logs, own } = this;
    const id = parse(ChatId, chatId, 'chatId');
    const ch = characterId === undefined ? undefined : parse(CharacterId, characterId, 'characterId');
    if (ctx.closed) throw new StoreError('CLOSED', 'the chat store is closed');
    return ctx.queue.run(id, async () => {
      if (!ctx.chats.has(id)) {
        if (ch === undefined) return null;
        const path = ctx.layout.chatFile(ch, id);
        if (!(await ctx.fs.stat(path).then(() => true, () => false))) return null;
        ctx.chats.set(id, { characterId: ch, path });
      }
      const open = logs.peek(id);
      if (open && (await open.pathState().catch(() => 'gone' as const)) !== 'same') await own.changedOutside(id, open);
      await logs.forget(id);
      ctx.index.delete(id);
      ctx.memos.get(id)?.quarantined.clear(); // offsets may now name other lines
      // refreshChat is called for a change the store did not make: never truncate that file's tail.
      own.markExternal(id);
      own.dropView(id);
      if (await logs.dropIfGone(id)) return null;
      if (!ctx.chats.has(id)) return null;
      try {
        return await this.keeper.summaryOf(await logs.log(id));
      } catch (e) {
        return this.keeper.unreadableSummary(id, e);
      } finally {
        await logs.evictIdle(id);
      }
    });
  }

  /** The chat's messages as the app last read or wrote them (the old file's bytes after an outside change). */
  async appView(chatId: string): Promise<{ title: string; characterId: string; messages: Message[] } | null> {
    const id = parse(ChatId, chatId, 'chatId');
    return this.ctx.queue.run(id, async () => {
      let bytes = this.own.view(id);
      const open = this.logs.peek(id);
      if (!bytes && open) bytes = await open.ownBytes().catch(() => undefined);
      if (!bytes) return null;
      const state = readFullState(bytes);
      return 'error' in state ? null : { title: state.header.title, characterId: state.header.character_id, messages: state.messages };
    });
  }

  /** Whether the chat's file is gone; if so the chat leaves the list. */
  async forgetIfGone(chatId: string): Promise<boolean> {
    const id = parse(ChatId, chatId, 'chatId');
    return this.ctx.queue.run(id, async () => {
      if (!this.ctx.chats.has(id)) return false; // not listed (deleted by the app itself meanwhile)
      const gone = await this.logs.dropIfGone(id);
      if (gone) this.own.forget(id);
      return gone;
    });
  }
}

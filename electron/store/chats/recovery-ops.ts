// The store's side of recovery (recovery.ts does the file work): validate, repair, list and
// restore backups, list the trash and undelete. Each runs on the chat's queue with its log
// closed; after a rewrite or a move, what memory held of the chat is dropped and read anew.
import type { ChatSummary } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { ioError } from '../../durable/durable.ts';
import { stampPath } from '../../durable/guarded-rewrite.ts';
import { newChatMemo } from '../log/chat-memo.ts';
import { listChatBackups, listTrash, repairChatFile, restoreChatBackup, undeleteChatFile, validateChatFile, type BackupSummary, type RecoveryDeps, type RepairResult, type TrashedChat } from '../recovery.ts';
import type { ValidationReport } from '../validate.ts';
import { assertOpen, type ChatLocation } from './context.ts';
import { StorePart } from './store-part.ts';

export class RecoveryOps extends StorePart {
  private get deps(): RecoveryDeps {
    const { fs, layout, retention, now, oplog } = this.ctx;
    return { fs, layout, retention, now, oplog };
  }

  /** Runs on the chat's queue without opening its log (the file may be unreadable). A `write` is fenced (chat-tasks.ts). */
  private onChatFile<T>(chatId: unknown, task: (id: string, loc: ChatLocation) => Promise<T>, write = false): Promise<T> {
    return this.tasks.onQueue(chatId, async (id) => {
      const loc = this.ctx.chats.get(id);
      if (!loc) throw new StoreError('NOT_FOUND', `chat ${id} does not exist`, { chatId: id });
      try {
        return await task(id, loc);
      } catch (e) {
        throw ioError(e, `chat ${id}`);
      }
    }, write);
  }

  /**
   * After a rewrite from recovery, or one refused because the file changed outside the app: what
   * memory held of the chat is dropped and read anew (the revision last handed out is kept, so the
   * next one is larger). The rewritten file is the store's own; a changed one is another program's.
   */
  private async reread(id: string, outcome: 'rewritten' | 'changed_outside' | 'untouched'): Promise<void> {
    const { ctx } = this;
    await this.logs.forget(id, 'drop');
    ctx.index.delete(id); // the file was rewritten or moved: its summary is recomputed from it
    const revision = ctx.memos.get(id)?.revision;
    ctx.memos.set(id, { ...newChatMemo(), ...(revision ? { revision } : {}), ...(outcome === 'changed_outside' ? { external: true } : {}) });
    ctx.live.forgetChat(id);
    if (outcome === 'changed_outside') ctx.ownStates.notOurs(id);
    if (outcome === 'rewritten') {
      const loc = ctx.chats.get(id);
      const written = loc ? await stampPath(ctx.fs, loc.path).catch(() => null) : null;
      if (written) ctx.ownStates.wrote(id, written);
    }
  }

  /** A recovery rewrite, then reread with its outcome. */
  private async rewriting<T>(id: string, rewrite: (minRevision: number) => Promise<T>, rewrote: (r: T) => boolean): Promise<T> {
    await this.logs.forget(id, 'drop');
    let outcome: 'rewritten' | 'changed_outside' | 'untouched' = 'untouched';
    try {
      const r = await rewrite(this.ctx.memos.get(id)?.revision?.value ?? 0);
      if (rewrote(r)) outcome = 'rewritten';
      return r;
    } catch (e) {
      if (e instanceof StoreError && e.code === 'CONFLICT') outcome = 'changed_outside';
      throw e;
    } finally {
      await this.reread(id, outcome);
    }
  }

  validateChat(chatId: string): Promise<ValidationReport> {
    return this.onChatFile(chatId, (id, loc) => validateChatFile(this.deps, id, loc.characterId, loc.path));
  }

  repairChat(chatId: string): Promise<RepairResult> {
    return this.onChatFile(chatId, (id, loc) => this.rewriting(id, (min) => repairChatFile(this.deps, id, loc.characterId, loc.path, min), (r) => r.repaired), true);
  }

  listBackups(chatId: string): Promise<BackupSummary[]> {
    return this.onChatFile(chatId, (id) => listChatBackups(this.deps, id));
  }

  restoreBackup(chatId: string, backupId: string): Promise<{ undoBackupId: string | null }> {
    return this.onChatFile(chatId, (id, loc) => this.rewriting(id, (min) => restoreChatBackup(this.deps, id, loc.path, backupId, min), () => true), true);
  }

  async listDeletedChats(): Promise<TrashedChat[]> {
    assertOpen(this.ctx);
    return listTrash(this.deps);
  }

  /** The copy `trashId` names, else the newest; see undeleteChatFile (a copy named while its id is live comes back under a new id). */
  undeleteChat(chatId: string, trashId?: string): Promise<ChatSummary> {
    const { ctx } = this;
    return this.tasks.onQueue(chatId, async (id) => {
      const { chatId: restored, characterId, path } = await undeleteChatFile(this.deps, id, ctx.chats.has(id), trashId).catch((e: unknown) => {
        throw ioError(e, `chat ${id}`);
      });
      ctx.chats.set(restored, { characterId, path });
      ctx.memos.delete(restored);
      ctx.index.delete(restored);
      // Back in the list even when it cannot be read now: never hidden.
      return this.logs.log(restored).then((log) => this.keeper.summarize(log)).catch((e: unknown) => this.keeper.unreadableSummary(restored, e instanceof StoreError ? e : new StoreError('CORRUPT', 'unreadable'))!);
    }, true);
  }
}

// The store's side of recovery (recovery.ts does the file work): validate, repair, list and
// restore backups, list the trash and undelete. Each runs on the chat's queue with its log
// closed; after a rewrite or a move, what memory held of the chat is dropped and read anew.
import type { ChatSummary } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { ioError } from '../../durable/durable.ts';
import { listChatBackups, listTrash, repairChatFile, restoreChatBackup, undeleteChatFile, validateChatFile, type BackupSummary, type RecoveryDeps, type RepairResult, type TrashedChat } from '../recovery.ts';
import type { ValidationReport } from '../validate.ts';
import type { ChatTasks } from './chat-tasks.ts';
import { assertOpen, type ChatLocation, type StoreContext } from './context.ts';
import type { IndexKeeper } from './index-keeper.ts';
import type { OpenLogs } from './open-logs.ts';

export class RecoveryOps {
  private readonly ctx: StoreContext;
  private readonly tasks: ChatTasks;
  private readonly logs: OpenLogs;
  private readonly keeper: IndexKeeper;

  constructor(ctx: StoreContext, tasks: ChatTasks, logs: OpenLogs, keeper: IndexKeeper) {
    this.ctx = ctx;
    this.tasks = tasks;
    this.logs = logs;
    this.keeper = keeper;
  }

  private get deps(): RecoveryDeps {
    const { fs, layout, retention, now, oplog } = this.ctx;
    return { fs, layout, retention, now, oplog };
  }

  /** Runs on the chat's queue without opening its log (the file may be unreadable). */
  private onChatFile<T>(chatId: unknown, task: (id: string, loc: ChatLocation) => Promise<T>): Promise<T> {
    return this.tasks.onQueue(chatId, async (id) => {
      const loc = this.ctx.chats.get(id);
      if (!loc) throw new StoreError('NOT_FOUND', `chat ${id} does not exist`, { chatId: id });
      try {
        return await task(id, loc);
      } catch (e) {
        throw ioError(e, `chat ${id}`);
      }
    });
  }

  /** A rewrite from recovery: what memory held of the chat is dropped and read anew (the user chose that version: nothing of the app's earlier one is kept). */
  private async reread(id: string): Promise<void> {
    await this.logs.forget(id, 'drop');
    this.ctx.index.delete(id); // the file was rewritten or moved: its summary is recomputed from it
    this.ctx.memos.delete(id);
    this.ctx.live.forgetChat(id);
  }

  validateChat(chatId: string): Promise<ValidationReport> {
    return this.onChatFile(chatId, (id, loc) => validateChatFile(this.deps, id, loc.characterId, loc.path));
  }

  repairChat(chatId: string): Promise<RepairResult> {
    return this.onChatFile(chatId, async (id, loc) => {
      await this.logs.forget(id, 'drop');
      try {
        return await repairChatFile(this.deps, id, loc.characterId, loc.path);
      } finally {
        await this.reread(id);
      }
    });
  }

  listBackups(chatId: string): Promise<BackupSummary[]> {
    return this.onChatFile(chatId, (id) => listChatBackups(this.deps, id));
  }

  restoreBackup(chatId: string, backupId: string): Promise<{ undoBackupId: string | null }> {
    return this.onChatFile(chatId, async (id, loc) => {
      await this.logs.forget(id, 'drop');
      try {
        return await restoreChatBackup(this.deps, id, loc.path, backupId);
      } finally {
        await this.reread(id);
      }
    });
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
    });
  }
}

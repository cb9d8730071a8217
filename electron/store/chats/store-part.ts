// What the parts of the chat store that read and write chats share: the store's context, the
// per-chat task queue, the open logs and the chat index's keeper (store.ts builds them once).
import type { ChatTasks } from './chat-tasks.ts';
import type { StoreContext } from './context.ts';
import type { IndexKeeper } from './index-keeper.ts';
import type { OpenLogs } from './open-logs.ts';

export interface StoreParts {
  ctx: StoreContext;
  tasks: ChatTasks;
  logs: OpenLogs;
  keeper: IndexKeeper;
}

export abstract class StorePart {
  protected readonly ctx: StoreContext;
  protected readonly tasks: ChatTasks;
  protected readonly logs: OpenLogs;
  protected readonly keeper: IndexKeeper;

  constructor(parts: StoreParts) {
    this.ctx = parts.ctx;
    this.tasks = parts.tasks;
    this.logs = parts.logs;
    this.keeper = parts.keeper;
  }
}

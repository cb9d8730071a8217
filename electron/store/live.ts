// Which `streaming` messages belong to this store session. The data dir is locked by one
// process, so a message stored as `streaming` that this session did not write as such was
// left by a process that is gone: it is handed out as `interrupted` (the file is not rewritten).
import type { Message } from '../../shared/chat-format.ts';

export class LiveMessages {
  private readonly live = new Set<string>();

  /** Called after every write of a message: its stored status decides whether it is live. */
  note(chatId: string, msg: Message): void {
    const key = `${chatId}/${msg.id}`;
    if (msg.status === 'streaming') this.live.add(key);
    else this.live.delete(key);
  }

  forgetChat(chatId: string): void {
    for (const key of this.live) if (key.startsWith(`${chatId}/`)) this.live.delete(key);
  }

  /** The message as the app should see it: a dead process's `streaming` reads as `interrupted`. */
  present<M extends Message>(chatId: string, msg: M): M {
    if (msg.status === 'streaming' && !this.live.has(`${chatId}/${msg.id}`)) msg.status = 'interrupted';
    return msg;
  }
}

// What the scenarios do through an app, recording what it acknowledged and what it refused.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Computer } from './computer.ts';
import type { Acked } from './library.ts';

export class Journal {
  readonly acked: Acked[] = [];
  /** Sends the app refused (`A: "A-3" → CONFLICT: …`): each one is a message the user had to send again. */
  readonly refused: string[] = [];

  /** One send; true when the app acknowledged it. */
  async send(app: Computer, by: string, chatId: string, content: string): Promise<boolean> {
    try {
      const m = await app.call<{ id: string }>('appendMessage', { chatId, message: { role: 'user', content } });
      this.acked.push({ by, chatId, id: m.id, content });
      return true;
    } catch (e) {
      this.refused.push(`${by}: "${content}" → ${(e as Error).message}`);
      return false;
    }
  }

  async sendMany(app: Computer, by: string, chatId: string, n: number, prefix = by): Promise<void> {
    for (let i = 1; i <= n; i++) await this.send(app, by, chatId, `${prefix}-${i}`);
  }
}

/** A character and a chat in it, made on `app`. */
export async function makeChat(app: Computer, characterName: string, title: string): Promise<{ characterId: string; chatId: string }> {
  const c = await app.call<{ id: string }>('createCharacter', { name: characterName });
  const chat = await app.call<{ chatId: string }>('createChat', { characterId: c.id, title });
  return { characterId: c.id, chatId: chat.chatId };
}

/** Waits (bounded) until `app` can open the chat: it has arrived through the sync tool. */
export async function waitForChat(app: Computer, chatId: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      await app.call('loadChat', { chatId, options: { limit: 1 } });
      return;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > end) throw new Error(`${app.name}'s app never opened chat ${chatId} made on the other computer (within ${timeoutMs / 1000} s): ${last}`);
    await sleep(200);
  }
}

// Reads a store's whole state into a model snapshot, twice: through the store's paged API and
// through an independent forward parse of each file. The two must agree.
import { readFile } from 'node:fs/promises';
import { readFullState, type ChatStore } from '../../electron/store/index.ts';
import type { Message } from '../../shared/chat-format.ts';
import type { Snapshot } from './model.ts';

const row = (m: Message): [string, string, number] => [m.id, m.content, m.swipes?.length ?? 1];

export async function snapshotStore(store: ChatStore, characters: string[], crossCheck = false): Promise<Snapshot> {
  const snap: Snapshot = {};
  for (const characterId of characters) {
    for (const summary of await store.listChats(characterId)) {
      if (summary.status !== 'ok') throw new Error(`chat ${summary.chatId} does not open: ${summary.status}`);
      const pages: Message[][] = [];
      let before: string | undefined;
      for (;;) {
        const page = await store.loadChat(summary.chatId, before ? { limit: 7, before } : { limit: 7 });
        if (page.warnings.length) throw new Error(`chat ${summary.chatId} loaded with warnings: ${JSON.stringify(page.warnings)}`);
        pages.unshift(page.messages);
        if (!page.hasMore) break;
        before = page.messages[0]!.id;
      }
      const messages = pages.flat();
      if (messages.length !== summary.messageCount) throw new Error(`chat ${summary.chatId}: listed ${summary.messageCount} messages, loaded ${messages.length}`);
      snap[summary.chatId] = { title: summary.title, messages: messages.map(row) };
      if (crossCheck) {
        const path = `${store.dataDir}/chats/${characterId}/${summary.chatId}.jsonl`;
        const full = readFullState(await readFile(path));
        if ('error' in full) throw new Error(`chat ${summary.chatId}: full parse failed: ${full.error}`);
        const again = JSON.stringify({ title: full.header.title, messages: full.messages.map(row) });
        if (again !== JSON.stringify(snap[summary.chatId])) throw new Error(`chat ${summary.chatId}: paged load and full parse disagree`);
      }
    }
  }
  return snap;
}

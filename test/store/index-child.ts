// Child for chat-index.test.ts: opens the store with a short index flush delay and writes to
// several chats until it is SIGKILLed (appends, edits, deletes, renames, compactions), so the kill
// lands between index flushes and mid-write. Prints "ready" once writing has started.
import { openChatStore } from '../../electron/store/index.ts';

const [dataDir] = process.argv.slice(2) as [string];
const store = await openChatStore({ dataDir, indexFlushDelayMs: 20 });
const ids: string[] = [];
for (const ch of ['a', 'b']) for (let i = 0; i < 3; i++) ids.push((await store.createChat({ characterId: ch, title: `${ch}${i}` })).chatId);
let n = 0;
process.stdout.write('ready\n');
for (;;) {
  const chatId = ids[n % ids.length]!;
  const m = await store.appendMessage(chatId, { role: n % 2 ? 'assistant' : 'user', content: `message ${n}` });
  if (n % 3 === 0) await store.updateMessage(chatId, m.id, { content: `edited ${n}` });
  if (n % 5 === 0) await store.deleteMessage(chatId, m.id);
  if (n % 7 === 0) await store.renameChat(chatId, `renamed ${n}`);
  if (n % 50 === 49) await store.compactChat(chatId);
  n++;
}

// Child for position-index.test.ts: appends to a chat and jumps into it in a loop, its position
// index saved after every jump (no delay), until it is killed. Prints "ready" after the first save.
// Usage: node positions-child.ts <dataDir> <chatId> <prefix of new ids>
import { openChatStore } from '../../electron/store/index.ts';

const [dataDir, chatId, prefix] = process.argv.slice(2) as [string, string, string];
const store = await openChatStore({ dataDir, positionsFlushDelayMs: 0 });
let n = 0;
for (;;) {
  await store.appendMessages(chatId, [{ id: `${prefix}${n}`, role: 'user', content: `killed round ${n} `.repeat(5) }]);
  if (n % 3 === 0) await store.updateMessage(chatId, `m${n % 500}`, { content: `edited by the child ${n}` });
  await store.loadChat(chatId, { around: `m${(n * 37) % 500}`, limit: 20 });
  await new Promise((r) => setTimeout(r, 1)); // let the deferred save run
  if (n++ === 0) console.log('ready');
}

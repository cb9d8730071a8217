// Child for own-version.test.ts: the app's store writing a chat, then killed. Creates a chat of
// character `ck`, appends "mine-1" and prints `one <file>`; on a line from stdin appends "mine-2" and
// "mine-3", prints `acked`, and waits to be SIGKILLed. Usage: node own-writes-child.ts <dataDir>
import { createInterface } from 'node:readline';
import { openChatStore } from '../../electron/store/index.ts';

const [dataDir] = process.argv.slice(2) as [string];
const store = await openChatStore({ dataDir });
const chat = await store.createChat({ characterId: 'ck', title: 'Killed' });
await store.appendMessage(chat.chatId, { role: 'user', content: 'mine-1' });
console.log(`one ${dataDir}/chats/ck/${chat.chatId}.jsonl`);
const lines = createInterface({ input: process.stdin });
await new Promise((r) => lines.once('line', r));
await store.appendMessage(chat.chatId, { role: 'user', content: 'mine-2' });
await store.appendMessage(chat.chatId, { role: 'user', content: 'mine-3' });
console.log('acked');
setInterval(() => {}, 1000);

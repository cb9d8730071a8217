// Child for repair-kill.test.ts: repairs one chat and restores a backup, printing each step.
import { openChatStore } from '../../electron/store/index.ts';

const [dataDir, chatId] = process.argv.slice(2) as [string, string];
const store = await openChatStore({ dataDir });
console.log('open');
await store.repairChat(chatId);
console.log('repaired');
await store.close();

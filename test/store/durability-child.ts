// Child for the syscall-trace test (durability.test.ts): drives every store path that creates a
// directory entry in a fresh nested data directory. After each acknowledged operation it opens a
// path ACK-<step> that does not exist, so the acknowledgement shows up in the trace as an openat.
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openAppSettings } from '../../electron/app-settings/settings.ts';
import { openConfBackend } from '../../electron/app-settings/conf-backend.ts';
import { openChatStore } from '../../electron/store/index.ts';

const [dataDir, markDir] = process.argv.slice(2) as [string, string];
const ack = (step: string) => {
  try {
    openSync(join(markDir, `ACK-${step}`), 'r');
  } catch {
    // expected: the marker never exists
  }
};

let store = await openChatStore({ dataDir });
ack('open');
const chat = await store.createChat({ characterId: 'alice' });
ack('createChat');
await store.appendMessage(chat.chatId, { role: 'user', content: 'first' });
ack('append1');
await store.appendMessage(chat.chatId, { role: 'assistant', content: 'second' });
ack('append2');
await store.compactChat(chat.chatId); // backup, then rewrite
ack('compact');
await store.close();
ack('close');

// A bad line in the middle of the file is copied to quarantine when the chat is read.
const file = join(dataDir, 'chats', 'alice', `${chat.chatId}.jsonl`);
const lines = readFileSync(file, 'utf8').split('\n');
lines.splice(2, 0, '{"id":"broken');
writeFileSync(file, lines.join('\n'));

store = await openChatStore({ dataDir });
ack('reopen');
const page = await store.loadChat(chat.chatId);
if (!page.warnings.some((w) => w.kind === 'quarantined_line')) throw new Error('expected a quarantined line');
ack('load');
await store.deleteChat(chat.chatId);
ack('deleteChat');
openAppSettings(dataDir, openConfBackend).update({ model: 'traced' }); // an app document in a new app/ folder
ack('settings');
await store.close();
ack('end');

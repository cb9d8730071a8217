// Child for the lock-fence test (lock-fence.test.ts): holds the store and appends to one chat in
// a loop, one write at a time, printing each outcome: `ACK <seq>` when the store acknowledged
// message `a-<seq>`, `ERR <seq> <code>` when it refused it, and `LOST <code>` when the store says
// it lost the data-directory lock. Stops (closing the store) at "stop" on stdin.
// argv: dataDir, lock options as JSON
import { openChatStore, type StoreError } from '../../electron/store/index.ts';

const [dataDir, lockJson] = process.argv.slice(2) as [string, string];
const out = (line: string) => process.stdout.write(`${line}\n`); // a pipe: written synchronously
const store = await openChatStore({ dataDir, lock: JSON.parse(lockJson) });
void store.whenLockLost().then((e) => out(`LOST ${e.code}`));
const { chatId } = await store.createChat({ characterId: 'alice' });
out(`CHAT ${chatId}`);

let stop = false;
process.stdin.once('data', () => (stop = true));
for (let seq = 1; !stop; seq++) {
  try {
    await store.appendMessage(chatId, { role: 'user', content: `a-${seq}` });
    out(`ACK ${seq}`);
  } catch (e) {
    out(`ERR ${seq} ${(e as StoreError).code}`);
    await new Promise((r) => setTimeout(r, 5)); // refused at once: do not spin
  }
}
await store.close().catch((e: StoreError) => out(`CLOSE-ERR ${e.code}`));
out('DONE');
process.exit(0);

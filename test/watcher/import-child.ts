// Child for conflict-import.test.ts: starts the store and the services (with the chats watcher,
// which imports the conflict files found at start-up), waits until the watcher is idle, and exits.
// Prints `watching` once the watcher's start-up scan is under way and `done` when it is idle.
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';

const [dataDir] = process.argv.slice(2) as [string];
const store = await openChatStore({ dataDir });
const services = createServices<boolean>({ store, emit: () => {}, isTrustedSender: () => true });
await services.ready;
console.log('watching');
await services.watcher!.idle();
console.log('done');
await services.shutdown();

// Child process for the lock tests: opens the store, says HELD, then waits for "release" on stdin.
import { openChatStore } from '../../electron/store/index.ts';

const store = await openChatStore({ dataDir: process.argv[2]! }).catch((e: { code?: string; details?: unknown }) => {
  process.stdout.write(`${JSON.stringify({ code: e.code, details: e.details })}\n`);
  process.exit(3);
});
process.stdout.write('HELD\n');
process.stdin.once('data', async () => {
  await store.close();
  process.exit(0);
});

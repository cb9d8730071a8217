// Child process for the lock tests: opens the store, says HELD, then waits for "release" on stdin.
// argv: dataDir [lock options as JSON] ["wait": print each onWait report as a WAIT line]
import { openChatStore } from '../../electron/store/index.ts';

const [dataDir, lockJson, wait] = process.argv.slice(2);
const lock = { ...(lockJson ? JSON.parse(lockJson) : {}), ...(wait === 'wait' ? { onWait: (w: unknown) => process.stdout.write(`WAIT ${JSON.stringify(w)}\n`) } : {}) };
const store = await openChatStore({ dataDir: dataDir!, lock }).catch((e: { code?: string; details?: unknown; message?: string }) => {
  process.stdout.write(`${JSON.stringify({ code: e.code, details: e.details, message: e.message })}\n`);
  process.exit(3);
});
process.stdout.write('HELD\n');
process.stdin.once('data', async () => {
  await store.close();
  process.exit(0);
});

// Crash child: runs the real store + generation manager on a chat, with a deterministic fake
// provider, and reports every chunk (with the time it was emitted) on stdout before main can
// store it. The parent SIGKILLs (or SIGTERMs) it mid-stream and checks the chat file.
//   node test/stream/stream-child.ts <dataDir> <chatId> <new|swipe> <messageId|-> <intervalMs> <paceMs>
import { writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { chunkText, preciseNow } from './stream-kill.ts';

const [dataDir, chatId, mode, messageId, intervalArg, paceArg] = process.argv.slice(2);
const interval = Number(intervalArg);
const pace = Number(paceArg);
const say = (line: string) => writeSync(1, `${line}\n`);

/** Endless: chunk i is chunkText(i), one every `pace` ms. */
const provider: Provider = async function* (ctx) {
  for (let i = 0; !ctx.signal.aborted; i++) {
    yield chunkText(i);
    await sleep(pace);
  }
};

const store = await openChatStore({ dataDir: dataDir! });
const services = createServices<boolean>({
  store,
  isTrustedSender: () => true,
  provider,
  autosaveIntervalMs: () => interval,
  emit: (event, payload) => {
    // Reported synchronously, before the manager hands the text to its writer.
    if (event === 'stream:chunk') say(`C ${preciseNow().toFixed(3)} ${JSON.stringify((payload as { delta: string }).delta)}`);
  },
});
process.once('SIGTERM', () => {
  services.shutdown().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
});
const r = await services.binding.handle(true, 'generate', mode === 'swipe' ? { mode, chatId, messageId } : { mode: 'new', chatId });
if (!r.ok) {
  console.error(JSON.stringify(r));
  process.exit(3);
}
say('READY');

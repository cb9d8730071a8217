// Quit child: the services of one data dir, driven like the Electron main process: calls come
// from the parent over the IPC channel (the renderer), and a signal runs the one quit flush
// (`services.shutdown()` through flushOnSignals, as every Node entry does). The renderer keeps
// calling while the quit runs, as a window that is still open does.
//   node test/app/quit-child.ts <dataDir>
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { flushOnSignals } from '../../electron/lifecycle/exit-signals.ts';

const [dataDir] = process.argv.slice(2);
const store = await openChatStore({ dataDir: dataDir! });
const services = createServices<boolean>({
  store,
  isTrustedSender: () => true,
  emit: () => {},
  // A minute: only a flush writes a draft, never the interval.
  autosaveIntervalMs: () => 60_000,
});
await services.ready;
process.on('message', (m: { id: number; channel: string; payload: unknown }) => {
  void services.binding.handle(true, m.channel, m.payload).then((result) => process.send!({ id: m.id, result }));
});
flushOnSignals(() => services.shutdown(), { timeoutMs: () => 60_000, doneMessage: 'flushed' });
process.send!({ ready: true });

// `npm run web`: the browser host as a process. Prints the URL, serves until
// SIGINT/SIGTERM/SIGHUP, then flushes and closes the store (bounded) and exits.
// A second signal exits at once.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openChatStore } from '../store/index.ts';
import { toErrorInfo } from '../../shared/errors.ts';
import { dataDirFromArgs, defaultUserDataDir } from '../data-dir.ts';
import { settingsOverridesFromEnv } from '../ipc/services.ts';
import { startHost } from './server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SHUTDOWN_TIMEOUT_MS = 10_000;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const dataDir = dataDirFromArgs(process.argv.slice(2)) ?? defaultUserDataDir();
  const staticDir = path.resolve(arg('--static') ?? path.join(ROOT, 'dist', 'renderer'));
  const port = Number(arg('--port') ?? process.env.CARDSHARK_PORT ?? 0);

  let store;
  try {
    store = await openChatStore({ dataDir });
  } catch (e) {
    const info = toErrorInfo(e);
    console.error(`CardShark could not open its data folder ${dataDir}: [${info.code}] ${info.message}`);
    process.exit(2);
  }
  const host = await startHost({ store, staticDir, port, settingsOverrides: settingsOverridesFromEnv() });
  console.log(`CardShark data folder: ${dataDir}`);
  // Tests parse this line; keep its shape.
  console.log(`CardShark is running at ${host.url}`);

  let signalled = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      console.error(`second ${sig}: exiting without waiting`);
      process.exit(130);
    }
    signalled = true;
    const timer = setTimeout(() => {
      console.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    host.close().then(
      () => {
        clearTimeout(timer);
        console.log('CardShark host stopped; data flushed.');
        process.exit(0);
      },
      (e: unknown) => {
        console.error('shutdown failed:', toErrorInfo(e).message);
        process.exit(1);
      },
    );
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, onSignal);
}

await main();

// `npm run web`: the browser host as a process. Prints the URL, serves until
// SIGINT/SIGTERM/SIGHUP, then flushes and closes the store (bounded) and exits.
// A second signal exits at once.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openChatStore, tellOnceWhileWaiting } from '../store/index.ts';
import { openOpLog } from '../oplog/oplog.ts';
import { toErrorInfo } from '../../shared/errors.ts';
import { dataDirFromArgs, defaultUserDataDir } from '../app-data/data-dir.ts';
import { settingsOverridesFromEnv } from '../ipc/services.ts';
import { flushOnSignals } from '../lifecycle/exit-signals.ts';
import { openAppSettings } from '../app-settings/settings.ts';
import { openConfBackend } from '../app-settings/conf-backend.ts';
import { startHost } from './server.ts';
import { keepOldGenerationGrowthModest, keepYoungGenerationSmall } from '../lifecycle/young-generation.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  // A streamed import of any size (an upload, or a CLI command handed to this app) stays in bounded
  // memory: a 1,000,000-message upload and import peaked at ~360 MB RSS without these, ~190 MB with them.
  keepYoungGenerationSmall();
  keepOldGenerationGrowthModest();
  const dataDir = dataDirFromArgs(process.argv.slice(2)) ?? defaultUserDataDir();
  const staticDir = path.resolve(arg('--static') ?? path.join(ROOT, 'dist', 'renderer'));
  const port = Number(arg('--port') ?? process.env.CARDSHARK_PORT ?? 0);

  let store, settings;
  try {
    settings = openAppSettings(dataDir, openConfBackend); // before the store: it needs backupRetention
    // A lock held from another computer is waited for (bounded by its heartbeat), and we say why.
    const onWait = tellOnceWhileWaiting((line) => console.error(line));
    store = await openChatStore({ dataDir, backupRetention: settings.get().backupRetention, lock: { onWait }, oplog: await openOpLog(dataDir, { source: 'host' }) });
  } catch (e) {
    const info = toErrorInfo(e);
    console.error(`CardShark could not open its data folder ${dataDir}: [${info.code}] ${info.message}`);
    process.exit(2);
  }
  const host = await startHost({ store, settings, staticDir, port, settingsOverrides: settingsOverridesFromEnv() });
  for (const n of settings.notices) console.warn(`CardShark settings: ${n}`);
  console.log(`CardShark data folder: ${dataDir}`);
  // Tests parse this line; keep its shape.
  console.log(`CardShark is running at ${host.url}`);

  flushOnSignals(() => host.close(), {
    timeoutMs: () => settings.get().quitFlushTimeoutMs,
    doneMessage: 'CardShark host stopped; data flushed.',
  });
}

await main();

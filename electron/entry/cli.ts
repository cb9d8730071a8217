#!/usr/bin/env node
// cardshark CLI: inspect and maintain a data directory from the shell, through the same store.
//   npm run cli -- <command> [args] [--data-dir DIR]
// While the app is open on the data folder, the app carries the command out (electron/cli/control.ts);
// otherwise the CLI takes the data-dir lock itself, as the app does.
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AppSettings } from '../app-settings/settings.ts';
import type { CliOutput, CliRequest } from '../cli/commands.ts';

// Node's compile cache first, then the modules (hence imported dynamically, after it): they are
// not type-stripped and compiled again at every run, which halves the start of every command
// (~1.4 s of ~3 s on a busy 2-core machine). Kept in the project's node_modules/.cache, not in the
// shared temp folder, where another user could plant entries.
enableCompileCache?.(fileURLToPath(new URL('../../node_modules/.cache/cardshark-cli', import.meta.url)));
const { failure, parseCli, runCliCommand, USAGE } = await import('../cli/commands.ts');
const { askRunningApp } = await import('../cli/control.ts');
const { dataDirFromArgs, defaultUserDataDir } = await import('../app-data/data-dir.ts');

const argv = process.argv.slice(2);
const { command, json } = parseCli(argv);
if (!command || command === 'help' || command === '--help') {
  console.log(USAGE);
  process.exit(command ? 0 : 2);
}

const dataDir = dataDirFromArgs(argv) ?? defaultUserDataDir();
// `npm run` changes the directory to the project: paths are the user's, from INIT_CWD.
const req: CliRequest = { argv, cwd: process.env.INIT_CWD ?? process.cwd() };

function print(out: CliOutput): void {
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  process.exitCode = out.exitCode;
}

// Progress on a terminal, as a command run here shows it.
const showProgress = process.stderr.isTTY ? (line: string | null) => void process.stderr.write(line === null ? '\r\x1b[K' : `\r\x1b[K${line}`) : undefined;
const viaApp = await askRunningApp(dataDir, req, showProgress).catch((e: unknown) => failure(e, json));
if (viaApp) print(viaApp);
else await runHere();

/** No app answers for this data folder: open it here (waiting, bounded, for a lock held elsewhere). */
async function runHere(): Promise<void> {
  // Only what every command needs is loaded here; the rest when a command asks for it.
  const { openChatStore, tellOnceWhileWaiting } = await import('../store/index.ts');
  const { flushOnSignals } = await import('../lifecycle/exit-signals.ts');
  const { exitWithParent } = await import('../lifecycle/parent-watch.ts');
  const { keepYoungGenerationSmall } = await import('../lifecycle/young-generation.ts');
  const { readAppSettings } = await import('../app-settings/settings.ts');
  const { openOpLog } = await import('../oplog/oplog.ts');
  keepYoungGenerationSmall(); // a streamed import of any size stays in bounded memory
  let settings: AppSettings;
  try {
    // Read, never written (no command changes them): the settings library is not even loaded.
    settings = readAppSettings(dataDir); // backups taken by compaction follow its retention
  } catch (e) {
    return print(failure(e, json));
  }
  // A lock held from another computer is waited for (bounded by its heartbeat), and we say why.
  const onWait = tellOnceWhileWaiting((line) => console.error(line));
  const oplog = await openOpLog(dataDir, { source: 'cli' }).catch(() => undefined);
  const store = await openChatStore({ dataDir, backupRetention: settings.backupRetention, lock: { onWait }, ...(oplog ? { oplog } : {}) }).catch((e: unknown) => {
    print(failure(e, json));
    return null;
  });
  if (!store) return;
  // A signal mid-command lets the queued write finish and releases the lock before exiting.
  flushOnSignals(() => store.close(), { timeoutMs: () => settings.quitFlushTimeoutMs });
  exitWithParent();
  try {
    print(
      await runCliCommand(
        {
          store,
          characters: async () => (await import('../app-data/characters.ts')).openCharacterRegistry(dataDir),
          personaName: async (chatId) => (await (await import('../app-data/personas.ts')).openPersonas(dataDir).forChat(chatId))?.name ?? settings.personaName,
          ...(showProgress ? { progress: showProgress } : {}),
        },
        req,
      ),
    );
  } finally {
    await store.close();
    oplog?.drain();
  }
}

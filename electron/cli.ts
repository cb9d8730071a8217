// cardshark CLI: inspect and maintain a data directory from the shell, through the same store.
//   npm run cli -- <command> [args] [--data-dir DIR]
// It takes the same data-dir lock as the app, so it refuses to run while the app is open.
import { openChatStore, tellOnceWhileWaiting } from './store/index.ts';
import { dataDirFromArgs, defaultUserDataDir } from './data-dir.ts';
import { flushOnSignals } from './exit-signals.ts';
import { exitWithParent } from './parent-watch.ts';
import { openAppSettings, type AppSettingsStore } from './settings/settings.ts';
import { openConfBackend } from './settings/conf-backend.ts';

const USAGE = `usage: npm run cli -- <command> [args] [--data-dir DIR]
  list [characterId]                 chats of a character (or every chat), newest first
  show <chatId> [--limit N]          the newest messages of a chat
  create <characterId> [title]       a new chat; prints its summary (with chatId)
  append <chatId> <role> <text>      append one message (role: user|assistant|system)
  rename <chatId> <title>            rename a chat
  compact <chatId>                   rewrite a chat without superseded lines (backed up first)
  delete <chatId>                    move a chat to the trash`;

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  if (i === -1) return undefined;
  const [, value] = argv.splice(i, 2);
  return value;
};
option('--data-dir'); // read above from the untouched argv
const limit = Number(option('--limit') ?? 20);
const [command, ...rest] = argv;

if (!command || command === 'help' || command === '--help') {
  console.log(USAGE);
  process.exit(command ? 0 : 2);
}

const dataDir = dataDirFromArgs(process.argv.slice(2)) ?? defaultUserDataDir();
// A lock held from another computer is waited for (bounded by its heartbeat), and we say why.
const onWait = tellOnceWhileWaiting((line) => console.error(line));
function fail(e: Error & { code?: string }): never {
  console.error(`${e.code ?? 'ERROR'}: ${e.message}`);
  return process.exit(1);
}
let settings: AppSettingsStore;
try {
  settings = openAppSettings(dataDir, openConfBackend); // backups taken by compaction follow its retention
} catch (e) {
  fail(e as Error);
}
const store = await openChatStore({ dataDir, backupRetention: settings.get().backupRetention, lock: { onWait } }).catch(fail);
// A signal mid-command lets the queued write finish and releases the lock before exiting.
flushOnSignals(() => store.close(), { timeoutMs: () => settings.get().quitFlushTimeoutMs });
exitWithParent();
try {
  const out = await run(command, rest);
  if (out !== undefined) console.log(typeof out === 'string' ? out : JSON.stringify(out, null, 2));
} catch (e) {
  const err = e as Error & { code?: string };
  console.error(`${err.code ?? 'ERROR'}: ${err.message}`);
  process.exitCode = 1;
} finally {
  await store.close();
}

async function run(cmd: string, args: string[]): Promise<unknown> {
  const [a = '', b = '', c = ''] = args;
  switch (cmd) {
    case 'list':
      // Without a character: every chat (the chat index), waiting for it to be built if it was missing.
      return a ? store.listChats(a) : store.listAllChats();
    case 'show': {
      const page = await store.loadChat(a, { limit });
      return page.messages.map((m) => `[${new Date(m.timestamp).toISOString()}] ${m.role}: ${m.content}`).join('\n');
    }
    case 'create':
      return store.createChat(b ? { characterId: a, title: b } : { characterId: a });
    case 'append':
      return store.appendMessage(a, { role: b as 'user', content: c });
    case 'rename':
      return store.renameChat(a, b);
    case 'compact':
      return store.compactChat(a);
    case 'delete':
      await store.deleteChat(a);
      return `moved ${a} to the trash`;
    default:
      throw Object.assign(new Error(`unknown command "${cmd}"\n${USAGE}`), { code: 'INVALID_INPUT' });
  }
}

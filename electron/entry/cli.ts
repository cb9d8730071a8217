#!/usr/bin/env node
// cardshark CLI: inspect and maintain a data directory from the shell, through the same store.
//   npm run cli -- <command> [args] [--data-dir DIR]
// It takes the same data-dir lock as the app, so it refuses to run while the app is open.
import { enableCompileCache } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppSettingsStore } from '../app-settings/settings.ts';
import type { ExportFormat, ImportProgress, ImportReport } from '../import/index.ts';
import type { CommandResult } from './cli-recovery.ts';

// Node's compile cache first, then the modules (hence imported dynamically, after it): they are
// not type-stripped and compiled again at every run, which halves the start of every command
// (~1.4 s of ~3 s on a busy 2-core machine). Kept in the project's node_modules/.cache, not in the
// shared temp folder, where another user could plant entries.
enableCompileCache?.(fileURLToPath(new URL('../../node_modules/.cache/cardshark-cli', import.meta.url)));
const { openChatStore, tellOnceWhileWaiting } = await import('../store/index.ts');
const { dataDirFromArgs, defaultUserDataDir } = await import('../app-data/data-dir.ts');
const { flushOnSignals } = await import('../lifecycle/exit-signals.ts');
const { exitWithParent } = await import('../lifecycle/parent-watch.ts');
const { keepYoungGenerationSmall } = await import('../lifecycle/young-generation.ts');
const { openAppSettings } = await import('../app-settings/settings.ts');
const { openConfBackend } = await import('../app-settings/conf-backend.ts');
const { exportChat, importPath, registerImportedCharacters } = await import('../import/index.ts');
const { openCharacterRegistry } = await import('../app-data/characters.ts');
const { openOpLog } = await import('../oplog/oplog.ts');
const { cmdBackups, cmdDoctor, cmdList, cmdRepair, cmdRestore, cmdStats, cmdTrash, cmdUndelete } = await import('./cli-recovery.ts');

const USAGE = `usage: npm run cli -- <command> [args] [--data-dir DIR] [--json]
  list [characterId]                 chats (of one character, or all), newest first
  doctor                             validate every chat; exit 0 when healthy, 1 when problems are found
  repair [chatId]                    repair one chat, or every damaged one (backed up first)
  backups <chatId>                   a chat's backups: id, time, size, message count
  restore <chatId> <backupId>        replace a chat with a backup (the current state is backed up first)
  trash                              recently deleted chats
  undelete <chatId> [trashId]        move a deleted chat back (the newest copy, or the one trash names)
  stats                              counts and sizes of the data folder
  show <chatId> [--limit N]          the newest messages of a chat
  create <characterId> [title]       a new chat; prints its summary (with chatId)
  append <chatId> <role> <text>      append one message (role: user|assistant|system)
  rename <chatId> <title>            rename a chat
  compact <chatId>                   rewrite a chat without superseded lines (backed up first)
  delete <chatId>                    move a chat to the trash
  import <file-or-folder> [--character ID]
                                     import SillyTavern / CardShark legacy chats (a file, a
                                     SillyTavern chats/ folder, a CardShark chats/ folder);
                                     prints each chat created; the source is never modified,
                                     and importing it again creates nothing
  export <chatId> --format st|v1 --out FILE
                                     write a chat as SillyTavern JSONL or a version-1 file
  --json                             machine-readable output (every command)`;

const argv = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  if (i === -1) return undefined;
  const [, value] = argv.splice(i, 2);
  return value;
};
const flag = (name: string): boolean => {
  const i = argv.indexOf(name);
  if (i !== -1) argv.splice(i, 1);
  return i !== -1;
};
option('--data-dir'); // read above from the untouched argv
const limit = Number(option('--limit') ?? 20);
const character = option('--character');
const format = option('--format');
const outFile = option('--out');
const json = flag('--json');
const [command, ...rest] = argv;

if (!command || command === 'help' || command === '--help') {
  console.log(USAGE);
  process.exit(command ? 0 : 2);
}

keepYoungGenerationSmall(); // a streamed import of any size stays in bounded memory
const dataDir = dataDirFromArgs(process.argv.slice(2)) ?? defaultUserDataDir();
// A lock held from another computer is waited for (bounded by its heartbeat), and we say why.
const onWait = tellOnceWhileWaiting((line) => console.error(line));
function fail(e: Error & { code?: string }): never {
  if (json) console.log(JSON.stringify({ ok: false, error: { code: e.code ?? 'ERROR', message: e.message } }));
  console.error(`${e.code ?? 'ERROR'}: ${e.message}`);
  return process.exit(1);
}
let settings: AppSettingsStore;
try {
  settings = openAppSettings(dataDir, openConfBackend); // backups taken by compaction follow its retention
} catch (e) {
  fail(e as Error);
}
const oplog = await openOpLog(dataDir, { source: 'cli' }).catch(() => undefined);
const store = await openChatStore({ dataDir, backupRetention: settings.get().backupRetention, lock: { onWait }, ...(oplog ? { oplog } : {}) }).catch(fail);
// A signal mid-command lets the queued write finish and releases the lock before exiting.
flushOnSignals(() => store.close(), { timeoutMs: () => settings.get().quitFlushTimeoutMs });
exitWithParent();
try {
  const r = await runMaintenance(command, rest);
  if (r) {
    console.log(json ? JSON.stringify(r.out, null, 2) : r.text);
    process.exitCode = r.exitCode;
  } else {
    const out = await run(command, rest);
    if (out !== undefined) console.log(typeof out === 'string' && !json ? out : JSON.stringify(out, null, 2));
  }
} catch (e) {
  const err = e as Error & { code?: string };
  if (json) console.log(JSON.stringify({ ok: false, error: { code: err.code ?? 'ERROR', message: err.message } }));
  console.error(`${err.code ?? 'ERROR'}: ${err.message}`);
  process.exitCode = 1;
} finally {
  await store.close();
  oplog?.drain();
}

/** The maintenance commands (cli-recovery.ts); undefined for the others. */
async function runMaintenance(cmd: string, args: string[]): Promise<CommandResult | undefined> {
  const need = (i: number, what: string) => {
    if (!args[i]) throw Object.assign(new Error(`${cmd}: ${what} is required\n${USAGE}`), { code: 'INVALID_INPUT' });
    return args[i]!;
  };
  switch (cmd) {
    case 'list':
      return cmdList(store, args[0]);
    case 'doctor':
      return cmdDoctor(store);
    case 'repair':
      return cmdRepair(store, args[0]);
    case 'backups':
      return cmdBackups(store, need(0, 'chatId'));
    case 'restore':
      return cmdRestore(store, need(0, 'chatId'), need(1, 'backupId'));
    case 'trash':
      return cmdTrash(store);
    case 'undelete':
      return cmdUndelete(store, need(0, 'chatId'), args[1]);
    case 'stats':
      return cmdStats(store);
    // 'import' / 'export': engineer "import" adds them here.
    default:
      return undefined;
  }
}

async function run(cmd: string, args: string[]): Promise<unknown> {
  const [a = '', b = '', c = ''] = args;
  switch (cmd) {
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
    case 'import': {
      if (!a) throw Object.assign(new Error(`import needs a file or folder\n${USAGE}`), { code: 'INVALID_INPUT' });
      const tty = process.stderr.isTTY && !json;
      // `npm run` changes the directory to the project: paths are the user's, from INIT_CWD.
      const report = await importPath(store, resolve(process.env.INIT_CWD ?? '.', a), {
        ...(character !== undefined ? { characterId: character } : {}),
        onProgress: tty ? (p) => process.stderr.write(`\r\x1b[Kimporting ${p.done}/${p.total} ${p.source}${importDetail(p)}`) : undefined,
      });
      if (tty) process.stderr.write('\r\x1b[K');
      // Characters the app does not know yet are listed, so their chats show up in it.
      await registerImportedCharacters(openCharacterRegistry(dataDir), report.chats);
      if (report.failed.length > 0) process.exitCode = 1;
      return json ? report : importText(report);
    }
    case 'export':
      return exportChat(store, a, format as ExportFormat, outFile ? resolve(process.env.INIT_CWD ?? '.', outFile) : '').then((r) => (json ? r : `wrote ${r.messages} messages (${r.bytes} bytes, ${r.format}) to ${r.out}`));
    default:
      throw Object.assign(new Error(`unknown command "${cmd}"\n${USAGE}`), { code: 'INVALID_INPUT' });
  }
}

/** Within a file: which pass, how far through the file, messages written. */
function importDetail(p: ImportProgress): string {
  if (!p.bytesTotal || p.bytesRead === undefined) return '';
  const pct = Math.floor((100 * p.bytesRead) / p.bytesTotal);
  return p.phase === 'write' ? `: writing, ${pct}% read, ${p.messagesWritten ?? 0} messages` : `: reading, ${pct}%`;
}

function importText(r: ImportReport): string {
  const lines: string[] = [];
  for (const c of r.chats) {
    const what = c.status === 'created' ? 'created' : 'exists ';
    lines.push(`${what}  ${c.chatId}  ${c.characterId}  "${c.title}"  ${c.messageCount} messages${c.active ? '  (active)' : ''}${c.status === 'created' ? '' : '  (already imported)'}`);
    for (const p of c.problems) lines.push(`  not imported: ${p.file}:${p.line}: ${p.reason}`);
  }
  for (const f of r.failed) lines.push(`failed   ${f.source}: ${f.reason}`);
  for (const s of r.skipped) lines.push(`skipped  ${s.source}: ${s.reason}`);
  const created = r.chats.filter((c) => c.status === 'created').length;
  const problems = r.chats.reduce((n, c) => n + c.problems.length, 0);
  lines.push(`${created} chat(s) created, ${r.chats.length - created} already imported, ${problems} line(s) not imported, ${r.failed.length} source(s) failed`);
  return lines.join('\n');
}

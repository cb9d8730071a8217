// The CLI's commands over an open store: parsed from argv, run, and answered as text (or JSON with
// --json) plus an exit code. The same code runs in the `npm run cli` process when it opens the data
// folder itself, and inside a running app when the CLI hands it a command (control.ts): same output.
import { resolve } from 'node:path';
import type { CharacterRegistry } from '../app-data/characters.ts';
import { exportChat, importPath, registerImportedCharacters, type ExportFormat, type ExportNames, type ImportProgress, type ImportReport } from '../import/index.ts';
import type { ChatStore } from '../store/index.ts';
import { cmdBackups, cmdDoctor, cmdList, cmdRepair, cmdRestore, cmdStats, cmdTrash, cmdUndelete, type CommandResult } from './recovery.ts';

export const USAGE = `usage: npm run cli -- <command> [args] [--data-dir DIR] [--json]
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
  --json                             machine-readable output (every command)
While the app is open, commands are carried out by the app (same output); otherwise the CLI opens
the data folder itself.`;

/** What a command printed, and how it ended. */
export interface CliOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** One command line: the arguments after `cli`, and the directory relative paths are taken from. */
export interface CliRequest {
  argv: string[];
  cwd: string;
  /** Aborted when the CLI that asked goes away (interrupted): a long import stops, all-or-nothing. */
  signal?: AbortSignal;
}

export interface CliDeps {
  store: ChatStore;
  /** The character list imports register new characters in (the app's own, when the app runs the command; the CLI loads it only for the commands that use it). */
  characters: () => CharacterRegistry | Promise<CharacterRegistry>;
  /** The chat's persona's name now: exports name the user's messages that do not name their speaker with it. */
  personaName: (chatId: string) => Promise<string | undefined> | string | undefined;
  /** Import progress, when a terminal shows it. */
  progress?: (line: string | null) => void;
}

export interface ParsedCli {
  command: string | undefined;
  args: string[];
  json: boolean;
  limit: number;
  character: string | undefined;
  format: string | undefined;
  outFile: string | undefined;
}

export function parseCli(argv: readonly string[]): ParsedCli {
  const rest = [...argv];
  /** `--name value` or `--name=value`. */
  const option = (name: string): string | undefined => {
    const joined = rest.findIndex((a) => a.startsWith(`${name}=`));
    if (joined !== -1) return rest.splice(joined, 1)[0]!.slice(name.length + 1);
    const i = rest.indexOf(name);
    if (i === -1) return undefined;
    const [, value] = rest.splice(i, 2);
    return value;
  };
  const flag = (name: string): boolean => {
    const i = rest.indexOf(name);
    if (i !== -1) rest.splice(i, 1);
    return i !== -1;
  };
  option('--data-dir'); // the data folder is chosen before a command runs
  const limit = Number(option('--limit') ?? 20);
  const character = option('--character');
  const format = option('--format');
  const outFile = option('--out');
  const json = flag('--json');
  const [command, ...args] = rest;
  return { command, args, json, limit, character, format, outFile };
}

const invalid = (message: string) => Object.assign(new Error(message), { code: 'INVALID_INPUT' });

/** An error as the CLI prints it: `CODE: message` on stderr (and a JSON line on stdout with --json). */
export function failure(e: unknown, json: boolean): CliOutput {
  const err = e as Error & { code?: string };
  const code = err.code ?? 'ERROR';
  return { stdout: json ? `${JSON.stringify({ ok: false, error: { code, message: err.message } })}\n` : '', stderr: `${code}: ${err.message}\n`, exitCode: 1 };
}

/** Runs one command on an open store; never throws (an error is its output). */
export async function runCliCommand(deps: CliDeps, req: CliRequest): Promise<CliOutput> {
  const p = parseCli(req.argv);
  try {
    const r = await runMaintenance(deps, p);
    if (r) return { stdout: `${p.json ? JSON.stringify(r.out, null, 2) : r.text}\n`, stderr: '', exitCode: r.exitCode };
    const { out, exitCode } = await run(deps, p, req.cwd, req.signal);
    const text = out === undefined ? '' : `${typeof out === 'string' && !p.json ? out : JSON.stringify(out, null, 2)}\n`;
    return { stdout: text, stderr: '', exitCode };
  } catch (e) {
    return failure(e, p.json);
  }
}

/** The maintenance commands (recovery.ts); undefined for the others. */
async function runMaintenance(deps: CliDeps, p: ParsedCli): Promise<CommandResult | undefined> {
  const { store } = deps;
  const { command: cmd, args } = p;
  const need = (i: number, what: string) => {
    if (!args[i]) throw invalid(`${cmd}: ${what} is required\n${USAGE}`);
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
      return cmdStats(store, (await (await deps.characters()).list()).map((c) => c.id));
    default:
      return undefined;
  }
}

async function run(deps: CliDeps, p: ParsedCli, cwd: string, signal: AbortSignal | undefined): Promise<{ out: unknown; exitCode: number }> {
  const { store } = deps;
  const [a = '', b = '', c = ''] = p.args;
  const ok = (out: unknown) => ({ out, exitCode: 0 });
  switch (p.command) {
    case 'show': {
      const page = await store.loadChat(a, { limit: p.limit });
      return ok(page.messages.map((m) => `[${new Date(m.timestamp).toISOString()}] ${m.role}: ${m.content}`).join('\n'));
    }
    case 'create':
      return ok(await store.createChat(b ? { characterId: a, title: b } : { characterId: a }));
    case 'append':
      return ok(await store.appendMessage(a, { role: b as 'user', content: c }));
    case 'rename':
      return ok(await store.renameChat(a, b));
    case 'compact':
      return ok(await store.compactChat(a));
    case 'delete':
      await store.deleteChat(a);
      return ok(`moved ${a} to the trash`);
    case 'import': {
      if (!a) throw invalid(`import needs a file or folder\n${USAGE}`);
      const show = p.json ? undefined : deps.progress;
      const report = await importPath(store, resolve(cwd, a), {
        ...(p.character !== undefined ? { characterId: p.character } : {}),
        ...(signal ? { signal } : {}),
        onProgress: show ? (x) => show(`importing ${x.done}/${x.total} ${x.source}${importDetail(x)}`) : undefined,
      });
      show?.(null);
      // Characters the app does not know yet are listed, so their chats show up in it.
      await registerImportedCharacters(await deps.characters(), report.chats);
      return { out: p.json ? report : importText(report), exitCode: report.failed.length > 0 ? 1 : 0 };
    }
    case 'export': {
      const r = await exportChat(store, a, p.format as ExportFormat, p.outFile ? resolve(cwd, p.outFile) : '', await exportNames(deps, a));
      return ok(p.json ? r : `wrote ${r.messages} messages (${r.bytes} bytes, ${r.format}) to ${r.out}`);
    }
    default:
      throw invalid(`unknown command "${p.command}"\n${USAGE}`);
  }
}

/** The persona's and the chat's character's names now, for the speakers a chat does not name. */
async function exportNames(deps: CliDeps, chatId: string): Promise<ExportNames> {
  if (!chatId) return {};
  const summary = await deps.store.getChat(chatId).catch(() => undefined); // an unknown chat fails in exportChat, typed
  const character = summary ? await (await deps.characters()).get(summary.characterId).catch(() => undefined) : undefined;
  return { persona: await deps.personaName(chatId), character: character?.name };
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

// The CLI's maintenance commands: list (all chats), doctor, repair, backups, restore, trash,
// undelete, stats. Each returns { out, exitCode }: `out` is printed as JSON with --json, as text
// otherwise. Pure orchestration over the store; the lock is the store's.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatSummary } from '../../shared/chat-format.ts';
import { CharacterId } from '../../shared/chat-format.ts';
import type { ChatStore, ValidationReport } from '../store/index.ts';

export interface CommandResult {
  out: unknown;
  text: string;
  exitCode: number;
}

const kb = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export async function allChats(store: ChatStore, characterId?: string): Promise<ChatSummary[]> {
  // Every chat comes from the chat index (built first if it was missing or stale).
  return characterId ? store.listChats(characterId) : store.listAllChats();
}

function summaryLine(c: ChatSummary): string {
  const flag = c.status === 'ok' ? '' : `  [${c.status}]`;
  return `${c.chatId}  ${c.characterId}  ${c.messageCount} msgs  ${kb(c.sizeBytes)}  ${c.title}${flag}`;
}

export async function cmdList(store: ChatStore, characterId?: string): Promise<CommandResult> {
  const chats = await allChats(store, characterId || undefined);
  return { out: chats, text: chats.map(summaryLine).join('\n') || '(no chats)', exitCode: 0 };
}

type DoctorEntry = { chatId: string; characterId: string; ok: boolean; readOnly?: boolean; error?: { code: string; message: string }; report?: ValidationReport };

export async function cmdDoctor(store: ChatStore): Promise<CommandResult> {
  const entries: DoctorEntry[] = [];
  for (const c of await allChats(store)) {
    try {
      const report = await store.validateChat(c.chatId);
      entries.push({ chatId: c.chatId, characterId: c.characterId, ok: report.ok, readOnly: report.readOnly, report });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      entries.push({ chatId: c.chatId, characterId: c.characterId, ok: false, error: { code: err.code ?? 'ERROR', message: err.message ?? String(e) } });
    }
  }
  const bad = entries.filter((e) => !e.ok);
  const lines = [`${entries.length} chat(s) checked, ${bad.length} with problems`];
  for (const e of bad) {
    lines.push(`${e.chatId} (${e.characterId}):`);
    if (e.error) lines.push(`  ${e.error.code}: ${e.error.message}`);
    for (const p of e.report?.problems ?? []) lines.push(`  line ${p.line} [${p.start}-${p.end}) ${p.kind}: ${p.message}\n    repair: ${p.repair}`);
  }
  return { out: { healthy: bad.length === 0, checked: entries.length, problems: bad.length, chats: entries }, text: lines.join('\n'), exitCode: bad.length ? 1 : 0 };
}

export async function cmdRepair(store: ChatStore, chatId?: string): Promise<CommandResult> {
  const targets = chatId ? [chatId] : (await allChats(store)).map((c) => c.chatId);
  const results: unknown[] = [];
  const lines: string[] = [];
  let failed = 0;
  for (const id of targets) {
    if (!chatId) {
      const r = await store.validateChat(id).catch(() => null);
      if (r && (r.problems.length === 0 || r.readOnly)) continue; // healthy, or a newer format (never rewritten)
    }
    try {
      const r = await store.repairChat(id);
      results.push({ chatId: id, ...r });
      if (!r.repaired) lines.push(`${id}: nothing to repair`);
      else {
        lines.push(`${id}: repaired (${r.before.problems.length} problem(s)); the original is backup ${r.backupId}`);
        for (const q of r.quarantined) lines.push(`  quarantined: ${q}`);
        if (r.backups.length) lines.push(`  nothing was salvageable; backups you can restore: ${r.backups.map((b) => b.backupId).join(', ')}`);
      }
    } catch (e) {
      failed++;
      const err = e as { code?: string; message?: string };
      results.push({ chatId: id, error: { code: err.code ?? 'ERROR', message: err.message } });
      lines.push(`${id}: ${err.code ?? 'ERROR'}: ${err.message}`);
    }
  }
  return { out: results, text: lines.join('\n') || 'nothing to repair', exitCode: failed ? 1 : 0 };
}

export async function cmdBackups(store: ChatStore, chatId: string): Promise<CommandResult> {
  const list = await store.listBackups(chatId);
  return { out: list, text: list.map((b) => `${b.backupId}  ${when(b.takenAt)}  ${kb(b.sizeBytes)}  ${b.messageCount ?? '?'} msgs${b.label ? `  (${b.label})` : ''}`).join('\n') || '(no backups)', exitCode: 0 };
}

export async function cmdRestore(store: ChatStore, chatId: string, backupId: string): Promise<CommandResult> {
  const r = await store.restoreBackup(chatId, backupId);
  return { out: { chatId, backupId, ...r }, text: `restored ${chatId} from ${backupId}${r.undoBackupId ? `; the state before is backup ${r.undoBackupId} (restore it to undo)` : ''}`, exitCode: 0 };
}

export async function cmdTrash(store: ChatStore): Promise<CommandResult> {
  const list = await store.listDeletedChats();
  return { out: list, text: list.map((t) => `${t.chatId}  ${t.trashId}  deleted ${when(t.deletedAt)}  ${t.messageCount ?? '?'} msgs  ${t.title ?? '(unreadable)'}`).join('\n') || '(trash is empty)', exitCode: 0 };
}

/** `trashId` (as `trash` lists it) picks one copy when the chat is in the trash more than once; without it, the newest. */
export async function cmdUndelete(store: ChatStore, chatId: string, trashId?: string): Promise<CommandResult> {
  const s = await store.undeleteChat(chatId, trashId);
  return { out: s, text: `restored ${chatId} from the trash: ${summaryLine(s)}`, exitCode: 0 };
}

async function du(path: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const e of await readdir(path, { withFileTypes: true }).catch(() => [])) {
    const p = join(path, e.name);
    if (e.isDirectory()) {
      const sub = await du(p);
      files += sub.files;
      bytes += sub.bytes;
    } else if (e.isFile()) {
      files++;
      bytes += (await stat(p).catch(() => ({ size: 0 }))).size;
    }
  }
  return { files, bytes };
}

/** `characterIds`: the app's character registry; characters without a chat count too. */
export async function cmdStats(store: ChatStore, characterIds: readonly string[] = []): Promise<CommandResult> {
  const chats = await allChats(store);
  // devices: every computer's own state (this one's lock, index, caches, logs, settings; others' when synced).
  const parts = ['chats', 'backups', 'quarantine', 'trash', 'devices', 'app'] as const;
  const sizes: Record<string, { files: number; bytes: number }> = {};
  for (const p of parts) sizes[p] = await du(join(store.dataDir, p));
  const out = {
    characters: new Set([...characterIds, ...chats.map((c) => c.characterId)]).size,
    chats: chats.length,
    messages: chats.reduce((n, c) => n + c.messageCount, 0),
    damaged: chats.filter((c) => c.status !== 'ok').length,
    folders: sizes,
    totalBytes: Object.values(sizes).reduce((n, s) => n + s.bytes, 0),
  };
  const text = [`${out.characters} character(s), ${out.chats} chat(s), ${out.messages} message(s), ${out.damaged} damaged or read-only`, ...parts.map((p) => `${p.padEnd(11)} ${String(sizes[p]!.files).padStart(6)} files  ${kb(sizes[p]!.bytes)}`), `total       ${kb(out.totalBytes)}`].join('\n');
  return { out, text, exitCode: 0 };
}

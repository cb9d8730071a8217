// The store's recovery operations on files: validate, repair, backups the user can list and
// restore, and the trash. Each runs on the chat's queue (the store calls it there), with the
// chat's log closed, so nothing else touches the file meanwhile.
//
// Order of every destructive step: quarantine what will not be carried over, back up the whole
// current file, then an atomic verified rewrite, only while the file is still exactly the version
// read (another program's bytes are never dropped: CONFLICT). A failure at any step leaves the original.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CharacterId, FORMAT_VERSION } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { listBackups as listBackupFiles, takeBackup } from '../durable/backups.ts';
import { readFullState } from './compaction.ts';
import { parseHeader, serialize } from './records.ts';
import { atomicRewrite, errnoOf, fsyncDir, ioError, mkdirDurable } from '../durable/durable.ts';
import type { FsSeam } from '../durable/fs-seam.ts';
import { rewriteIfUnchanged, stampPath, type FileStamp } from '../durable/guarded-rewrite.ts';
import { CHAT_FILE, type Layout } from './layout.ts';
import { logged, type OpLogSink } from './oplog-sink.ts';
import { quarantineBytes } from './quarantine.ts';
import { planRepair, type ValidationReport } from './validate.ts';

export interface RecoveryDeps {
  fs: FsSeam;
  layout: Layout;
  retention: number;
  now: () => number;
  oplog: OpLogSink;
}

export interface BackupSummary {
  /** `<ms>-<seq>`, the file name without `.jsonl`. */
  backupId: string;
  takenAt: number;
  sizeBytes: number;
  /** Live messages in the backup; null if it cannot be read as a chat. */
  messageCount: number | null;
  /** Why it was taken ("before repair", "before restore", "before compaction"); null for backups older than labels. */
  label: string | null;
}

export interface TrashedChat {
  /** This copy: `<characterId>/<chatId>.<deletedAt>` (one chat id may be in the trash more than once). */
  trashId: string;
  chatId: string;
  characterId: string;
  deletedAt: number;
  sizeBytes: number;
  title: string | null;
  messageCount: number | null;
}

export interface RepairResult {
  /** The report of the file as it was. */
  before: ValidationReport;
  repaired: boolean;
  /** Backup of the original, when a rewrite happened. */
  backupId: string | null;
  /** Quarantine files written, relative to the data directory. */
  quarantined: string[];
  /** Backups that could be restored instead (nothing salvageable). */
  backups: BackupSummary[];
}

const BACKUP_ID = /^\d{13}-\d{4}$/;
const TRASH_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.(\d+)\.jsonl$/;

/** INVALID_INPUT unless `trashId` has the form of a TrashedChat.trashId of `chatId`. */
function parseTrashId(trashId: unknown, chatId: string): void {
  const bad = (why: string) => new StoreError('INVALID_INPUT', `trashId: ${why}`, { field: 'trashId' });
  if (typeof trashId !== 'string' || trashId.length > 300) throw bad('expected <characterId>/<chatId>.<ms>');
  const slash = trashId.indexOf('/');
  const characterId = trashId.slice(0, slash);
  const name = `${trashId.slice(slash + 1)}.jsonl`;
  const m = TRASH_FILE.exec(name);
  if (slash < 0 || !CharacterId.safeParse(characterId).success || !m) throw bad('expected <characterId>/<chatId>.<ms>');
  if (m[1] !== chatId) throw bad(`names a copy of another chat than ${chatId}`);
}

function rel(layout: Layout, p: string): string {
  return p.startsWith(layout.dataDir) ? p.slice(layout.dataDir.length + 1) : p;
}

/** `<ms>-<seq>` of a backup file, whatever reason its name carries. */
function backupIdOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/\.jsonl$/, '').slice(0, 18);
}

const REASON_LABELS: Record<string, string> = { repair: 'before repair', restore: 'before restore', compaction: 'before compaction' };

/** Reads a chat file; a read error is a typed error that names the chat, never an empty file. */
async function readChatFile(d: RecoveryDeps, chatId: string, path: string): Promise<Buffer> {
  try {
    return await d.fs.readFile(path);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') throw new StoreError('NOT_FOUND', `chat ${chatId} does not exist`, { chatId });
    throw ioError(e, `reading chat ${chatId} (it stays as it is, read-only until it can be read)`);
  }
}

/** A chat file's bytes and the version they are (its stamp, taken first: a rewrite is guarded by it). */
async function readVersion(d: RecoveryDeps, chatId: string, path: string): Promise<{ buf: Buffer; stamp: FileStamp }> {
  const stamp = await stampPath(d.fs, path).catch((e: unknown) => {
    throw ioError(e, `reading chat ${chatId} (it stays as it is, read-only until it can be read)`);
  });
  if (!stamp) throw new StoreError('NOT_FOUND', `chat ${chatId} does not exist`, { chatId });
  const buf = await readChatFile(d, chatId, path);
  // Grown or shrunk between the stat and the read: another program is writing it.
  if (buf.length !== stamp.size) throw new StoreError('CONFLICT', `chat ${chatId} changed outside the app while it was being read; nothing was changed`, { chatId, reason: 'changed_outside' });
  return { buf, stamp };
}

export async function validateChatFile(d: RecoveryDeps, chatId: string, characterId: string, path: string): Promise<ValidationReport> {
  return logged(d.oplog, 'validate', chatId, async () => {
    const buf = await readChatFile(d, chatId, path);
    return planRepair(buf, { chatId, characterId, now: d.now() }).report;
  }, (r) => r.bytes);
}

/** The revision a chat file states: revision_base (from compaction) plus the bytes after the header line. */
function revisionOf(buf: Buffer): number {
  const nl = buf.indexOf(0x0a);
  if (nl === -1) return 0;
  const h = parseHeader(buf.toString('utf8', 0, nl).replace(/\r$/, ''));
  return (h.ok ? (h.header.revision_base ?? 0) : 0) + (buf.length - nl - 1);
}

/**
 * `bytes` with a header whose revision_base makes the file's revision `revision`: a repair or a
 * restore is a write, so the revision must still grow (a stale expectedRevision must never match
 * again), however much shorter the new file is.
 */
function withRevision(bytes: Buffer, revision: number): Buffer {
  const nl = bytes.indexOf(0x0a);
  const h = nl === -1 ? null : parseHeader(bytes.toString('utf8', 0, nl).replace(/\r$/, ''));
  if (!h?.ok) return bytes;
  const body = bytes.subarray(nl + 1);
  return Buffer.concat([Buffer.from(serialize({ ...h.header, revision_base: revision - body.length })), body]);
}

/** `minRevision`: the revision the store last handed out for the chat (the new one is larger). */
export async function repairChatFile(d: RecoveryDeps, chatId: string, characterId: string, path: string, minRevision = 0): Promise<RepairResult> {
  return logged(d.oplog, 'repair', chatId, async () => {
    const { buf, stamp } = await readVersion(d, chatId, path);
    const { report, text, quarantine } = planRepair(buf, { chatId, characterId, now: d.now() });
    if (report.readOnly) throw new StoreError('READ_ONLY', `chat ${chatId} uses a newer format (version > ${FORMAT_VERSION}); it is never rewritten by this app`, { chatId });
    if (text === null) return { before: report, repaired: false, backupId: null, quarantined: [], backups: [] };
    const quarantined: string[] = [];
    for (const q of quarantine) {
      const p = await logged(d.oplog, 'quarantine', chatId, () => quarantineBytes(d.fs, d.layout.quarantineDir(chatId), q.offset, q.bytes), () => q.bytes.length);
      quarantined.push(rel(d.layout, p));
    }
    const backup = await logged(d.oplog, 'backup', chatId, () => takeBackup(d.fs, d.layout.backupDir(chatId), path, d.retention, d.now(), 'repair'), () => buf.length);
    const data = withRevision(Buffer.from(text), Math.max(revisionOf(buf), minRevision) + 1);
    await logged(d.oplog, 'rewrite', chatId, () => rewriteIfUnchanged(d.fs, path, stamp, data, `chat ${chatId}`).catch((e: unknown) => { throw ioError(e, `rewriting chat ${chatId}; the original is unchanged`); }), () => data.length);
    const nothing = report.problems.some((p) => p.kind === 'nothing_salvageable');
    return { before: report, repaired: true, backupId: backupIdOf(backup), quarantined, backups: nothing ? await listChatBackups(d, chatId) : [] };
  });
}

export async function listChatBackups(d: RecoveryDeps, chatId: string): Promise<BackupSummary[]> {
  const out: BackupSummary[] = [];
  for (const b of await listBackupFiles(d.fs, d.layout.backupDir(chatId))) {
    let sizeBytes = 0;
    let messageCount: number | null = null;
    try {
      const buf = await d.fs.readFile(b.path);
      sizeBytes = buf.length;
      const state = readFullState(buf);
      messageCount = 'error' in state ? null : state.messages.length;
    } catch {
      // listed anyway: a backup that cannot be read now is still there
    }
    out.push({ backupId: backupIdOf(b.path), takenAt: b.takenAt, sizeBytes, messageCount, label: b.reason === undefined ? null : (REASON_LABELS[b.reason] ?? `before ${b.reason}`) });
  }
  return out;
}

/**
 * Replaces the chat with a backup. The current file is backed up first (so the restore can be
 * undone by restoring that backup), and the backup's bytes are read before rotation could evict it.
 */
export async function restoreChatBackup(d: RecoveryDeps, chatId: string, path: string, backupId: string, minRevision = 0): Promise<{ undoBackupId: string | null }> {
  if (typeof backupId !== 'string' || !BACKUP_ID.test(backupId)) throw new StoreError('INVALID_INPUT', 'backupId: expected <ms>-<seq>', { field: 'backupId' });
  return logged(d.oplog, 'restore', chatId, async () => {
    // Its file: `<id>.jsonl`, or `<id>.<reason>.jsonl` for a labelled one.
    const listed = (await listBackupFiles(d.fs, d.layout.backupDir(chatId))).find((b) => b.id === backupId);
    const source = listed?.path ?? join(d.layout.backupDir(chatId), `${backupId}.jsonl`);
    const bytes = await d.fs.readFile(source).catch((e: unknown) => {
      if (errnoOf(e) === 'ENOENT') throw new StoreError('NOT_FOUND', `backup ${backupId} of chat ${chatId} does not exist`, { chatId, backupId });
      throw ioError(e, `reading backup ${backupId}`);
    });
    const state = readFullState(bytes);
    if ('error' in state) throw new StoreError('CORRUPT', `backup ${backupId} cannot be read as a chat (${state.error}); nothing was changed`, { chatId, backupId });
    if (state.header.chat_id !== chatId) throw new StoreError('CORRUPT', `backup ${backupId} belongs to another chat; nothing was changed`, { chatId, backupId });
    let undo: string | null = null;
    // The version being replaced: backed up first, and replaced only while it is still exactly that.
    const current = await readVersion(d, chatId, path).catch((e: unknown) => {
      if (e instanceof StoreError && e.code === 'NOT_FOUND') return null;
      throw e;
    });
    if (current) undo = backupIdOf(await logged(d.oplog, 'backup', chatId, () => takeBackup(d.fs, d.layout.backupDir(chatId), path, Math.max(d.retention, 2), d.now(), 'restore')));
    else await mkdirDurable(join(path, '..'), { fs: d.fs });
    const data = withRevision(bytes, Math.max(current ? revisionOf(current.buf) : 0, revisionOf(bytes), minRevision) + 1);
    const replace = () => (current ? rewriteIfUnchanged(d.fs, path, current.stamp, data, `chat ${chatId}`) : atomicRewrite(d.fs, path, data));
    await logged(d.oplog, 'rewrite', chatId, () => replace().catch((e: unknown) => { throw ioError(e, `restoring chat ${chatId}; the current file is unchanged`); }), () => data.length);
    return { undoBackupId: undo };
  });
}

export async function listTrash(d: RecoveryDeps): Promise<TrashedChat[]> {
  const out: TrashedChat[] = [];
  for (const { path, ...entry } of await listTrashEntries(d)) {
    let sizeBytes = 0;
    let title: string | null = null;
    let messageCount: number | null = null;
    try {
      const buf = await d.fs.readFile(path);
      sizeBytes = buf.length;
      const state = readFullState(buf);
      if (!('error' in state)) {
        title = state.header.title;
        messageCount = state.messages.length;
      }
    } catch {
      // still listed
    }
    out.push({ ...entry, sizeBytes, title, messageCount });
  }
  return out;
}

/**
 * Moves a trashed copy of a chat back: the one `trashId` names, else the newest. Nothing is ever
 * overwritten. Without a trashId (the CLI, a character's restore) it is refused (CONFLICT) while a
 * chat with that id exists. A copy chosen by its trashId (its own row in *Recently deleted*) is
 * always restorable: when the chat id is live again (another copy restored, or the file came back),
 * it comes back as a new chat, under a new id, and the restored chat id is returned.
 */
export async function undeleteChatFile(d: RecoveryDeps, chatId: string, exists: boolean, trashId?: string): Promise<{ chatId: string; characterId: string; path: string }> {
  const wanted = trashId !== undefined;
  if (wanted) parseTrashId(trashId, chatId);
  return logged(d.oplog, 'undelete', chatId, async () => {
    if (exists && !wanted) throw new StoreError('CONFLICT', `chat ${chatId} exists; it was not deleted`, { chatId });
    const entry = (await listTrashEntries(d)).find((t) => (trashId ? t.trashId === trashId : t.chatId === chatId)); // newest first
    if (!entry) throw new StoreError('NOT_FOUND', `${wanted ? `trashed copy ${trashId}` : `chat ${chatId}`} is not in the trash`, { chatId });
    const dir = d.layout.characterDir(entry.characterId);
    const target = d.layout.chatFile(entry.characterId, chatId);
    await mkdirDurable(dir, { fs: d.fs });
    const taken = exists || (await d.fs.stat(target).then(() => true, () => false));
    if (taken && !wanted) throw new StoreError('CONFLICT', `a file for chat ${chatId} is already in place; nothing was moved`, { chatId });
    if (taken) return restoreAsNewChat(d, entry);
    if (!CHAT_FILE.test(`${chatId}.jsonl`)) throw new StoreError('INVALID_INPUT', 'chatId');
    try {
      await d.fs.rename(entry.path, target);
      await fsyncDir(dir);
      await fsyncDir(join(entry.path, '..'));
    } catch (e) {
      throw ioError(e, `restoring chat ${chatId} from the trash`);
    }
    return { chatId, characterId: entry.characterId, path: target };
  });
}

/**
 * A trashed copy whose chat id is live again, restored beside it as a new chat: its bytes with a
 * header naming a new id, written atomically; then the trashed copy goes. A crash in between
 * leaves both (the copy is still in the trash), never neither.
 */
async function restoreAsNewChat(d: RecoveryDeps, entry: TrashEntry): Promise<{ chatId: string; characterId: string; path: string }> {
  const bytes = await d.fs.readFile(entry.path).catch((e: unknown) => {
    throw ioError(e, `reading the trashed copy of chat ${entry.chatId}`);
  });
  const nl = bytes.indexOf(0x0a);
  const h = parseHeader(bytes.toString('utf8', 0, nl === -1 ? bytes.length : nl).replace(/\r$/, ''));
  if (!h.ok) throw new StoreError('CORRUPT', `the trashed copy of chat ${entry.chatId} cannot be read (${h.reason}), and a chat with that id exists; the copy was left in the trash`, { chatId: entry.chatId });
  const chatId = randomUUID();
  const target = d.layout.chatFile(entry.characterId, chatId);
  const data = Buffer.concat([Buffer.from(serialize({ ...h.header, chat_id: chatId })), nl === -1 ? Buffer.alloc(0) : bytes.subarray(nl + 1)]);
  await atomicRewrite(d.fs, target, data).catch((e: unknown) => {
    throw ioError(e, `restoring chat ${entry.chatId} from the trash`);
  });
  // Restored: a trashed copy that cannot be removed now stays listed, and nothing is lost.
  await d.fs.unlink(entry.path).then(() => fsyncDir(join(entry.path, '..')), () => undefined);
  return { chatId, characterId: entry.characterId, path: target };
}

interface TrashEntry {
  trashId: string;
  chatId: string;
  characterId: string;
  deletedAt: number;
  path: string;
}

async function listTrashEntries(d: RecoveryDeps): Promise<TrashEntry[]> {
  const root = join(d.layout.dataDir, 'trash');
  const out: TrashEntry[] = [];
  for (const characterId of await d.fs.readdir(root).catch(() => [] as string[])) {
    for (const name of await d.fs.readdir(join(root, characterId)).catch(() => [] as string[])) {
      const m = TRASH_FILE.exec(name);
      if (m) out.push({ trashId: `${characterId}/${m[1]}.${m[2]}`, chatId: m[1]!, characterId, deletedAt: Number(m[2]), path: join(root, characterId, name) });
    }
  }
  return out.sort((a, b) => b.deletedAt - a.deletedAt);
}

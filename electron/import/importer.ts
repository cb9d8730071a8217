// Import: a file or a whole tree → version-1 chats in the store. Read-only on the source.
// Idempotent: each chat's id is derived from the sha256 of its source file's bytes (and its place
// in the file), so importing the same source again finds the chat and writes nothing.
// A damaged source imports what can be read; every line left out is reported by number.
import { stat } from 'node:fs/promises';
import { basename, dirname, extname } from 'node:path';
import { CharacterId, type MessageRecord } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { ImportEncoder } from '../store/import-chat.ts';
import type { ChatSummary } from '../../shared/chat-format.ts';
import type { ChatStore } from '../store/types.ts';
import { TimeSlicer } from '../store/time-slices.ts';
import { bufferSource, fileSource, type ByteSource } from './block-lines.ts';
import { characterIdFrom, chatIdFor } from './ids.ts';
import { scanSource, type ReadContext } from './source.ts';
import { characterFromFolder, collectSources, type CardSharkMaps, type SourceEntry } from './tree.ts';
import type { ImportedChat, ImportProgress, ImportReport, ParsedChat } from './types.ts';

export interface ImportOptions {
  /** Every chat goes to this character instead of the one derived from the source. */
  characterId?: string;
  /** Per file, and within a file as it is read and written (bytes, messages), at most every PROGRESS_MS. */
  onProgress?: (p: ImportProgress) => void;
  /** Each chat written, with the store's summary of it (no need to read a big chat back to list it). */
  onCreated?: (summary: ChatSummary) => void;
  /**
   * Stops the import: CANCELLED. The chat being written is not kept, and no temp file is left;
   * chats of earlier files of a folder (each complete) stay.
   */
  signal?: AbortSignal;
}

/** Progress within a file is told at most this often. */
const PROGRESS_MS = 100;

const isFatal = (e: unknown) => e instanceof StoreError && (e.code === 'CLOSED' || e.code === 'CANCELLED');
const cancelled = () => new StoreError('CANCELLED', 'the import was cancelled; the chat being written was not kept');

export async function importPath(store: ChatStore, path: string, options: ImportOptions = {}): Promise<ImportReport> {
  if (options.characterId !== undefined && !CharacterId.safeParse(options.characterId).success) {
    throw new StoreError('INVALID_INPUT', `--character ${JSON.stringify(options.characterId)} is not a valid character id (letters, digits, "_", "-", ".")`, { field: 'characterId' });
  }
  const tree = await collectSources(path);
  if (tree.entries.length === 0) throw new StoreError('INVALID_INPUT', `${path} holds no .jsonl chat file`, { field: 'path' });
  const single = tree.entries.length === 1 && tree.entries[0]!.path === path;
  const report: ImportReport = { chats: [], failed: [], skipped: tree.skipped };
  let done = 0;
  for (const entry of tree.entries) {
    if (options.signal?.aborted) throw cancelled();
    try {
      report.chats.push(...(await importFile(store, entry, tree.maps, single, options, report.failed, { done, total: tree.entries.length })));
    } catch (e) {
      if (isFatal(e)) throw e;
      report.failed.push({ source: entry.name, reason: e instanceof Error ? e.message : String(e) });
    }
    options.onProgress?.({ done: ++done, total: tree.entries.length, source: entry.name });
  }
  return report;
}

/**
 * One chat file handed over as bytes (the app's Import: the renderer sends a picked or dropped
 * file, never a path). It belongs to `options.characterId`, else to the names the file gives.
 */
export async function importBytes(store: ChatStore, file: { name: string; bytes: Buffer; mtimeMs: number }, options: ImportOptions = {}): Promise<ImportReport> {
  if (options.characterId !== undefined && !CharacterId.safeParse(options.characterId).success) {
    throw new StoreError('INVALID_INPUT', 'not a valid character id', { field: 'characterId' });
  }
  const report: ImportReport = { chats: [], failed: [], skipped: [] };
  const entry = { path: file.name, name: file.name };
  report.chats.push(...(await importSource(store, entry, bufferSource(file.bytes), file.mtimeMs, { folders: {}, active: {} }, false, options, report.failed, { done: 0, total: 1 })));
  return report;
}

/**
 * A file the app holds under a name of its own (an upload's temp file), imported as `file.name`,
 * exactly as importBytes would import its bytes, but read in blocks: any size, bounded memory.
 */
export async function importFileAs(store: ChatStore, file: { path: string; name: string }, options: ImportOptions = {}): Promise<ImportReport> {
  if (options.characterId !== undefined && !CharacterId.safeParse(options.characterId).success) {
    throw new StoreError('INVALID_INPUT', 'not a valid character id', { field: 'characterId' });
  }
  const report: ImportReport = { chats: [], failed: [], skipped: [] };
  report.chats.push(...(await importFile(store, file, { folders: {}, active: {} }, false, options, report.failed, { done: 0, total: 1 })));
  return report;
}

async function importFile(store: ChatStore, entry: SourceEntry, maps: CardSharkMaps, single: boolean, options: ImportOptions, failed: ImportReport['failed'], at: { done: number; total: number }): Promise<ImportedChat[]> {
  const mtimeMs = (await stat(entry.path)).mtimeMs;
  const source = await fileSource(entry.path);
  try {
    return await importSource(store, entry, source, mtimeMs, maps, single, options, failed, at);
  } finally {
    await source.close();
  }
}

/** The read's time slices (a close or a cancel stops it between them) and its progress, for one source. */
function readContext(entry: SourceEntry, size: number, options: ImportOptions, at: { done: number; total: number }) {
  const progress: ImportProgress = { ...at, source: entry.name, phase: 'scan', bytesRead: 0, bytesTotal: size, messagesWritten: 0 };
  let told = 0;
  const tell = (force = false) => {
    if (!options.onProgress || (!force && performance.now() - told < PROGRESS_MS)) return;
    told = performance.now();
    options.onProgress({ ...progress });
  };
  const ctx: ReadContext = {
    slicer: new TimeSlicer({
      check: () => {
        if (options.signal?.aborted) throw cancelled();
      },
    }),
    onBytes: (phase, bytes) => {
      progress.phase = phase;
      progress.bytesRead = bytes;
      tell();
    },
  };
  const onWritten = (messages: number) => {
    progress.messagesWritten = messages;
    tell();
  };
  return { ctx, onWritten, tell };
}

async function importSource(store: ChatStore, entry: SourceEntry, source: ByteSource, mtimeMs: number, maps: CardSharkMaps, single: boolean, options: ImportOptions, failed: ImportReport['failed'], at: { done: number; total: number }): Promise<ImportedChat[]> {
  // Hashing, the scan and the conversion run in slices, and so does the store's validation and
  // writing: a big file never holds the event loop for more than a few ms.
  const { ctx, onWritten, tell } = readContext(entry, source.size, options, at);
  const parsed = await scanSource({ name: entry.name, source, mtimeMs }, ctx);
  tell(true);
  if (parsed.chats.length === 0) {
    const lines = parsed.problems.length ? `: ${parsed.problems.map((p) => `line ${p.line} ${p.reason}`).slice(0, 5).join('; ')}` : '';
    throw new StoreError('INVALID_INPUT', `${entry.name} holds no readable chat${lines}`);
  }
  const out: ImportedChat[] = [];
  for (const chat of parsed.chats) {
    // One chat that cannot be written (a full disk) does not hide the others of the same file.
    try {
      out.push(await importOne(store, entry, chat, parsed.sha256, maps, single, options, onWritten));
    } catch (e) {
      if (isFatal(e)) throw e;
      failed.push({ source: parsed.chats.length > 1 ? `${entry.name} (chat ${chat.index + 1})` : entry.name, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}

async function importOne(store: ChatStore, entry: SourceEntry, chat: ParsedChat, sha256: string, maps: CardSharkMaps, single: boolean, options: ImportOptions, onWritten: (messages: number) => void): Promise<ImportedChat> {
  const characterId = options.characterId ?? (await characterFor(chat, entry, maps, single));
  const chatId = chatIdFor(sha256, chat.index);
  const base = { source: entry.name, index: chat.index, format: chat.format, chatId, problems: chat.problems };
  const active = isActive(chat, maps);
  const existing = await store.getChat(chatId).catch((e: unknown) => {
    if (e instanceof StoreError && e.code === 'NOT_FOUND') return null;
    throw e;
  });
  if (existing) {
    // Nothing was read this time: the problems were reported by the import that created it.
    return { ...base, problems: [], characterId: existing.characterId, title: existing.title, messageCount: existing.messageCount, status: 'already_imported', ...(active ? { active } : {}) };
  }
  if (active) chat.metadata.import = { ...(chat.metadata.import as object), active: true };
  const summary = await writeChat(store, { chatId, characterId, title: chat.title, metadata: chat.metadata, created: chat.created }, chat, options, onWritten);
  options.onCreated?.(summary);
  const characterName = chat.characterName ?? chat.speaker;
  return { ...base, characterId, ...(characterName ? { characterName } : {}), title: summary.title, messageCount: summary.messageCount, status: 'created', ...(active ? { active } : {}) };
}

interface ChatInput {
  chatId: string;
  characterId: string;
  title: string;
  metadata: Record<string, unknown>;
  created: number;
}

/**
 * One streamed write for the whole chat. When the store refuses a message (over a limit), the
 * chat is written again with each message checked on its own first: the refused ones are
 * reported by source line, and the rest is written.
 */
async function writeChat(store: ChatStore, input: ChatInput, chat: ParsedChat, options: ImportOptions, onWritten: (messages: number) => void) {
  const opts = { ...(options.signal ? { signal: options.signal } : {}), onProgress: onWritten };
  try {
    return await store.importChatStream({ ...input, messages: chat.batches() }, opts);
  } catch (e) {
    if (!(e instanceof StoreError) || !['INVALID_INPUT', 'TOO_LARGE'].includes(e.code) || typeof e.details?.index !== 'number') throw e;
  }
  const refuse = (m: MessageRecord): string | null => {
    try {
      ImportEncoder.of(input).add(m);
      return null;
    } catch (e) {
      return (e as Error).message.replace(/^messages\[0\]\.?/, 'message ');
    }
  };
  return store.importChatStream({ ...input, messages: chat.batches(refuse) }, opts);
}

/**
 * Where a chat belongs, deterministically: what the file states (legacy character_id), then for a
 * tree the folder (through folders.json for CardShark), then the names the file gives.
 */
async function characterFor(chat: ParsedChat, entry: SourceEntry, maps: CardSharkMaps, single: boolean): Promise<string> {
  if (chat.characterId) return characterIdFrom(chat.characterId);
  const speaker = async (): Promise<string | undefined> => {
    if (chat.speaker) return chat.speaker;
    // Reads ahead only as far as needed.
    for await (const batch of chat.batches()) for (const m of batch) if (m.role === 'assistant' && m.name) return m.name;
    return undefined;
  };
  const folder = entry.folder ?? (single ? basename(dirname(entry.path)) : undefined);
  if (folder === 'group chats') return characterIdFrom(`group-${basename(entry.name, extname(entry.name))}`);
  const fromMap = folder !== undefined ? characterFromFolder(folder, maps) : undefined;
  if (fromMap) return characterIdFrom(fromMap);
  const names = single ? [() => chat.characterName, speaker, () => folder] : [() => (folder === 'chats' ? undefined : folder), () => chat.characterName, speaker];
  let name: string | undefined;
  for (const get of names) {
    const n = await get();
    if (typeof n === 'string' && n.trim().length > 0) {
      name = n;
      break;
    }
  }
  return characterIdFrom(name ?? 'imported');
}

function isActive(chat: ParsedChat, maps: CardSharkMaps): boolean {
  return chat.sourceChatId !== undefined && Object.values(maps.active).includes(chat.sourceChatId);
}

// Export: a stored chat → SillyTavern JSONL (a file SillyTavern loads) or a version-1 file.
// The SillyTavern mapping is the inverse of sillytavern.ts's import, so import → export → import
// keeps messages, swipes, the selected swipe, flags (is_system) and every extra.
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FORMAT_NAME, FORMAT_VERSION, isHidden, type HeaderRecord, type Message } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import type { ChatStore } from '../store/types.ts';
import { humanizedDate } from './dates.ts';
import { ST_KEY } from './sillytavern.ts';
import { AUTHORS_NOTE_KEY, authorsNoteOf } from '../generation/prompt/authors-note.ts';

export type ExportFormat = 'st' | 'v1';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every live message, oldest first, through the store's public paged reads. */
export async function loadAll(store: ChatStore, chatId: string): Promise<{ header: HeaderRecord; title: string; messages: Message[] }> {
  const summary = await store.getChat(chatId);
  const pages: Message[][] = [];
  let page = await store.loadChat(chatId, { limit: 1000 });
  const header = page.header;
  pages.push(page.messages);
  while (page.hasMore && page.messages.length > 0) {
    page = await store.loadChat(chatId, { limit: 1000, before: page.messages[0]!.id });
    pages.push(page.messages);
  }
  return { header, title: summary.title, messages: pages.reverse().flat() };
}

/** A v1 file: the header (current title) and one line per live message, as compaction writes it. */
export function toV1Text(header: HeaderRecord, title: string, messages: Message[]): string {
  const lines = [JSON.stringify({ ...header, format: FORMAT_NAME, version: FORMAT_VERSION, title })];
  for (const m of messages) lines.push(JSON.stringify(m));
  return `${lines.join('\n')}\n`;
}

/** One v1 message → one SillyTavern message line (an object). */
export function toStMessage(m: Message, defaultNames: { user: string; character: string }): Record<string, unknown> {
  const { [ST_KEY]: stRaw, ...rest } = m.extra ?? {};
  const st = isObject(stRaw) ? stRaw : {};
  const extra: Record<string, unknown> = { ...rest };
  // The message id rides in extra.id (as CardShark's legacy files had it) unless extra.id holds a source's own.
  if (extra.id === undefined) extra.id = m.id;
  if (m.status !== undefined && extra.status === undefined) extra.status = m.status;
  if (m.role === 'system' && extra.type === undefined) extra.type = 'narrator'; // SillyTavern's narrator message
  const { send_date, is_system: hiddenThen, swipe_info, ...others } = st;
  const out: Record<string, unknown> = {
    name: m.name ?? (m.role === 'user' ? defaultNames.user : defaultNames.character),
    is_user: m.role === 'user',
    // SillyTavern's hidden message is is_system: as hidden as the message is now (Hide / Unhide).
    is_system: typeof m.hidden === 'boolean' || typeof hiddenThen === 'boolean' || hiddenThen === undefined ? isHidden(m) : hiddenThen,
    send_date: send_date ?? new Date(m.timestamp).toISOString(),
    mes: m.content,
    extra,
    ...others,
  };
  if (m.swipes) {
    out.swipe_id = m.swipe_id ?? m.swipes.length - 1;
    out.swipes = m.swipes;
    // SillyTavern reads per-swipe dates from swipe_info; a source's own is kept as it was.
    out.swipe_info = swipe_info ?? m.swipes.map(() => ({ send_date: out.send_date, extra: {} }));
  } else if (swipe_info !== undefined) out.swipe_info = swipe_info;
  return out;
}

/** Who speaks, as the app knows it now: the persona's name and the character's (the caller reads them). */
export interface ExportNames {
  persona?: string | undefined;
  character?: string | undefined;
}

const ST_NOTE_ROLES = ['system', 'user', 'assistant'] as const;

/**
 * The chat's own author's note as SillyTavern keeps it in chat_metadata (note_prompt, note_depth,
 * note_role as 0/1/2; note_position 1 = in chat at depth, note_interval 1 = every turn, unless the
 * imported header said otherwise). None of our own: the source's chat_metadata as it was.
 */
function stAuthorsNote(metadata: Record<string, unknown>, chatMetadata: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(metadata[AUTHORS_NOTE_KEY])) return chatMetadata;
  const note = authorsNoteOf(metadata);
  return { note_position: 1, note_interval: 1, ...chatMetadata, note_prompt: note.text, note_depth: note.depth, note_role: ST_NOTE_ROLES.indexOf(note.role) };
}

/** A name a SillyTavern header really states (CardShark v0 wrote "unused"). */
const realName = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() && v !== 'unused' ? v : undefined);

/**
 * SillyTavern JSONL: a header line, then one line per message, joined by "\n" with no trailing newline.
 * Names: a message's own (stored when it was written: the speaker's name at that time), else the
 * persona's / character's name now, else the names the imported file's header stated.
 */
export function toStText(header: HeaderRecord, messages: Message[], given: ExportNames = {}): string {
  const source = isObject(header.metadata.source_header) ? header.metadata.source_header : undefined;
  const chatMetadata = stAuthorsNote(header.metadata, isObject(source?.chat_metadata) ? source.chat_metadata : {});
  const names = {
    user: realName(given.persona) ?? realName(source?.user_name) ?? 'User',
    character: realName(given.character) ?? realName(source?.character_name) ?? messages.find((m) => m.role === 'assistant' && m.name)?.name ?? header.character_id,
  };
  const stHeader = { create_date: humanizedDate(header.timestamp), ...(source ?? {}), user_name: names.user, character_name: names.character, chat_metadata: chatMetadata };
  return [JSON.stringify(stHeader), ...messages.map((m) => JSON.stringify(toStMessage(m, names)))].join('\n');
}

/** The exported file's text (the app's Export hands it to the renderer as a download). */
export async function exportChatText(store: ChatStore, chatId: string, format: ExportFormat, names: ExportNames = {}): Promise<{ text: string; title: string; messages: number }> {
  if (format !== 'st' && format !== 'v1') throw new StoreError('INVALID_INPUT', `--format must be st or v1, not ${JSON.stringify(format)}`, { field: 'format' });
  const loaded = await loadAll(store, chatId);
  const { title, messages } = loaded;
  // The metadata now (the header's with every meta record applied: the author's note, a branch link).
  const header = { ...loaded.header, metadata: await store.getChatMetadata(chatId) };
  const text = format === 'v1' ? toV1Text(header, title, messages) : toStText({ ...header, title }, messages, names);
  return { text, title, messages: messages.length };
}

/** Writes the export next to its final name, fsyncs, then renames: a crash leaves no half file. */
export async function exportChat(store: ChatStore, chatId: string, format: ExportFormat, outPath: string, names: ExportNames = {}): Promise<{ chatId: string; format: ExportFormat; out: string; messages: number; bytes: number }> {
  if (!outPath) throw new StoreError('INVALID_INPUT', '--out FILE is required', { field: 'out' });
  const { text, messages } = await exportChatText(store, chatId, format, names);
  const out = resolve(outPath);
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    await mkdir(dirname(out), { recursive: true });
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, out);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    const errno = (e as NodeJS.ErrnoException).code;
    throw new StoreError(errno === 'ENOSPC' ? 'DISK_FULL' : 'IO_ERROR', `writing ${outPath} failed (${errno ?? 'error'})`, { errno });
  }
  return { chatId, format, out, messages, bytes: Buffer.byteLength(text) };
}

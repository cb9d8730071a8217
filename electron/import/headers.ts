// Header lines of every source variant: which format a file is, and what its header says about
// the chat (title, creation time, character, the source's own chat id). formats.md §2–3.
import { parseDate } from './dates.ts';
import type { SourceFormat } from './types.ts';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface HeaderInfo {
  format: SourceFormat;
  title?: string;
  created?: number;
  characterId?: string;
  characterName?: string;
  sourceChatId?: string;
}

/**
 * CardShark's legacy variants, told apart by what each added:
 *   v0     SillyTavern's header plus chat_metadata.chat_id_hash (Python's per-run hash()), and
 *          none of SillyTavern's own marks (sillyTavernMarks)
 *   Feb-24 adds a top-level character_id; chat_metadata.chat_id is "<charId>_<unixSecs>"
 *   "1.0"  adds version "1.0" and timestamp (ms); chat_metadata.title, created_timestamp
 *   "2.0"  version "2.0": uuid chat_id and character_id
 * Anything else with a header is SillyTavern's (modern or older).
 */
export function headerFormat(h: Record<string, unknown>): SourceFormat {
  if (h.format === 'cardshark-chat') return 'cardshark-v1';
  if (h.version === '2.0' || h.version === 2) return 'cardshark-2.0';
  if (h.version === '1.0') return 'cardshark-1.0';
  if (typeof h.character_id === 'string') return 'cardshark-feb24';
  if (isObject(h.chat_metadata) && 'chat_id_hash' in h.chat_metadata && !sillyTavernMarks(h, h.chat_metadata)) return 'cardshark-v0';
  return 'sillytavern';
}

/**
 * SillyTavern's own header marks, which CardShark's v0 (a copy of an older SillyTavern header) never
 * had: SillyTavern also writes `chat_id_hash` (its {{chatId}} macros cache it), so that key alone
 * does not make a file CardShark's.
 */
function sillyTavernMarks(h: Record<string, unknown>, meta: Record<string, unknown>): boolean {
  if (h.user_name === 'unused' || h.character_name === 'unused') return true;
  return ['integrity', 'main_chat', 'variables', 'lastInContextMessageId', 'note_prompt'].some((k) => k in meta);
}

export function readHeader(h: Record<string, unknown>): HeaderInfo {
  const meta = isObject(h.chat_metadata) ? h.chat_metadata : isObject(h.metadata) ? h.metadata : {};
  const info: HeaderInfo = { format: headerFormat(h) };
  const title = typeof meta.title === 'string' ? meta.title : typeof h.title === 'string' ? h.title : undefined;
  if (title?.trim()) info.title = title.trim();
  // "1.0" rewrote create_date as ms after a save: the ms fields come first.
  for (const v of [h.timestamp, meta.created_timestamp, h.create_date]) {
    const d = parseDate(v);
    if (d) {
      info.created = d.ms;
      break;
    }
  }
  const charId = h.character_id ?? meta.character_id;
  if (typeof charId === 'string' && charId.trim()) info.characterId = charId.trim();
  // Modern SillyTavern writes "unused" for both names.
  if (typeof h.character_name === 'string' && h.character_name.trim() && h.character_name !== 'unused') info.characterName = h.character_name.trim();
  const chatId = h.chat_id ?? meta.chat_id;
  if (typeof chatId === 'string' || typeof chatId === 'number') info.sourceChatId = String(chatId);
  return info;
}

// The chat's author's note: kept in the chat's metadata (a meta record, key `author_note`), so it
// has the store's guarantees and travels with the chat. A chat imported from SillyTavern without
// one of ours uses the note its header carried (chat_metadata.note_prompt / note_depth / note_role).
import type { AuthorsNote } from './builder.ts';
import { DEFAULT_AN_DEPTH, type PromptRole } from './lorebook.ts';

export const AUTHORS_NOTE_KEY = 'author_note';

const ROLES: PromptRole[] = ['system', 'user', 'assistant'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const depthOf = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 10_000 ? v : DEFAULT_AN_DEPTH);

export function authorsNoteOf(metadata: Record<string, unknown>): Required<AuthorsNote> {
  const own = metadata[AUTHORS_NOTE_KEY];
  if (isObject(own)) {
    return {
      text: typeof own.text === 'string' ? own.text : '',
      depth: depthOf(own.depth),
      role: ROLES.includes(own.role as PromptRole) ? (own.role as PromptRole) : 'system',
    };
  }
  const st = isObject(metadata.source_header) && isObject(metadata.source_header.chat_metadata) ? metadata.source_header.chat_metadata : {};
  return {
    text: typeof st.note_prompt === 'string' ? st.note_prompt : '',
    depth: depthOf(st.note_depth),
    role: ROLES[typeof st.note_role === 'number' ? st.note_role : 0] ?? 'system',
  };
}

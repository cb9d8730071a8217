// The library search's answers, computed the slow way for tests: every listed chat read in full
// (readFullState: what the store shows), every message's text folded and split into words here,
// independently of SQLite (NFD, marks dropped, lower case; words are runs of letters and digits:
// what unicode61 with remove_diacritics 2 does for the Latin text the tests use).
import { readFileSync } from 'node:fs';
import { readFullState } from '../../electron/store/index.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { parseQuery } from '../../electron/library-search/index.ts';
import { chatPath } from '../store/helpers.ts';

export function words(text: string): string[] {
  return text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Whether the words hold every term of the query (a phrase: its words in a row; word*: a word starting so). */
export function holds(ws: string[], query: string): boolean {
  return parseQuery(query).every((t) => {
    const tw = words(t.text);
    return ws.some((_, i) => tw.every((w, k) => (k === tw.length - 1 && t.prefix ? ws[i + k]?.startsWith(w) : ws[i + k] === w)));
  });
}

/** FTS5's rule for a row of several columns: each term in some column (a phrase within one). */
function holdsInColumns(columns: string[][], query: string): boolean {
  return parseQuery(query).every((t) => columns.some((ws) => holds(ws, t.phrase ? `"${t.text}"${t.prefix ? '*' : ''}` : `${t.text}${t.prefix ? '*' : ''}`)));
}

export interface Expected {
  /** `chatId/messageId` of every matching message. */
  messages: Set<string>;
  /** Chats whose title or character name match. */
  named: Set<string>;
}

export async function bruteForce(store: ChatStore, dataDir: string, names: Map<string, string>, query: string): Promise<Expected> {
  const messages = new Set<string>();
  const named = new Set<string>();
  for (const c of await store.listAllChats()) {
    const buf = readFileSync(chatPath(dataDir, c.characterId, c.chatId));
    const state = readFullState(buf.subarray(0, buf.lastIndexOf(0x0a) + 1));
    if (!('error' in state)) for (const m of state.messages) if (holds(words(m.content), query)) messages.add(`${c.chatId}/${m.id}`);
    if (holdsInColumns([words(c.title), words(names.get(c.characterId) ?? '')], query)) named.add(c.chatId);
  }
  return { messages, named };
}

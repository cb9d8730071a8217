// Reading the search index: the chats that match a query, each with its matching messages (a
// snippet around the match, with the matched words' ranges: the renderer marks them itself, no
// HTML crosses to it) and whether its title or character name matched.
import type { DatabaseSync } from 'node:sqlite';
import { toMatchExpression } from './query.ts';

export interface LibrarySearchLimits {
  /** Chats returned (default 50). */
  chats: number;
  /** Messages shown per chat (default 3). */
  hitsPerChat: number;
  /** Matching messages looked at, newest indexed first (default 5,000): beyond it, counts say "at least". */
  scan: number;
}
export const DEFAULT_LIMITS: LibrarySearchLimits = { chats: 50, hitsPerChat: 3, scan: 5_000 };

export interface Highlight {
  start: number;
  end: number;
}
export interface MarkedText {
  text: string;
  highlights: Highlight[];
}
export interface LibraryHit {
  messageId: string;
  role: string;
  timestamp: number;
  snippet: MarkedText;
}
export interface LibraryChatResult {
  chatId: string;
  characterId: string;
  title: MarkedText;
  characterName: MarkedText;
  /** Messages of this chat that match (among the `scan` looked at). */
  matchCount: number;
  hits: LibraryHit[];
}
export interface LibrarySearchResult {
  chats: LibraryChatResult[];
  /** More chats or matching messages exist than were returned or counted. */
  truncated: boolean;
  /** The index is still catching up with the chat files: results may be missing some. */
  indexing: boolean;
}

// Private-use characters mark a match in FTS5's output (a text holding them itself gets ranges a
// little off: it is shown as plain text either way).
const OPEN = '\uE000';
const CLOSE = '\uE001';
const SNIPPET_TOKENS = 16;

/** Text with OPEN…CLOSE marks to plain text and the marked ranges (UTF-16 offsets). */
export function unmark(marked: string): MarkedText {
  let text = '';
  const highlights: Highlight[] = [];
  let start = -1;
  for (const ch of marked) {
    if (ch === OPEN) start = text.length;
    else if (ch === CLOSE) {
      if (start >= 0 && text.length > start) highlights.push({ start, end: text.length });
      start = -1;
    } else text += ch;
  }
  return { text, highlights };
}

interface MsgHit {
  rowid: number;
  chat: number;
}

export function searchIndex(db: DatabaseSync, query: string, limits: Partial<LibrarySearchLimits> = {}): Omit<LibrarySearchResult, 'indexing'> {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const match = toMatchExpression(query);
  // Matching messages, newest indexed first, each with its chat (one index lookup per row).
  const rows = db
    .prepare('SELECT f.rowid AS rowid, m.chat AS chat FROM msg_fts f JOIN msgs m ON m.rowid = f.rowid WHERE msg_fts MATCH ? ORDER BY f.rowid DESC LIMIT ?')
    .all(match, lim.scan + 1) as unknown as MsgHit[];
  let truncated = rows.length > lim.scan;
  const byChat = new Map<number, number[]>();
  for (const r of rows.slice(0, lim.scan)) {
    const list = byChat.get(r.chat);
    if (list) list.push(r.rowid);
    else byChat.set(r.chat, [r.rowid]);
  }
  // Chats whose title or character name matches come first, then the chats with most matches.
  const named = new Set((db.prepare('SELECT rowid FROM chat_fts WHERE chat_fts MATCH ?').all(match) as { rowid: number }[]).map((r) => r.rowid));
  const order = [...new Set([...named, ...[...byChat.keys()].sort((a, b) => byChat.get(b)!.length - byChat.get(a)!.length)])];
  if (order.length > lim.chats) truncated = true;
  const chatRow = db.prepare('SELECT chat_id, character_id, title, character_name FROM chats WHERE rowid = ?');
  const names = db.prepare(`SELECT highlight(chat_fts, 0, '${OPEN}', '${CLOSE}') AS title, highlight(chat_fts, 1, '${OPEN}', '${CLOSE}') AS character FROM chat_fts WHERE chat_fts MATCH ? AND rowid = ?`);
  const msgRow = db.prepare('SELECT id, role, ts FROM msgs WHERE rowid = ?');
  const snippet = db.prepare(`SELECT snippet(msg_fts, 0, '${OPEN}', '${CLOSE}', '…', ${SNIPPET_TOKENS}) AS s FROM msg_fts WHERE msg_fts MATCH ? AND rowid = ?`);
  const chats: LibraryChatResult[] = [];
  for (const rowid of order.slice(0, lim.chats)) {
    const c = chatRow.get(rowid) as { chat_id: string; character_id: string; title: string; character_name: string } | undefined;
    if (!c) continue;
    const marked = named.has(rowid) ? (names.get(match, rowid) as { title: string; character: string } | undefined) : undefined;
    const hitIds = byChat.get(rowid) ?? [];
    const hits: LibraryHit[] = [];
    for (const id of hitIds.slice(0, lim.hitsPerChat)) {
      const m = msgRow.get(id) as { id: string; role: string; ts: number } | undefined;
      const s = snippet.get(match, id) as { s: string } | undefined;
      if (m && s) hits.push({ messageId: m.id, role: m.role, timestamp: m.ts, snippet: unmark(clean(s.s)) });
    }
    chats.push({
      chatId: c.chat_id,
      characterId: c.character_id,
      title: marked ? unmark(marked.title) : { text: c.title, highlights: [] },
      characterName: marked ? unmark(marked.character) : { text: c.character_name, highlights: [] },
      matchCount: hitIds.length,
      hits,
    });
  }
  return { chats, truncated };
}

/** A snippet on one line (line breaks and runs of spaces as one space), markers kept. */
function clean(s: string): string {
  return s.replace(/\s+/g, ' ');
}

// Find in chat: a case-insensitive search of the current text of every message, over the whole
// file (not only the loaded page).
//
// The file is read forward in big blocks. A cheap byte prefilter (a regex over the block as
// latin1, ASCII letters folded, JSON escapes applied to the query) picks the lines that may hold
// the query; only those are parsed. Messages with changes (edits, swipes, appended text) are
// built from their first appearance plus changes and checked on their current text, whether or
// not their first line passed the prefilter; deleted and superseded messages never match.
import type { Message } from '../../shared/chat-format.ts';
import type { FsSeam } from '../durable/fs-seam.ts';
import { ScannedChat, type LineTable } from './line-scan.ts';

export interface SearchMatch {
  id: string;
  role: Message['role'];
  timestamp: number;
  /** A short piece of the message's text around the first match. */
  snippet: string;
}

export interface SearchResult {
  /** In chat order (newest last): one page of matching messages, by default the newest `limit`. */
  matches: SearchMatch[];
  /** Matching messages in the whole chat. */
  total: number;
  /** Where the page starts among all `total` matches in chat order (0: the oldest match). */
  offset: number;
}

export const SEARCH_LIMIT = 500;
const SNIPPET_CHARS = 120;

/** JSON escapes our writer never uses for text but other tools may: lines holding them are candidates. */
const ESCAPES = [Buffer.from('\\u'), Buffer.from('\\/')];

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * A regex over a block decoded as latin1 that matches wherever the query may stand in a line.
 * ASCII is matched case-insensitively in its JSON-escaped form; a run of non-ASCII characters
 * matches any run of non-ASCII bytes (its case forms can differ in UTF-8 length). Lines holding a
 * `\u` or `\/` escape (written by other tools) are candidates too (see ESCAPES).
 */
export function prefilter(query: string): RegExp {
  let src = '';
  for (const run of query.match(/[\x00-\x7f]+|[^\x00-\x7f]+/g) ?? []) {
    src += run.charCodeAt(0) < 0x80 ? escapeRe(JSON.stringify(run).slice(1, -1)) : '[\\x80-\\xff]+';
  }
  return new RegExp(src, 'gi');
}

function snippet(text: string, lowerQuery: string): string {
  const at = text.toLowerCase().indexOf(lowerQuery);
  const start = Math.max(0, at - 40);
  const s = text.slice(start, start + SNIPPET_CHARS).replace(/\s+/g, ' ');
  return (start > 0 ? '…' : '') + s + (start + SNIPPET_CHARS < text.length ? '…' : '');
}

/**
 * Every match of `query` in the chat, counted; the page [offset, offset + limit) of them in chat
 * order comes back with snippets (default: the newest `limit`). `onScan` gets the scan's line
 * table (the caller saves it as the chat's position index, so jumps to the matches are quick).
 */
export async function searchChatFile(fs: FsSeam, path: string, size: number, query: string, limit = SEARCH_LIMIT, offset?: number, onScan?: (table: LineTable) => Promise<void>): Promise<SearchResult> {
  const q = query.toLowerCase();
  const re = prefilter(query);
  // Message lines whose first appearance holds the query (id and text from a cheap JSON.parse;
  // the lines returned are validated in full when they are read again).
  const baseHits = new Map<number, string>();
  const chat = await ScannedChat.open(fs, path, size, {
    block: (b) => {
      const hits: number[] = [];
      const text = b.toString('latin1');
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        hits.push(m.index);
        const nl = text.indexOf('\n', m.index);
        if (nl === -1) break;
        re.lastIndex = nl + 1; // one hit per line is enough
      }
      let escapes = false;
      for (const e of ESCAPES) for (let at = b.indexOf(e); at !== -1; at = b.indexOf(e, at + 1)) (hits.push(at), (escapes = true));
      return escapes ? hits.sort((x, y) => x - y) : hits;
    },
    candidate: (line, bytes) => {
      let v: unknown;
      try {
        v = JSON.parse(bytes.toString('utf8'));
      } catch {
        return;
      }
      if (typeof v !== 'object' || v === null || 'op' in v) return;
      const { id, content } = v as { id?: unknown; content?: unknown };
      if (typeof id === 'string' && typeof content === 'string' && content.toLowerCase().includes(q)) baseHits.set(line, id);
    },
  });
  try {
    const { table } = chat;
    const found = new Map<number, Message | null>();
    // Messages with changes: their current text decides, wherever the query stood before.
    for (const id of table.opsById.keys()) {
      if (table.deleted.has(id)) continue;
      const line = await chat.lineOf(id);
      if (line === -1) continue; // changes to an id that never appeared: orphans
      const m = await chat.materialize(line);
      if (m && m.id === id && m.content.toLowerCase().includes(q)) found.set(line, m);
    }
    for (const [line, id] of baseHits) {
      if (table.opsById.has(id) || table.deleted.has(id)) continue; // decided above / gone
      if (await chat.isCurrent(line, id)) found.set(line, null);
    }
    const lines = [...found.keys()].sort((a, b) => a - b);
    let total = lines.length;
    const from = Math.min(offset ?? Math.max(0, lines.length - limit), lines.length);
    const matches: SearchMatch[] = [];
    // Only the page is read in full; a line that fails full validation is no match (the page is one shorter).
    for (let k = from; k < lines.length && k < from + limit; k++) {
      const m = found.get(lines[k]!) ?? (await chat.materialize(lines[k]!));
      if (!m) {
        total--;
        continue;
      }
      matches.push({ id: m.id, role: m.role, timestamp: m.timestamp, snippet: snippet(m.content, q) });
    }
    await onScan?.(chat.table);
    return { matches, total, offset: from };
  } finally {
    await chat.close();
  }
}

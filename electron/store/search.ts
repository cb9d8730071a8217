// Find in chat: a case-insensitive search of the current text of every message, over the whole
// file (not only the loaded page).
//
// The file is read forward in big blocks. A cheap byte prefilter (a regex over the block as
// latin1, ASCII letters folded, JSON escapes applied to the query) picks the lines that may hold
// the query; only those are parsed. Messages with changes (edits, swipes, appended text) are
// built from their first appearance plus changes and checked on their current text, whether or
// not their first line passed the prefilter; deleted and superseded messages never match.
import type { Message } from '../../shared/chat-format.ts';
import type { FsSeam } from './fs-seam.ts';
import { ScannedChat } from './line-scan.ts';
import { parseRecord, toMessage } from './records.ts';

export interface SearchMatch {
  id: string;
  role: Message['role'];
  timestamp: number;
  /** A short piece of the message's text around the first match. */
  snippet: string;
}

export interface SearchResult {
  /** In chat order (newest last): the newest `limit` matching messages. */
  matches: SearchMatch[];
  /** Matching messages in the whole chat. */
  total: number;
}

export const SEARCH_LIMIT = 500;
const SNIPPET_CHARS = 120;

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * A regex over a block decoded as latin1 that matches wherever the query may stand in a line.
 * ASCII is matched case-insensitively in its JSON-escaped form; a run of non-ASCII characters
 * matches any run of non-ASCII bytes (its case forms can differ in UTF-8 length). Lines holding a
 * `\u` or `\/` escape (written by other tools) are always candidates.
 */
export function prefilter(query: string): RegExp {
  let src = '';
  for (const run of query.match(/[\x00-\x7f]+|[^\x00-\x7f]+/g) ?? []) {
    src += run.charCodeAt(0) < 0x80 ? escapeRe(JSON.stringify(run).slice(1, -1)) : '[\\x80-\\xff]+';
  }
  return new RegExp(`${src}|\\\\u|\\\\/`, 'gi');
}

function snippet(text: string, lowerQuery: string): string {
  const at = text.toLowerCase().indexOf(lowerQuery);
  const start = Math.max(0, at - 40);
  const s = text.slice(start, start + SNIPPET_CHARS).replace(/\s+/g, ' ');
  return (start > 0 ? '…' : '') + s + (start + SNIPPET_CHARS < text.length ? '…' : '');
}

export async function searchChatFile(fs: FsSeam, path: string, size: number, query: string, limit = SEARCH_LIMIT): Promise<SearchResult> {
  const q = query.toLowerCase();
  const re = prefilter(query);
  // Message lines whose first appearance holds the query, with the id and text parsed then.
  const baseHits = new Map<number, Message>();
  const chat = await ScannedChat.open(fs, path, size, {
    block: (b) => {
      const text = b.toString('latin1');
      const hits: number[] = [];
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        hits.push(m.index);
        const nl = text.indexOf('\n', m.index);
        if (nl === -1) break;
        re.lastIndex = nl + 1; // one hit per line is enough
      }
      return hits;
    },
    candidate: (line, bytes) => {
      const rec = parseRecord(bytes.toString('utf8'));
      if (rec.kind === 'message' && rec.rec.content.toLowerCase().includes(q)) baseHits.set(line, toMessage(rec.rec));
    },
  });
  try {
    const { table } = chat;
    const found = new Map<number, Message>();
    // Messages with changes: their current text decides, wherever the query stood before.
    for (const id of table.opsById.keys()) {
      if (table.deleted.has(id)) continue;
      const line = await chat.lineOf(id);
      if (line === -1) continue; // changes to an id that never appeared: orphans
      const m = await chat.materialize(line);
      if (m && m.id === id && m.content.toLowerCase().includes(q)) found.set(line, m);
    }
    for (const [line, base] of baseHits) {
      if (table.opsById.has(base.id) || table.deleted.has(base.id)) continue; // decided above / gone
      if (await chat.isCurrent(line, base.id)) found.set(line, base);
    }
    const lines = [...found.keys()].sort((a, b) => a - b);
    const matches = lines.slice(Math.max(0, lines.length - limit)).map((line) => {
      const m = found.get(line)!;
      return { id: m.id, role: m.role, timestamp: m.timestamp, snippet: snippet(m.content, q) };
    });
    return { matches, total: lines.length };
  } finally {
    await chat.close();
  }
}

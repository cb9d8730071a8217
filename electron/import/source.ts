// One source file → the chats in it, with every line that could not be read reported by number.
// Handles SillyTavern's JSONL (with or without a header), CardShark's legacy variants, several
// chats in one file (CardShark's bulk export: each chat starts with its header line), and
// CardShark v1 files (our own export), which are read by the store's full reader.
import { basename, extname } from 'node:path';
import { LIMITS, type MessageRecord } from '../../shared/chat-format.ts';
import { fullStateSteps } from '../store/compaction.ts';
import type { Steps } from '../store/time-slices.ts';
import { readHeader, type HeaderInfo } from './headers.ts';
import { MessageIds } from './ids.ts';
import { looksLikeMessage, mayBeHeader, parseLine, rawLines, type SourceLine } from './lines.ts';
import { fromRoleMessage, fromStMessage, isHeaderLine, isStMessage } from './sillytavern.ts';
import type { LineProblem, ParsedChat } from './types.ts';

export interface SourceFile {
  /** Name used in reports (relative to what the user named). */
  name: string;
  bytes: Buffer;
  sha256: string;
  /** Last resort for a chat's creation time when nothing in the file says it. */
  mtimeMs: number;
}

export interface ParsedSource {
  chats: ParsedChat[];
  /** Lines outside any chat (a file with no readable message at all). */
  problems: LineProblem[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Segment {
  header?: Record<string, unknown>;
  headerLine?: number;
  info?: HeaderInfo;
  /** Byte offsets and first line number of the segment's message lines (after its header). */
  from: number;
  to: number;
  firstLine: number;
  /** The first message, read ahead: its time stands in for a missing creation date. */
  first?: MessageRecord;
  /** Lines the scan found unreadable (not message-like ones; those are read while importing). */
  problems: LineProblem[];
}

/**
 * Two passes, so that a 100k-message chat never holds 100k parsed source objects at once: a scan
 * parses only the lines that are not messages (headers: where each chat starts), then each chat's
 * messages are parsed and mapped one by one while the store validates and encodes them.
 * Written as steps, one per line, so that an import runs it in slices (runSliced): a 20 MiB file
 * of tiny lines is a million lines.
 */
export function* parseSourceSteps(src: SourceFile): Steps<ParsedSource> {
  const v1 = yield* parseV1(src);
  if (v1) return v1;
  const bytes = src.bytes;
  const segments: Segment[] = [];
  const orphanProblems: LineProblem[] = [];
  let cur: Segment | undefined;
  let curHasMessages = false;
  const problem = (line: number, reason: string) => (cur?.problems ?? orphanProblems).push({ file: src.name, line, reason });
  let firstLine = true;
  for (const raw of rawLines(bytes)) {
    yield;
    const message = looksLikeMessage(raw.text);
    // Message-like lines are left for the import pass, unless they may be a header (an extension's
    // data in chat_metadata can hold a "role" key): those are parsed here to find where chats start.
    let l: SourceLine | undefined;
    if (!message || firstLine || mayBeHeader(raw.text)) {
      l = parseLine(raw);
      if (l.ok && isHeaderLine(l.value)) {
        // A header after messages (or after another header) starts the next chat.
        if (!cur || cur.header || curHasMessages) segments.push((cur = { from: raw.end, to: raw.end, firstLine: raw.line + 1, problems: [] }));
        cur.header = l.value;
        cur.headerLine = raw.line;
        cur.info = readHeader(l.value);
        cur.from = cur.to = raw.end;
        cur.firstLine = raw.line + 1;
        curHasMessages = false;
        firstLine = false;
        continue;
      }
    }
    firstLine = false;
    if (message) {
      if (!cur) {
        // Messages with no header before them: a chat starts at the first one that can be read.
        const first = readAhead(l ?? parseLine(raw), new MessageIds(), Math.floor(src.mtimeMs));
        if (typeof first === 'string') {
          orphanProblems.push({ file: src.name, line: raw.line, reason: first });
          continue;
        }
        segments.push((cur = { from: raw.start, to: bytes.length, firstLine: raw.line, problems: [], first }));
      } else if (!curHasMessages) {
        const first = readAhead(l ?? parseLine(raw), new MessageIds(), cur.info?.created ?? Math.floor(src.mtimeMs));
        if (typeof first !== 'string') cur.first = first;
      }
      curHasMessages = true;
      cur.to = raw.end;
      continue;
    }
    l ??= parseLine(raw);
    problem(raw.line, l.ok ? 'not a message: no "mes" and no "role"/"content"' : l.reason);
  }
  // Problems before the first chat belong to it (a garbage first line, then messages).
  // (Arrays are joined with concat, not spread into arguments: a hostile file has a million problems.)
  if (segments[0]) segments[0].problems = orphanProblems.splice(0).concat(segments[0].problems);
  const stem = basename(src.name, extname(src.name));
  const chats = segments.map((seg, index) => toChat(src, seg, index, segments.length > 1 ? `${stem} (${index + 1})` : stem));
  return { chats, problems: orphanProblems };
}

function convert(v: Record<string, unknown>, line: number, ids: MessageIds, fallback: number): MessageRecord | string {
  return isStMessage(v) ? fromStMessage(v, line, ids, fallback) : 'role' in v && 'content' in v ? fromRoleMessage(v, line, ids, fallback) : 'not a message: no "mes" and no "role"/"content"';
}

function readAhead(l: SourceLine, ids: MessageIds, fallback: number): MessageRecord | string {
  return l.ok ? convert(l.value, l.line, ids, fallback) : l.reason;
}

/**
 * A segment's messages, parsed and mapped as they are iterated. Each pass starts afresh: the
 * problems it finds (with the scan's) and the source line of each message are rebuilt.
 */
function lazyMessages(src: SourceFile, seg: Segment, chat: ParsedChat, created: number): Iterable<MessageRecord> {
  return {
    *[Symbol.iterator]() {
      chat.problems.length = 0;
      for (const p of seg.problems) chat.problems.push(p);
      chat.lines.length = 0;
      const ids = new MessageIds();
      let previous = created;
      for (const raw of rawLines(src.bytes, seg.from, seg.to, seg.firstLine)) {
        if (!looksLikeMessage(raw.text)) continue; // read by the scan, and reported there if bad
        const l = parseLine(raw);
        const rec = l.ok ? convert(l.value, l.line, ids, previous) : l.reason;
        if (typeof rec === 'string') {
          chat.problems.push({ file: src.name, line: raw.line, reason: rec });
          continue;
        }
        previous = rec.timestamp;
        chat.lines.push(raw.line);
        yield rec;
      }
      chat.problems.sort((a, b) => a.line - b.line);
    },
  };
}

function toChat(src: SourceFile, seg: Segment, index: number, fallbackTitle: string): ParsedChat {
  const info = seg.info ?? { format: 'sillytavern' as const };
  const created = info.created ?? seg.first?.timestamp ?? Math.floor(src.mtimeMs);
  const metadata: Record<string, unknown> = { import: provenance(src, index, info.format, info.sourceChatId) };
  if (seg.header) metadata.source_header = fitHeader(seg.header, seg, src.name);
  const chat: ParsedChat = {
    index,
    format: info.format,
    title: (info.title ?? fallbackTitle).slice(0, LIMITS.titleChars).trim() || 'Imported chat',
    created,
    metadata,
    messages: [],
    lines: [],
    problems: [...seg.problems],
  };
  chat.messages = lazyMessages(src, seg, chat, created);
  if (seg.first?.name && seg.first.role === 'assistant') chat.speaker = seg.first.name;
  if (info.characterId) chat.characterId = info.characterId;
  if (info.characterName) chat.characterName = info.characterName;
  if (info.sourceChatId) chat.sourceChatId = info.sourceChatId;
  return chat;
}

function provenance(src: SourceFile, index: number, format: string, sourceChatId?: string): Record<string, unknown> {
  const p: Record<string, unknown> = { format, file: basename(src.name), sha256: src.sha256, index };
  if (sourceChatId !== undefined) p.source_chat_id = sourceChatId;
  return p;
}

/**
 * The v1 header's metadata is kept small (64,000 chars). A source header over that budget keeps
 * its keys that fit; each one left out is reported, never silently dropped.
 */
function fitHeader(header: Record<string, unknown>, seg: Segment, file: string): Record<string, unknown> {
  const budget = LIMITS.metadataJsonChars - 4_000; // room for the provenance
  if (JSON.stringify(header).length <= budget) return header;
  const out: Record<string, unknown> = { ...header };
  const meta = isObject(header.chat_metadata) ? { ...header.chat_metadata } : undefined;
  if (meta) out.chat_metadata = meta;
  const sized = [...Object.entries(meta ?? {}).map(([k, v]) => ({ k, inMeta: true, n: JSON.stringify(v)?.length ?? 0 })), ...Object.entries(header).filter(([k]) => k !== 'chat_metadata').map(([k, v]) => ({ k, inMeta: false, n: JSON.stringify(v)?.length ?? 0 }))].sort((a, b) => b.n - a.n);
  for (const { k, inMeta, n } of sized) {
    if (JSON.stringify(out).length <= budget) break;
    if (inMeta) delete meta![k];
    else delete out[k];
    seg.problems.push({ file, line: seg.headerLine ?? 1, reason: `header field ${inMeta ? 'chat_metadata.' : ''}${k} (${n} characters) is too large for the chat header and was not imported` });
  }
  return out;
}

/** A CardShark v1 file (format "cardshark-chat"): read by the store's own full reader, changes folded in. */
function* parseV1(src: SourceFile): Steps<ParsedSource | null> {
  const start = src.bytes[0] === 0xef && src.bytes[1] === 0xbb && src.bytes[2] === 0xbf ? 3 : 0;
  const buf = src.bytes.subarray(start);
  const probe = buf.subarray(0, 200).toString('utf8');
  if (!/^\{[^\n]*"format"\s*:\s*"cardshark-chat"/.test(probe) && !/^\{"format":"cardshark-chat"/.test(probe)) return null;
  const state = yield* fullStateSteps(buf);
  if ('error' in state) return null; // an unreadable header: read line by line like any other source
  // Line numbers of the invalid lines (in offset order) in one pass over the newlines.
  const problems: LineProblem[] = [];
  let line = 1;
  let nl = buf.indexOf(0x0a);
  for (const bad of state.invalid) {
    while (nl !== -1 && nl < bad.offset) {
      line++;
      nl = buf.indexOf(0x0a, nl + 1);
    }
    problems.push({ file: src.name, line, reason: bad.reason });
    yield;
  }
  const { header } = state;
  const { import: previous, ...rest } = header.metadata;
  const metadata: Record<string, unknown> = { ...rest, import: { ...provenance(src, 0, 'cardshark-v1', header.chat_id), ...(previous !== undefined ? { previous } : {}) } };
  return {
    chats: [
      {
        index: 0,
        format: 'cardshark-v1',
        title: header.title,
        created: header.timestamp,
        characterId: header.character_id,
        sourceChatId: header.chat_id,
        metadata,
        messages: state.messages as MessageRecord[],
        ...(speakerOf(state.messages as MessageRecord[]) ? { speaker: speakerOf(state.messages as MessageRecord[])! } : {}),
        lines: state.messages.map(() => 0),
        problems,
      },
    ],
    problems: [],
  };
}

function speakerOf(messages: MessageRecord[]): string | undefined {
  return messages.find((m) => m.role === 'assistant' && m.name)?.name;
}

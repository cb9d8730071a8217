// One source file → the chats in it, with every line that could not be read reported by number.
// Handles SillyTavern's JSONL (with or without a header), CardShark's legacy variants, several
// chats in one file (CardShark's bulk export: each chat starts with its header line), and
// CardShark v1 files (our own export), which are read by the store's full reader.
// The source is read in blocks (block-lines.ts), never whole (except a v1 file, read by the store's
// own reader): a first pass hashes it and finds where each chat starts, then each chat's messages
// are read again, parsed and mapped in batches while the store writes them.
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { LIMITS, type MessageRecord } from '../../shared/chat-format.ts';
import { fullStateSteps } from '../store/compaction.ts';
import { runSliced, type Steps, type TimeSlicer } from '../store/time-slices.ts';
import { lineBatches, MAX_SOURCE_LINE_BYTES, type BlockLine, type ByteSource } from './block-lines.ts';
import { readHeader, type HeaderInfo } from './headers.ts';
import { MessageIds } from './ids.ts';
import { looksLikeMessage, mayBeHeader, parseLine, type SourceLine } from './lines.ts';
import { fromRoleMessage, fromStMessage, isHeaderLine, isStMessage } from './sillytavern.ts';
import type { LineProblem, ParsedChat } from './types.ts';

export interface SourceFile {
  /** Name used in reports (relative to what the user named). */
  name: string;
  source: ByteSource;
  /** Last resort for a chat's creation time when nothing in the file says it. */
  mtimeMs: number;
}

/** How a read of the source goes: its time slices (and their check: a close, a cancel), its progress. */
export interface ReadContext {
  slicer: TimeSlicer;
  /** Bytes of the source read so far in this pass. */
  onBytes?: (pass: 'scan' | 'write', bytes: number) => void;
}

interface Hashed {
  name: string;
  source: ByteSource;
  sha256: string;
  mtimeMs: number;
}

export interface ParsedSource {
  chats: ParsedChat[];
  /** Lines outside any chat (a file with no readable message at all). */
  problems: LineProblem[];
  /** Of the whole source, computed as it was read. */
  sha256: string;
}

const tooLongReason = (bytes: number) => `the line is ${(bytes / 1048576).toFixed(1)} MiB, longer than the ${MAX_SOURCE_LINE_BYTES / 1048576} MiB a line may have: not read`;

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
 * Two passes, so that no pass holds all the messages: this scan hashes the source and parses only
 * the lines that are not messages (headers: where each chat starts); then each chat's messages are
 * read again, parsed and mapped batch by batch while the store validates and writes them.
 */
export async function scanSource(file: SourceFile, ctx: ReadContext): Promise<ParsedSource> {
  const v1 = await parseV1(file, ctx);
  if (v1) return v1;
  const hash = createHash('sha256');
  const segments: Segment[] = [];
  const orphanProblems: LineProblem[] = [];
  let cur: Segment | undefined;
  let curHasMessages = false;
  const problem = (line: number, reason: string) => (cur?.problems ?? orphanProblems).push({ file: file.name, line, reason });
  let firstLine = true;
  for await (const batch of lineBatches(file.source, { onBlock: (b) => hash.update(b) })) {
    for (const raw of batch) {
      if (ctx.slicer.due()) await ctx.slicer.turn();
      if (raw.tooLong !== undefined) {
        firstLine = false;
        problem(raw.line, tooLongReason(raw.tooLong));
        continue;
      }
      const text = raw.text;
      const message = looksLikeMessage(text);
      // Message-like lines are left for the import pass, unless they may be a header (an extension's
      // data in chat_metadata can hold a "role" key): those are parsed here to find where chats start.
      let l: SourceLine | undefined;
      if (!message || firstLine || mayBeHeader(text)) {
        l = parseLine(raw, text);
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
          const first = readAhead(l ?? parseLine(raw, text), new MessageIds(), Math.floor(file.mtimeMs));
          if (typeof first === 'string') {
            orphanProblems.push({ file: file.name, line: raw.line, reason: first });
            continue;
          }
          segments.push((cur = { from: raw.start, to: raw.end, firstLine: raw.line, problems: [], first }));
        } else if (!curHasMessages) {
          const first = readAhead(l ?? parseLine(raw, text), new MessageIds(), cur.info?.created ?? Math.floor(file.mtimeMs));
          if (typeof first !== 'string') cur.first = first;
        }
        curHasMessages = true;
        cur.to = raw.end;
        continue;
      }
      l ??= parseLine(raw, text);
      problem(raw.line, l.ok ? 'not a message: no "mes" and no "role"/"content"' : l.reason);
    }
    ctx.onBytes?.('scan', batch.at(-1)!.end);
  }
  const src: Hashed = { name: file.name, source: file.source, sha256: hash.digest('hex'), mtimeMs: file.mtimeMs };
  // Problems before the first chat belong to it (a garbage first line, then messages).
  // (Arrays are joined with concat, not spread into arguments: a hostile file has a million problems.)
  if (segments[0]) segments[0].problems = orphanProblems.splice(0).concat(segments[0].problems);
  const stem = basename(file.name, extname(file.name));
  const chats = segments.map((seg, index) => toChat(src, seg, index, segments.length > 1 ? `${stem} (${index + 1})` : stem, ctx));
  return { chats, problems: orphanProblems, sha256: src.sha256 };
}

function convert(v: Record<string, unknown>, line: number, ids: MessageIds, fallback: number): MessageRecord | string {
  return isStMessage(v) ? fromStMessage(v, line, ids, fallback) : 'role' in v && 'content' in v ? fromRoleMessage(v, line, ids, fallback) : 'not a message: no "mes" and no "role"/"content"';
}

function readAhead(l: SourceLine, ids: MessageIds, fallback: number): MessageRecord | string {
  return l.ok ? convert(l.value, l.line, ids, fallback) : l.reason;
}

/**
 * A segment's messages, read from the source, parsed and mapped in batches (one per block). Each
 * pass starts afresh: the problems it finds (with the scan's) are rebuilt. A message `refuse`
 * gives a reason for is left out and reported by its line.
 */
function messageBatches(src: Hashed, seg: Segment, chat: ParsedChat, created: number, ctx: ReadContext): ParsedChat['batches'] {
  return async function* (refuse) {
    chat.problems.length = 0;
    for (const p of seg.problems) chat.problems.push(p);
    const ids = new MessageIds();
    let previous = created;
    // Each block's messages are made one by one as the store takes them (a generator, not an
    // array): each record dies young, and the heap stays small.
    function* messages(lines: BlockLine[]): Generator<MessageRecord> {
      for (const raw of lines) {
        if (raw.tooLong !== undefined) continue; // reported by the scan
        const text = raw.text;
        if (!looksLikeMessage(text)) continue; // read by the scan, and reported there if bad
        const l = parseLine(raw, text);
        const rec = l.ok ? convert(l.value, l.line, ids, previous) : l.reason;
        if (typeof rec === 'string') {
          chat.problems.push({ file: src.name, line: raw.line, reason: rec });
          continue;
        }
        previous = rec.timestamp;
        const refused = refuse?.(rec);
        if (refused) chat.problems.push({ file: src.name, line: raw.line, reason: refused });
        else yield rec;
      }
    }
    for await (const lines of lineBatches(src.source, { from: seg.from, to: seg.to, firstLine: seg.firstLine })) {
      yield messages(lines);
      ctx.onBytes?.('write', lines.at(-1)!.end);
    }
    chat.problems.sort((a, b) => a.line - b.line);
  };
}

function toChat(src: Hashed, seg: Segment, index: number, fallbackTitle: string, ctx: ReadContext): ParsedChat {
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
    batches: () => (async function* () {})(),
    problems: [...seg.problems],
  };
  chat.batches = messageBatches(src, seg, chat, created, ctx);
  if (seg.first?.name && seg.first.role === 'assistant') chat.speaker = seg.first.name;
  if (info.characterId) chat.characterId = info.characterId;
  if (info.characterName) chat.characterName = info.characterName;
  if (info.sourceChatId) chat.sourceChatId = info.sourceChatId;
  return chat;
}

function provenance(src: { name: string; sha256: string }, index: number, format: string, sourceChatId?: string): Record<string, unknown> {
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

/** A v1 file is read whole by the store's own reader (changes folded in); its messages are written from memory in batches. */
const V1_BATCH = 1000;

/**
 * A CardShark v1 file (format "cardshark-chat"): read by the store's full reader, changes folded
 * in. Our own export, so it is read whole (unlike a foreign chat, which is read in blocks).
 */
async function parseV1(file: SourceFile, ctx: ReadContext): Promise<ParsedSource | null> {
  const probeBuf = Buffer.alloc(203);
  const n = await file.source.read(probeBuf, 0);
  const start = probeBuf[0] === 0xef && probeBuf[1] === 0xbb && probeBuf[2] === 0xbf ? 3 : 0;
  const probe = probeBuf.toString('utf8', start, Math.min(n, start + 200));
  if (!/^\{[^\n]*"format"\s*:\s*"cardshark-chat"/.test(probe) && !/^\{"format":"cardshark-chat"/.test(probe)) return null;
  const all = Buffer.allocUnsafe(file.source.size);
  let got = 0;
  while (got < all.length) {
    const r = await file.source.read(all.subarray(got), got);
    if (r === 0) break;
    got += r;
  }
  const bytes = all.subarray(0, got);
  const hash = createHash('sha256');
  for (let at = 0; at < bytes.length; at += 1 << 20) {
    hash.update(bytes.subarray(at, at + (1 << 20)));
    await ctx.slicer.maybeTurn();
  }
  const sha256 = hash.digest('hex');
  const parsed = await runSliced(v1Steps(file.name, bytes.subarray(start), sha256));
  return parsed && { ...parsed, sha256 };
}

function* v1Steps(name: string, buf: Buffer, sha256: string): Steps<Omit<ParsedSource, 'sha256'> | null> {
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
    problems.push({ file: name, line, reason: bad.reason });
    yield;
  }
  const { header } = state;
  const { import: previous, ...rest } = header.metadata;
  const metadata: Record<string, unknown> = { ...rest, import: { ...provenance({ name, sha256 }, 0, 'cardshark-v1', header.chat_id), ...(previous !== undefined ? { previous } : {}) } };
  const messages = state.messages as MessageRecord[];
  const speaker = speakerOf(messages);
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
        // Lines of a v1 file's messages are not tracked (its changes are folded in): a refused one is line 0.
        async *batches(refuse) {
          for (let i = 0; i < messages.length; i += V1_BATCH) {
            const batch = messages.slice(i, i + V1_BATCH);
            if (!refuse) yield batch;
            else
              yield batch.filter((m) => {
                const reason = refuse(m);
                if (reason) problems.push({ file: name, line: 0, reason });
                return !reason;
              });
          }
          problems.sort((a, b) => a.line - b.line);
        },
        ...(speaker ? { speaker } : {}),
        problems,
      },
    ],
    problems: [],
  };
}

function speakerOf(messages: MessageRecord[]): string | undefined {
  return messages.find((m) => m.role === 'assistant' && m.name)?.name;
}

// Parsing, classifying and applying the records of a chat file.
import { ChangeRecord, HeaderRecord, MessageRecord, type Message, type MessageOp } from '../../shared/chat-format.ts';
import { recordFromJson } from './fast-parse.ts';
import { warmParser } from './warm-parse.ts';

// Every value parsed here is JSON.parse's: the direct checks of fast-parse.ts apply.
const parseChange = warmParser(ChangeRecord, recordFromJson.change);
const parseMessage = warmParser(MessageRecord, recordFromJson.message);
const parseHeaderRecord = warmParser(HeaderRecord, recordFromJson.header);

export type ParsedRecord =
  | { kind: 'message'; rec: MessageRecord }
  | { kind: 'op'; rec: MessageOp }
  | { kind: 'meta'; rec: Extract<ChangeRecord, { op: 'meta' }> }
  | { kind: 'invalid'; reason: string };

function firstIssue(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'record'}: ${issue.message}` : 'invalid record';
}

/** Validates one record line with zod. Never throws. */
export function parseRecord(text: string): ParsedRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'invalid', reason: 'not valid JSON' };
  }
  if (typeof value === 'object' && value !== null && 'op' in value) {
    const r = parseChange(value);
    if (!r.success) return { kind: 'invalid', reason: firstIssue(r.error) };
    return r.data.op === 'meta' ? { kind: 'meta', rec: r.data } : { kind: 'op', rec: r.data };
  }
  const r = parseMessage(value);
  return r.success ? { kind: 'message', rec: r.data } : { kind: 'invalid', reason: firstIssue(r.error) };
}

export type ParsedHeader = { ok: true; header: HeaderRecord } | { ok: false; reason: string };

export function parseHeader(text: string): ParsedHeader {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return { ok: false, reason: 'header line is not valid JSON' };
  }
  const r = parseHeaderRecord(value);
  return r.success ? { ok: true, header: r.data } : { ok: false, reason: `header ${firstIssue(r.error)}` };
}

export function serialize(rec: object): string {
  return `${JSON.stringify(rec)}\n`;
}

/** Turns a stored first appearance into the message handed out, repairing what is safe to repair. */
export function toMessage(rec: MessageRecord): Message {
  const msg = { ...rec } as Message;
  if (msg.swipes) {
    const last = msg.swipes.length - 1;
    if (msg.swipe_id === undefined || msg.swipe_id > last) msg.swipe_id = Math.min(msg.swipe_id ?? last, last);
  }
  return msg;
}

/** Applies one change to a message, in place. A delete is handled by the caller. */
export function applyOp(msg: Message, op: MessageOp): void {
  switch (op.op) {
    case 'edit':
      if (op.content !== undefined) {
        msg.content = op.content;
        if (msg.swipes && msg.swipe_id !== undefined) msg.swipes = msg.swipes.map((s, i) => (i === msg.swipe_id ? op.content! : s));
      }
      if (op.status !== undefined) msg.status = op.status;
      if (op.name !== undefined) msg.name = op.name;
      if (op.extra !== undefined) msg.extra = { ...msg.extra, ...op.extra };
      if (op.hidden !== undefined) msg.hidden = op.hidden;
      break;
    case 'swipe_add':
      msg.swipes = [...(msg.swipes ?? [msg.content]), op.content];
      msg.swipe_id = msg.swipes.length - 1;
      msg.content = op.content;
      if (op.status !== undefined) msg.status = op.status;
      break;
    case 'append_text':
      msg.content += op.text;
      if (msg.swipes && msg.swipe_id !== undefined) msg.swipes = msg.swipes.map((s, i) => (i === msg.swipe_id ? msg.content : s));
      if (op.status !== undefined) msg.status = op.status;
      break;
    case 'swipe_select': {
      const text = msg.swipes?.[op.index];
      if (text === undefined) return; // refused at write time; a hand-edited file may still hold one
      msg.swipe_id = op.index;
      msg.content = text;
      break;
    }
    case 'delete':
      return;
  }
  msg.edited = op.timestamp;
}

/**
 * Cheap classification of a line without JSON.parse, for the index scan. Anything the fast path
 * cannot prove gets the full parse, so both agree on the kind, id and op that JSON.parse reads.
 * Whether zod accepts a fast-classified line is checked when it is materialised: a line it
 * rejects is then quarantined and skipped, as the full parse skips it.
 */
export type Sniffed =
  | { kind: 'message'; id: string }
  | { kind: 'op'; op: MessageOp['op']; id: string }
  | { kind: 'meta'; title?: string; metadata?: Record<string, unknown> }
  | { kind: 'blank' }
  | { kind: 'invalid'; reason: string };

const ID_PREFIX = Buffer.from('{"id":"');
const OP_PREFIX = Buffer.from('{"op":"');
const ID_AFTER_OP = Buffer.from('","id":"');
const ID_TOKEN = Buffer.from('"id"');
const OP_TOKEN = Buffer.from('"op"');
const UNICODE_ESCAPE = Buffer.from('\\u');
const QUOTE = 0x22;
/** Exactly MessageId's rule: a sniffed id is one zod accepts, and has no escapes to decode. */
const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const ID_MAX = 128;
/** Deletes are rare and hide a message: they always get the full validation. */
const FAST_OPS = new Set<string>(['edit', 'swipe_add', 'swipe_select']);

/**
 * Our writer puts `id` (messages) or `op` then `id` (changes) first. That prefix is what
 * JSON.parse reads only if neither key occurs again: JSON.parse keeps the *last* duplicate key.
 * A key can only be spelled `"id"`/`"op"` raw (inside a string every quote is escaped, so such a
 * token is a string of its own) or with a `\u` escape (`"o\u0070"`): a line with either after
 * the prefix, or with any `\u` at all, goes to the full parse.
 */
function sniffFast(buf: Buffer, block?: BlockTokens, base = 0): Sniffed | null {
  if (block ? block.hasEscape(base, base + buf.length) : buf.indexOf(UNICODE_ESCAPE) !== -1) return null;
  let idStart: number;
  let op: string | undefined;
  if (buf.subarray(0, ID_PREFIX.length).equals(ID_PREFIX)) {
    idStart = ID_PREFIX.length;
  } else if (buf.subarray(0, OP_PREFIX.length).equals(OP_PREFIX)) {
    const opEnd = buf.indexOf(QUOTE, OP_PREFIX.length);
    if (opEnd === -1) return null;
    op = buf.toString('latin1', OP_PREFIX.length, opEnd);
    if (!FAST_OPS.has(op) || !buf.subarray(opEnd, opEnd + ID_AFTER_OP.length).equals(ID_AFTER_OP)) return null;
    idStart = opEnd + ID_AFTER_OP.length;
  } else {
    return null;
  }
  const idEnd = buf.indexOf(QUOTE, idStart);
  if (idEnd === -1) return null;
  const id = buf.toString('latin1', idStart, idEnd);
  if (id.length > ID_MAX || !PLAIN_ID.test(id) || (buf[idEnd + 1] !== 0x2c && buf[idEnd + 1] !== 0x7d)) return null; // `,` or `}` next
  // No second id or op key: a message line must have no op at all, a change no second one.
  if (buf.indexOf(ID_TOKEN, idEnd + 1) !== -1) return null;
  if (block ? block.hasOpToken(base + idEnd + 1, base + buf.length) : buf.indexOf(OP_TOKEN, idEnd + 1) !== -1) return null;
  return op === undefined ? { kind: 'message', id } : { kind: 'op', op: op as MessageOp['op'], id };
}

/** Kind, id and op of a line as the full parse (JSON.parse + zod) decides them. */
export function classify(parsed: ParsedRecord): Exclude<Sniffed, { kind: 'blank' }> {
  switch (parsed.kind) {
    case 'message':
      return { kind: 'message', id: parsed.rec.id };
    case 'op':
      return { kind: 'op', op: parsed.rec.op, id: parsed.rec.id };
    case 'meta':
      return { kind: 'meta', ...(parsed.rec.title !== undefined ? { title: parsed.rec.title } : {}), ...(parsed.rec.metadata ? { metadata: parsed.rec.metadata } : {}) };
    case 'invalid':
      return parsed;
  }
}

/**
 * Where a block of lines holds `\u` escapes and `"op"` tokens: both are rare in a chat file, so
 * finding them once per block instead of once per line keeps the index scan cheap.
 */
export class BlockTokens {
  private readonly escapes: number[];
  private readonly opTokens: number[];

  private constructor(escapes: number[], opTokens: number[]) {
    this.escapes = escapes;
    this.opTokens = opTokens;
  }

  static find(block: Buffer): BlockTokens {
    const all = (needle: Buffer) => {
      const at: number[] = [];
      for (let i = block.indexOf(needle); i !== -1; i = block.indexOf(needle, i + 1)) at.push(i);
      return at;
    };
    return new BlockTokens(all(UNICODE_ESCAPE), all(OP_TOKEN));
  }

  hasEscape(from: number, to: number): boolean {
    return anyWithin(this.escapes, from, to);
  }

  hasOpToken(from: number, to: number): boolean {
    return anyWithin(this.opTokens, from, to);
  }
}

/** Whether the sorted positions hold one in [from, to): a binary search. */
function anyWithin(sorted: number[], from: number, to: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < from) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo]! < to;
}

/**
 * Kind, id and op of one line. `block` and `base`: the block the line was cut from (with its
 * tokens found by BlockTokens.find) and where the line starts in it; the answer is the same.
 */
export function sniff(buf: Buffer, block?: BlockTokens, base = 0): Sniffed {
  if (buf.length === 0 || (buf.length === 1 && buf[0] === 0x0d)) return { kind: 'blank' };
  return sniffFast(buf, block, base) ?? classify(parseRecord(buf.toString('utf8')));
}

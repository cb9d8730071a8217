// Parsing, classifying and applying the records of a chat file.
import { ChangeRecord, HeaderRecord, MessageRecord, type Message, type MessageOp } from '../../shared/chat-format.ts';

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
    const r = ChangeRecord.safeParse(value);
    if (!r.success) return { kind: 'invalid', reason: firstIssue(r.error) };
    return r.data.op === 'meta' ? { kind: 'meta', rec: r.data } : { kind: 'op', rec: r.data };
  }
  const r = MessageRecord.safeParse(value);
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
  const r = HeaderRecord.safeParse(value);
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
 * Cheap classification of a line we serialised ourselves, without JSON.parse: our writer
 * always puts `op` (changes) or `id` (messages) first. Anything else falls back to a full parse.
 */
const ID_PREFIX = Buffer.from('{"id":"');
const OP_PREFIX = Buffer.from('{"op":"');

export type Sniffed =
  | { kind: 'message'; id: string }
  | { kind: 'op'; op: MessageOp['op']; id: string }
  | { kind: 'meta'; title?: string }
  | { kind: 'blank' }
  | { kind: 'invalid'; reason: string };

const SIMPLE_ID = /^[A-Za-z0-9_.-]+$/;

const OP_KEY = Buffer.from('"op":');

export function sniff(buf: Buffer): Sniffed {
  if (buf.length === 0 || (buf.length === 1 && buf[0] === 0x0d)) return { kind: 'blank' };
  // Inside a JSON string a quote is escaped, so a raw `"op":` can only be a key: such an
  // id-first line (another tool's key order, or an op key in extra) gets the full parse.
  if (buf.subarray(0, ID_PREFIX.length).equals(ID_PREFIX) && buf.indexOf(OP_KEY) === -1) {
    const end = buf.indexOf(0x22, ID_PREFIX.length);
    const id = end > 0 ? buf.toString('latin1', ID_PREFIX.length, end) : '';
    if (SIMPLE_ID.test(id)) return { kind: 'message', id };
  } else if (buf.subarray(0, OP_PREFIX.length).equals(OP_PREFIX)) {
    const opEnd = buf.indexOf(0x22, OP_PREFIX.length);
    const op = buf.toString('latin1', OP_PREFIX.length, opEnd);
    const idKey = '","id":"';
    if (op !== 'meta' && buf.toString('latin1', opEnd, opEnd + idKey.length) === idKey) {
      const idStart = opEnd + idKey.length;
      const id = buf.toString('latin1', idStart, buf.indexOf(0x22, idStart));
      // Deletes are rare and hide a message: they always get the full validation below.
      if ((op === 'edit' || op === 'swipe_add' || op === 'swipe_select') && SIMPLE_ID.test(id)) return { kind: 'op', op, id };
    }
  }
  const parsed = parseRecord(buf.toString('utf8'));
  switch (parsed.kind) {
    case 'message':
      return { kind: 'message', id: parsed.rec.id };
    case 'op':
      return { kind: 'op', op: parsed.rec.op, id: parsed.rec.id };
    case 'meta':
      return parsed.rec.title !== undefined ? { kind: 'meta', title: parsed.rec.title } : { kind: 'meta' };
    case 'invalid':
      return parsed;
  }
}

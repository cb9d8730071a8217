// The text of a branch: a new chat holding a parent chat's history up to one message (inclusive).
// It is built from the parent's own bytes, line by line, without parsing what our writer made:
// every line of a message kept (its first appearance, its changes, tombstones of deleted ones) is
// carried over byte for byte, the lines of messages after the branch point are left out, and the
// parent's meta records (renames, metadata changes) are folded into the branch's new header. So a
// branch reads exactly as the parent read up to that message, and costs one read, one scan and one
// atomic write (no JSON round trip of 100,000 messages).
import { randomUUID } from 'node:crypto';
import { FORMAT_NAME, FORMAT_VERSION, LIMITS, PREVIEW_CHARS, type HeaderRecord, type Message } from '../../shared/chat-format.ts';
import type { PreparedImport } from './import-chat.ts';
import { parseRecord, serialize } from './records.ts';

/** Where a branch came from: kept in its header's metadata (`branch_of`), so it survives restarts and copies. */
export interface BranchLink {
  chatId: string;
  messageId: string;
  /** The parent's title when the branch was made (the parent may since be renamed or deleted). */
  title: string;
}

/** Metadata keys of an import that a branch must not inherit (the branch is not that import). */
const NOT_INHERITED = ['imported_from', 'imported_sha256', 'import'];

/** The branch link a chat's header metadata states, if any (a hand-edited one that is malformed is ignored). */
export function branchLinkOf(metadata: Record<string, unknown> | undefined): BranchLink | undefined {
  const b = metadata?.branch_of;
  if (typeof b !== 'object' || b === null) return undefined;
  const { chat_id: chatId, message_id: messageId, title } = b as Record<string, unknown>;
  if (typeof chatId !== 'string' || typeof messageId !== 'string') return undefined;
  return { chatId, messageId, title: typeof title === 'string' ? title : '' };
}

const NL = 0x0a;
/** `{"id":"` : a message line our writer made. */
const ID_FIRST = Buffer.from('{"id":"');
/** `{"op":"<name>","id":"<id>"`: a change our writer made (key order of message-writes.ts). */
const OP_PREFIX = /^\{"op":"(?:edit|swipe_add|swipe_select|delete|append_text)","id":"([A-Za-z0-9_.-]+)"/;

function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > buf.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

export interface BranchInput {
  /** The parent's bytes, header line first (without a torn tail). */
  bytes: Buffer;
  parent: HeaderRecord;
  /** Live messages after the branch point: their lines are left out. */
  drop: ReadonlySet<string>;
  /** The message branched from: the branch's newest. */
  at: Message;
  /** Live messages of the parent now (its summary): the branch holds this many less `drop`. */
  parentCount: number;
  title?: string;
  now: number;
}

/** The whole branch file and its summary facts, in the shape an import writes (ChatWrites.writeWholeChat). */
export function branchText(input: BranchInput): PreparedImport {
  const { bytes, parent, drop, at, now } = input;
  // Nothing to leave out (a branch at the newest message): message lines need not even be read.
  const keepAllMessages = drop.size === 0;
  const headerEnd = bytes.indexOf(NL);
  let title = parent.title;
  const metadata: Record<string, unknown> = { ...parent.metadata };
  // Kept byte ranges of the parent (subarrays: no copy until the one final concat).
  const parts: Buffer[] = [];
  let runStart = -1;
  let off = headerEnd === -1 ? bytes.length : headerEnd + 1;
  const flush = (end: number) => {
    if (runStart !== -1 && end > runStart) parts.push(bytes.subarray(runStart, end));
    runStart = -1;
  };
  while (off < bytes.length) {
    let nl = bytes.indexOf(NL, off);
    if (nl === -1) nl = bytes.length;
    let keep = keepAllMessages && startsWith(bytes, off, ID_FIRST);
    if (!keep) {
      const id = lineId(bytes, off, nl, (meta) => {
        if (meta.title !== undefined) title = meta.title;
        if (meta.metadata) Object.assign(metadata, meta.metadata);
      });
      keep = id !== null && !drop.has(id);
    }
    if (keep) {
      if (runStart === -1) runStart = off;
    } else flush(off);
    off = nl + 1;
  }
  flush(Math.min(off, bytes.length));
  // A last line without its newline (the parent's own, complete) gets one.
  const body = parts.length && parts[parts.length - 1]![parts[parts.length - 1]!.length - 1] !== NL ? [...parts, Buffer.from('\n')] : parts;
  for (const k of NOT_INHERITED) delete metadata[k];
  metadata.branch_of = { chat_id: parent.chat_id, message_id: at.id, title };
  const header: HeaderRecord = {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    chat_id: randomUUID(),
    character_id: parent.character_id,
    timestamp: now,
    title: (input.title ?? `${title} (branch)`).slice(0, LIMITS.titleChars),
    metadata,
  };
  const data = Buffer.concat([Buffer.from(serialize(header)), ...body]);
  const messageCount = input.parentCount - drop.size;
  const lastStamp = at.edited ?? at.timestamp;
  return { header, data, messageCount, preview: at.content.slice(0, PREVIEW_CHARS), updated: Math.max(now, lastStamp), lastId: at.id, lastStamp };
}

/**
 * What a line is about: a message line or a change names its id (from its first bytes when our
 * writer made it, else parsed in full); a meta record is folded (`onMeta`) and not carried; an
 * empty or invalid line is not carried (null).
 */
function lineId(bytes: Buffer, start: number, end: number, onMeta: (m: { title?: string; metadata?: Record<string, unknown> }) => void): string | null {
  if (startsWith(bytes, start, ID_FIRST)) {
    const close = bytes.indexOf(0x22, start + ID_FIRST.length);
    if (close !== -1 && close < end) return bytes.toString('latin1', start + ID_FIRST.length, close);
  }
  if (bytes[start] === 0x7b && bytes[start + 1] === 0x22 && bytes[start + 2] === 0x6f) {
    const m = OP_PREFIX.exec(bytes.toString('latin1', start, Math.min(end, start + 256)));
    if (m) return m[1]!;
  }
  const text = bytes.toString('utf8', start, end).replace(/\r$/, '');
  if (text.length === 0) return null;
  const rec = parseRecord(text);
  if (rec.kind === 'message' || rec.kind === 'op') return rec.rec.id;
  if (rec.kind === 'meta') onMeta(rec.rec);
  return null;
}

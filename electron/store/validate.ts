// Validation of one chat file, in full and forward, and the repair plan that follows from it.
// Pure: a Buffer in, a report (and the repaired text) out. The store (repair.ts) does the I/O:
// quarantine first, backup, then an atomic rewrite.
//
// A repair never drops a byte it could keep: every line it does not carry over verbatim goes to
// quarantine (with its line number and byte range), and the whole original goes to a backup.
import { FORMAT_NAME, FORMAT_VERSION, type HeaderRecord } from '../../shared/chat-format.ts';
import { parseHeader, parseRecord, serialize } from './records.ts';

export type ProblemKind =
  | 'empty_file'
  | 'bad_header'
  | 'missing_header'
  | 'header_chat_id'
  | 'future_version'
  | 'bom'
  | 'crlf'
  | 'torn_tail'
  | 'invalid_line'
  | 'invalid_utf8'
  | 'duplicate_id'
  | 'orphan_change'
  | 'nothing_salvageable';

/** error: data is unreadable or ambiguous; notice: tolerated by readers, normalised by a repair. */
export type Severity = 'error' | 'notice';

export interface Problem {
  kind: ProblemKind;
  severity: Severity;
  /** 1-based line number in the file. */
  line: number;
  /** Byte range [start, end) of the line (without its newline). */
  start: number;
  end: number;
  message: string;
  /** What a repair does about it. */
  repair: string;
}

export interface ValidationReport {
  chatId: string;
  characterId: string;
  /** No problem of severity `error`. */
  ok: boolean;
  /** A newer format version: readable, never written (repair refuses). */
  readOnly: boolean;
  bytes: number;
  lines: number;
  /** Live messages a load shows now (or after a repair, for a header that must be rebuilt). */
  messageCount: number;
  problems: Problem[];
  /** Whether `repair` would rewrite the file. */
  repairable: boolean;
  /** One line per action, in order: what a repair would do. */
  plan: string[];
}

export interface RepairPlan {
  report: ValidationReport;
  /** The file a repair writes, or null when nothing is to be done (or it must not be written). */
  text: string | null;
  /** Byte ranges to copy to quarantine before the rewrite. */
  quarantine: { offset: number; bytes: Buffer; line: number; kind: ProblemKind }[];
}

const NL = 0x0a;
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(b: Buffer): boolean {
  try {
    fatalUtf8.decode(b);
    return true;
  } catch {
    return false;
  }
}

interface Line {
  no: number;
  start: number;
  end: number;
  bytes: Buffer;
  text: string;
  terminated: boolean;
}

function* lines(buf: Buffer): Generator<Line> {
  let off = 0;
  let no = 0;
  while (off < buf.length) {
    const nl = buf.indexOf(NL, off);
    const end = nl === -1 ? buf.length : nl;
    no++;
    const bytes = buf.subarray(off, end);
    yield { no, start: off, end, bytes, text: bytes.toString('utf8'), terminated: nl !== -1 };
    off = end + 1;
  }
}

/**
 * Validates a chat file and plans its repair. `chatId` and `characterId` are the file name and
 * its folder: a rebuilt header takes them from there. `now` stamps a rebuilt header.
 */
export function planRepair(buf: Buffer, ctx: { chatId: string; characterId: string; now: number }): RepairPlan {
  const problems: Problem[] = [];
  const quarantine: RepairPlan['quarantine'] = [];
  const plan: string[] = [];
  const add = (p: Problem, keep?: Buffer) => {
    problems.push(p);
    if (keep) quarantine.push({ offset: p.start, bytes: Buffer.from(keep), line: p.line, kind: p.kind });
  };
  const wholeUtf8 = isValidUtf8(buf);
  const all = [...lines(buf)];
  const out: string[] = [];
  let header: HeaderRecord | null = null;
  let readOnly = false;
  let crlf = 0;

  if (buf.length === 0) {
    add({ kind: 'empty_file', severity: 'error', line: 1, start: 0, end: 0, message: 'the file is empty (no header)', repair: 'a header is rebuilt from the file name and folder' });
  }

  let first = 0;
  const head = all[0];
  if (head) {
    let text = head.text;
    if (text.charCodeAt(0) === 0xfeff) {
      add({ kind: 'bom', severity: 'notice', line: 1, start: 0, end: 3, message: 'a byte-order mark precedes the header', repair: 'the mark is dropped' });
      text = text.slice(1);
    }
    if (text.endsWith('\r')) text = text.slice(0, -1);
    const parsed = head.terminated || all.length === 1 ? parseHeader(text) : ({ ok: false, reason: '' } as const);
    if (parsed.ok && parsed.header.chat_id !== ctx.chatId) {
      add({ kind: 'header_chat_id', severity: 'error', line: 1, start: head.start, end: head.end, message: `the header names chat ${parsed.header.chat_id}, not ${ctx.chatId} (the file name)`, repair: 'the header is rebuilt with the file name; the original header goes to quarantine' }, head.bytes);
      first = 1;
    } else if (parsed.ok) {
      header = parsed.header;
      first = 1;
      if (header.version > FORMAT_VERSION) {
        readOnly = true;
        add({ kind: 'future_version', severity: 'notice', line: 1, start: head.start, end: head.end, message: `format version ${header.version} is newer than this app knows (${FORMAT_VERSION}): read-only`, repair: 'none: a newer format is never rewritten' });
      }
    } else {
      // Not a header. If it is a message record, the header is missing and this line is kept.
      const rec = parseRecord(text);
      if (rec.kind !== 'invalid' && head.terminated) {
        add({ kind: 'missing_header', severity: 'error', line: 1, start: head.start, end: head.start, message: 'the file has no header: its first line is a record', repair: 'a header is rebuilt from the file name, the folder and the messages' });
      } else {
        const reason = parsed.ok ? '' : parsed.reason || 'the header line is incomplete';
        add({ kind: 'bad_header', severity: 'error', line: 1, start: head.start, end: head.end, message: `the header cannot be read (${reason})`, repair: 'the header is rebuilt from the file name, the folder and the messages; the original bytes go to quarantine' }, head.bytes);
        first = 1;
      }
    }
  }

  // Records, forward, with the reader's rules (readFullState): who is live, what is an orphan.
  const firstSeen = new Map<string, { line: number; text: string }>();
  const live = new Set<string>();
  const deleted = new Set<string>();
  let minTime = Infinity;
  let salvaged = 0;
  for (let i = first; i < all.length; i++) {
    const l = all[i]!;
    let text = l.text;
    if (text.endsWith('\r')) {
      crlf ||= l.no;
      text = text.slice(0, -1);
    }
    if (text.trim().length === 0 && l.bytes.every((b) => b === 0x20 || b === 0x0d || b === 0x09)) continue; // blank: tolerated, dropped by a rewrite
    const badUtf8 = !wholeUtf8 && !isValidUtf8(l.bytes);
    const rec = parseRecord(text);
    if (rec.kind === 'invalid') {
      const torn = !l.terminated;
      add(
        {
          kind: torn ? 'torn_tail' : 'invalid_line',
          severity: 'error',
          line: l.no,
          start: l.start,
          end: l.end,
          message: torn ? `the last line is incomplete (${l.bytes.length} bytes, ${rec.reason})` : `line ${l.no} cannot be read (${badUtf8 ? 'invalid UTF-8; ' : ''}${rec.reason})`,
          repair: torn ? 'cut off; its bytes go to quarantine' : 'dropped from the file; its bytes go to quarantine',
        },
        l.bytes,
      );
      continue;
    }
    if (badUtf8) {
      // Readable once the bad bytes are read as U+FFFD: keep the message, quarantine the original bytes.
      add({ kind: 'invalid_utf8', severity: 'error', line: l.no, start: l.start, end: l.end, message: `line ${l.no} holds bytes that are not UTF-8`, repair: 'kept with the bad bytes replaced by U+FFFD; the original bytes go to quarantine' }, l.bytes);
    }
    // A line repeated byte for byte is kept: readers apply it again (two identical checkpoints of a
    // streamed reply, two equal swipes in one millisecond), and a repair keeps what readers show.
    minTime = Math.min(minTime, rec.rec.timestamp);
    if (rec.kind === 'message') {
      const prev = firstSeen.get(rec.rec.id);
      if (prev) {
        add({ kind: 'duplicate_id', severity: 'error', line: l.no, start: l.start, end: l.end, message: `message id ${rec.rec.id} first appears again (line ${prev.line} and line ${l.no})`, repair: `the later line keeps the id, as every reader shows it; the earlier one (line ${prev.line}) goes to quarantine and is dropped` });
        const earlier = all[prev.line - 1]!;
        quarantine.push({ offset: earlier.start, bytes: Buffer.from(earlier.bytes), line: prev.line, kind: 'duplicate_id' });
        const at = out.indexOf(prev.text);
        if (at !== -1) out.splice(at, 1);
      }
      firstSeen.set(rec.rec.id, { line: l.no, text });
      if (!deleted.has(rec.rec.id)) live.add(rec.rec.id);
    } else if (rec.kind === 'op') {
      if (rec.rec.op === 'delete') {
        live.delete(rec.rec.id);
        deleted.add(rec.rec.id);
      } else if (!firstSeen.has(rec.rec.id)) {
        add({ kind: 'orphan_change', severity: 'notice', line: l.no, start: l.start, end: l.end, message: `line ${l.no} changes message ${rec.rec.id} before it exists; readers ignore it`, repair: 'dropped from the file (readers ignore it); its bytes go to quarantine' }, l.bytes);
        continue;
      }
    }
    salvaged++;
    out.push(text);
  }
  if (crlf) {
    const at = all[crlf - 1]!;
    add({ kind: 'crlf', severity: 'notice', line: crlf, start: at.end - 1, end: at.end, message: `lines end with CRLF (first at line ${crlf})`, repair: 'rewritten with LF' });
  }

  const needsHeader = header === null;
  if (needsHeader && salvaged === 0) {
    add({ kind: 'nothing_salvageable', severity: 'error', line: 1, start: 0, end: buf.length, message: 'no header and no readable record: nothing can be salvaged', repair: 'the original is kept in quarantine; an empty chat takes its place; restore a backup if there is one' });
    if (buf.length > 0 && !quarantine.some((q) => q.offset === 0 && q.bytes.length === buf.length)) quarantine.push({ offset: 0, bytes: Buffer.from(buf), line: 1, kind: 'nothing_salvageable' });
  }

  const errors = problems.filter((p) => p.severity === 'error');
  const changes = problems.length > 0;
  let text: string | null = null;
  if (!readOnly && changes) {
    const h: HeaderRecord = header
      ? header
      : {
          format: FORMAT_NAME,
          version: FORMAT_VERSION,
          chat_id: ctx.chatId,
          character_id: ctx.characterId,
          timestamp: Number.isFinite(minTime) ? minTime : ctx.now,
          title: `Recovered chat ${new Date(ctx.now).toISOString().slice(0, 10)}`,
          metadata: { recovered_at: ctx.now },
        };
    // A valid header is carried over byte for byte (minus a BOM/CR); a rebuilt one is serialised.
    const headLine = header ? (all[0]!.text.replace(/^\uFEFF/, '').replace(/\r$/, '')) : serialize(h).slice(0, -1);
    text = [headLine, ...out].join('\n') + '\n';
  }
  for (const p of problems) plan.push(`line ${p.line}: ${p.repair}`);
  if (text !== null) plan.unshift('back up the whole file first');
  if (readOnly && errors.length) plan.push('no repair: the format version is newer than this app');

  return {
    report: {
      chatId: ctx.chatId,
      characterId: ctx.characterId,
      ok: errors.length === 0,
      readOnly,
      bytes: buf.length,
      lines: all.length,
      messageCount: live.size,
      problems,
      repairable: text !== null,
      plan,
    },
    text,
    quarantine,
  };
}

export function validateBuffer(buf: Buffer, ctx: { chatId: string; characterId: string; now?: number }): ValidationReport {
  return planRepair(buf, { ...ctx, now: ctx.now ?? Date.now() }).report;
}

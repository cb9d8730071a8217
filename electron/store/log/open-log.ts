// Opening a chat file: its header line, the time of its newest record, and the repair of a torn
// last line. The store's own crash or a full disk can only damage the last line: it is
// quarantined, then cut off. But only if the store wrote it (the caller decides, see
// chats/own-states.ts): a torn last line of another program, which may still be writing it, is
// reported and kept, and the chat is read-only until the line is complete.
import { FORMAT_VERSION, type HeaderRecord, type ReadOnlyReason } from '../../../shared/chat-format.ts';
import { quarantineBytes } from '../quarantine.ts';
import { parseHeader, parseRecord } from '../records.ts';
import type { ChatMemo } from './chat-memo.ts';
import { BLOCK, NL, type FileState, type LogFile } from './log-file.ts';

/** Whether the torn last line that starts at `tailStart` in the file as opened (`file`) is the store's own. */
export type TornTailIsOwn = (file: FileState, tailStart: number) => boolean;

/** The reader refuses a longer header line (and compaction never writes one). */
export const HEADER_MAX = 1024 * 1024;

export type ChatStatus = 'ok' | 'read_only' | 'corrupt';

/** What opening found; the file's own fields (identity, sizes, header end) are set on the LogFile. */
export interface OpenedLog {
  header: HeaderRecord | null;
  status: ChatStatus;
  statusReason: string;
  /** Why a read_only chat is read-only (the first cause found: a newer format outranks a torn line it keeps). */
  readOnlyReason?: ReadOnlyReason;
  /** Where the backward index starts: the end of the complete records (0 for a corrupt file). */
  scanStart: number;
  /** Timestamp of the file's last record (its newest); 0 if it is unreadable. */
  lastRecordTime: number;
  /** A torn last line: none, cut off (the store's own), or kept (another program's, or a read-only chat's). */
  tornTail: 'none' | 'cut' | 'kept';
}

/** Opens the file's read handle (on `file`, which the caller closes if this throws) and reads what a log needs to start. */
export async function openLogFile(file: LogFile, memo: ChatMemo, quarantineDir: string, tornTailIsOwn: TornTailIsOwn): Promise<OpenedLog> {
  const opened: OpenedLog = { header: null, status: 'ok', statusReason: '', scanStart: 0, lastRecordTime: 0, tornTail: 'none' };
  const markCorrupt = (reason: string): OpenedLog => {
    opened.status = 'corrupt';
    opened.statusReason = reason;
    return opened;
  };
  file.reader = await file.fs.open(file.path, 'r');
  const st = await file.reader.stat({ bigint: true });
  file.dev = st.dev;
  file.ino = st.ino;
  file.mtimeNs = st.mtimeNs;
  file.size = file.fileSize = Number(st.size);
  // Most headers are short: read a little first, up to HEADER_MAX only for a long one.
  let head = await file.read(0, Math.min(file.size, 16 * 1024));
  if (head.indexOf(NL) === -1 && head.length < file.size) head = await file.read(0, Math.min(file.size, HEADER_MAX));
  const nl = head.indexOf(NL);
  const headerText = head.toString('utf8', 0, nl === -1 ? head.length : nl);
  if (nl === -1 && file.size > HEADER_MAX) return markCorrupt('the header line is longer than 1 MiB');
  const parsed = parseHeader(headerText.replace(/\r$/, ''));
  if (!parsed.ok) return markCorrupt(file.size === 0 ? 'the file is empty' : parsed.reason);
  if (parsed.header.chat_id !== file.chatId) return markCorrupt(`the header names chat ${parsed.header.chat_id}, not ${file.chatId}`);
  opened.header = parsed.header;
  file.headerEnd = nl === -1 ? file.size : nl + 1;
  if (parsed.header.version > FORMAT_VERSION) {
    opened.status = 'read_only';
    opened.readOnlyReason = 'newer_format';
    opened.statusReason = `format version ${parsed.header.version} is newer than this app knows (${FORMAT_VERSION}); opened read-only`;
  }
  await repairTornTail(file, opened, memo, quarantineDir, tornTailIsOwn);
  opened.scanStart = file.size;
  opened.lastRecordTime = await readLastRecordTime(file);
  return opened;
}

/** The newest record is the last line: one short read at open, no scan. 0 if it is unreadable. */
async function readLastRecordTime(file: LogFile): Promise<number> {
  let line: Buffer = Buffer.alloc(0);
  for (let start = file.size, step = 4096; start > file.headerEnd; step = Math.min(step * 4, BLOCK)) {
    const from = Math.max(file.headerEnd, start - step);
    line = Buffer.concat([await file.read(from, start - from), line]);
    // The file's final newline ends the last line (the first read holds it: no read of its own).
    if (start === file.size && line[line.length - 1] === NL) line = line.subarray(0, -1);
    start = from;
    const nl = line.lastIndexOf(NL);
    if (nl !== -1) {
      line = line.subarray(nl + 1);
      break;
    }
  }
  const rec = line.length ? parseRecord(line.toString('utf8')) : null;
  return rec && rec.kind !== 'invalid' ? rec.rec.timestamp : 0;
}

/** A crash or a full disk can only damage the last line: keep it in quarantine, then cut it off if the store wrote it. */
async function repairTornTail(file: LogFile, opened: OpenedLog, memo: ChatMemo, quarantineDir: string, tornTailIsOwn: TornTailIsOwn): Promise<void> {
  if (file.size === file.headerEnd) {
    file.endsWithNewline = file.headerEnd === 0 || (await file.read(file.size - 1, 1))[0] === NL;
    return;
  }
  if ((await file.read(file.size - 1, 1))[0] === NL) return;
  let start = file.size;
  let tail: Buffer = Buffer.alloc(0);
  while (start > file.headerEnd) {
    const from = Math.max(file.headerEnd, start - BLOCK);
    tail = Buffer.concat([await file.read(from, start - from), tail]);
    start = from;
    const nl = tail.lastIndexOf(NL);
    if (nl !== -1) {
      tail = tail.subarray(nl + 1);
      start = from + nl + 1;
      break;
    }
  }
  const rec = parseRecord(tail.toString('utf8').replace(/\r$/, ''));
  if (rec.kind !== 'invalid') {
    file.endsWithNewline = false; // complete, only the newline is missing: the next append adds it
    file.unterminatedEnd = file.size;
    return;
  }
  const own = opened.status === 'ok' && tornTailIsOwn(file.state(), start);
  file.size = start;
  opened.tornTail = own ? 'cut' : 'kept';
  if (opened.status === 'ok' && !own) {
    // Not the store's own line: another program wrote it, and may still be writing. Keep its bytes, report, read what is complete.
    opened.status = 'read_only';
    opened.readOnlyReason = 'incomplete_last_line';
    opened.statusReason = 'its last line is incomplete and was not written by this app (another program may still be writing it); the file was left as it is';
  }
  // A read-only chat keeps its torn tail: report it once, not at every reopening of the log.
  if (opened.status !== 'ok' && memo.quarantined.has(start)) return;
  const quarantinePath = await quarantineBytes(file.fs, quarantineDir, start, tail);
  if (opened.status !== 'ok') memo.quarantined.add(start);
  memo.warnings.push({ kind: 'torn_tail', message: `an incomplete last line (${tail.length} bytes, ${rec.reason}) was moved to quarantine`, offset: start, quarantinePath });
  if (opened.status === 'ok') {
    const fh = await file.fs.open(file.path, 'r+');
    try {
      await fh.truncate(start);
      await fh.sync();
    } finally {
      await fh.close();
    }
    file.fileSize = start;
    // The cut is a write of the store's: what the file looks like now is its own.
    file.mtimeNs = await file.reader!.stat({ bigint: true }).then((st) => st.mtimeNs, () => -1n);
  }
}

// One open chat file: its header, a lazily built offset index of its records, and durable appends.
//
// The index is built backwards from the end of the file, one block at a time, only as far as a
// caller needs: the newest page needs a few KiB, a lookup of an old message or a listing's count
// needs more. Lines are classified cheaply (records.sniff) while indexing and fully validated with
// zod when they are materialised into messages. Nothing read is ever written back, except for a
// torn last line, which is quarantined before it is cut off.
import type { FileHandle } from 'node:fs/promises';
import { FORMAT_VERSION, PREVIEW_CHARS, type HeaderRecord, type LoadWarning, type Message, type MessageOp } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { errnoOf, ioError } from '../durable/durable.ts';
import type { FsSeam } from '../durable/fs-seam.ts';
import { quarantineBytes } from './quarantine.ts';
import { applyOp, BlockTokens, parseHeader, parseRecord, serialize, sniff, toMessage } from './records.ts';

const BLOCK = 256 * 1024;
/** The reader refuses a longer header line (and compaction never writes one). */
export const HEADER_MAX = 1024 * 1024;
const MESSAGE_CACHE = 2_000;
const NL = 0x0a;

interface Ref {
  off: number;
  len: number;
}
interface OpRef extends Ref {
  op: MessageOp['op'];
}
interface Entry {
  id: string;
  /** The newest first appearance not yet found unreadable. */
  base?: Ref;
  /** Older first appearances indexed so far, newest first: the message if `base` proves unreadable. Rare (hand-merged files): absent until needed. */
  older?: Ref[];
  /** Every change naming the id, oldest first; only those after `base` apply (the others are superseded or orphans). */
  ops: OpRef[];
  deleted: boolean;
}

export type ChatStatus = 'ok' | 'read_only' | 'corrupt';

/**
 * What the store remembers about a chat across closing and reopening its log (open logs are
 * bounded): warnings already reported, and offsets already quarantined (durably).
 */
export interface ChatMemo {
  warnings: LoadWarning[];
  quarantined: Set<number>;
  /**
   * Set when the file was changed by another program since the app last wrote it: a torn last
   * line may be one that program is still writing, so it is reported, never truncated.
   */
  external?: boolean;
}

export function newChatMemo(): ChatMemo {
  return { warnings: [], quarantined: new Set() };
}

/** Identity and size of a chat file: what the store last wrote is compared with a stat of the path. */
export interface FileState {
  dev: bigint;
  ino: bigint;
  size: number;
  /** -1n when unknown (then no stat counts as ours). */
  mtimeNs: bigint;
}

export class ChatLog {
  readonly chatId: string;
  readonly characterId: string;
  readonly path: string;
  header: HeaderRecord | null = null;
  status: ChatStatus = 'ok';
  statusReason = '';
  size = 0;
  /** Newest title from a meta record, once one has been seen. */
  title: string | undefined;

  private readonly fs: FsSeam;
  private readonly quarantineDir: string;
  private headerEnd = 0;
  private endsWithNewline = true;
  /** Where the file ended at open when its last line had no newline; an append puts one there. */
  private unterminatedEnd = -1;
  private scanStart = 0;
  private recordCount = 0;
  private readonly entries = new Map<string, Entry>();
  /** Kept up to date as entries change, so a summary after each write costs O(1), not O(chat). */
  private live = 0;
  private tombstones = 0;
  private order: Entry[] = [];
  private readonly cache = new Map<string, Message>();
  private reader: FileHandle | null = null;
  private writer: FileHandle | null = null;
  /** Identity of the file this log has open; the path must still name it before a write. */
  private dev = 0n;
  private ino = 0n;
  /** Bytes of the file on disk (differs from `size` only while a read-only chat's torn tail stays). */
  private fileSize = 0;
  /** The file's mtime after our last read or write: an in-place edit of the same size changes it. */
  private mtimeNs = -1n;

  private readonly memo: ChatMemo;
  /** Timestamp of the file's last record (its newest), read at open and kept as records are appended. */
  private lastRecordTime = 0;

  /** Every warning reported for this chat since the store opened. */
  get warnings(): readonly LoadWarning[] {
    return this.memo.warnings;
  }

  private constructor(fs: FsSeam, chatId: string, characterId: string, path: string, quarantineDir: string, memo: ChatMemo) {
    this.fs = fs;
    this.memo = memo;
    this.chatId = chatId;
    this.characterId = characterId;
    this.path = path;
    this.quarantineDir = quarantineDir;
  }

  static async open(
    fs: FsSeam,
    chatId: string,
    characterId: string,
    path: string,
    quarantineDir: string,
    memo: ChatMemo = newChatMemo(),
  ): Promise<ChatLog> {
    const log = new ChatLog(fs, chatId, characterId, path, quarantineDir, memo);
    try {
      await log.init();
    } catch (e) {
      await log.close();
      throw ioError(e, `reading chat ${chatId}`);
    }
    return log;
  }

  private async init(): Promise<void> {
    this.reader = await this.fs.open(this.path, 'r');
    const st = await this.reader.stat({ bigint: true });
    this.dev = st.dev;
    this.ino = st.ino;
    this.mtimeNs = st.mtimeNs;
    this.size = this.fileSize = Number(st.size);
    const head = await this.read(0, Math.min(this.size, HEADER_MAX));
    const nl = head.indexOf(NL);
    const headerText = head.toString('utf8', 0, nl === -1 ? head.length : nl);
    if (nl === -1 && this.size > HEADER_MAX) return this.markCorrupt('the header line is longer than 1 MiB');
    const parsed = parseHeader(headerText.replace(/\r$/, ''));
    if (!parsed.ok) return this.markCorrupt(this.size === 0 ? 'the file is empty' : parsed.reason);
    if (parsed.header.chat_id !== this.chatId) return this.markCorrupt(`the header names chat ${parsed.header.chat_id}, not ${this.chatId}`);
    this.header = parsed.header;
    this.headerEnd = nl === -1 ? this.size : nl + 1;
    if (parsed.header.version > FORMAT_VERSION) {
      this.status = 'read_only';
      this.statusReason = `format version ${parsed.header.version} is newer than this app knows (${FORMAT_VERSION}); opened read-only`;
    }
    await this.repairTornTail();
    this.scanStart = this.size;
    this.lastRecordTime = await this.readLastRecordTime();
  }

  /** The newest record is the last line: one short read at open, no scan. 0 if it is unreadable. */
  private async readLastRecordTime(): Promise<number> {
    let end = this.size;
    if (end > this.headerEnd && (await this.read(end - 1, 1))[0] === NL) end--;
    let line: Buffer = Buffer.alloc(0);
    for (let start = end, step = 4096; start > this.headerEnd; step = Math.min(step * 4, BLOCK)) {
      const from = Math.max(this.headerEnd, start - step);
      line = Buffer.concat([await this.read(from, start - from), line]);
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

  private markCorrupt(reason: string): void {
    this.status = 'corrupt';
    this.statusReason = reason;
  }

  /** A crash or a full disk can only damage the last line: keep it in quarantine, then cut it off. */
  private async repairTornTail(): Promise<void> {
    if (this.size === this.headerEnd) {
      this.endsWithNewline = this.headerEnd === 0 || (await this.read(this.size - 1, 1))[0] === NL;
      return;
    }
    if ((await this.read(this.size - 1, 1))[0] === NL) return;
    let start = this.size;
    let tail: Buffer = Buffer.alloc(0);
    while (start > this.headerEnd) {
      const from = Math.max(this.headerEnd, start - BLOCK);
      tail = Buffer.concat([await this.read(from, start - from), tail]);
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
      this.endsWithNewline = false; // complete, only the newline is missing: the next append adds it
      this.unterminatedEnd = this.size;
      return;
    }
    this.size = start;
    if (this.status === 'ok' && this.memo.external) {
      // Another program wrote last, and may still be writing: keep its bytes, report, read what is complete.
      this.status = 'read_only';
      this.statusReason = 'its last line is incomplete (another program changed the file and may still be writing it); the file was left as it is';
    }
    // A read-only chat keeps its torn tail: report it once, not at every reopening of the log.
    if (this.status !== 'ok' && this.memo.quarantined.has(start)) return;
    const quarantinePath = await quarantineBytes(this.fs, this.quarantineDir, start, tail);
    if (this.status !== 'ok') this.memo.quarantined.add(start);
    this.memo.warnings.push({ kind: 'torn_tail', message: `an incomplete last line (${tail.length} bytes, ${rec.reason}) was moved to quarantine`, offset: start, quarantinePath });
    if (this.status === 'ok') {
      const fh = await this.fs.open(this.path, 'r+');
      try {
        await fh.truncate(start);
        await fh.sync();
      } finally {
        await fh.close();
      }
      this.fileSize = start;
      this.mtimeNs = -1n;
    }
  }

  private async read(off: number, len: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.reader!.read(buf, got, len - got, off + got);
      if (bytesRead === 0) throw new StoreError('CONFLICT', `chat ${this.chatId} shrank while being read; it was changed outside the app`);
      got += bytesRead;
    }
    return buf;
  }

  /**
   * What the path names now, compared with the file this log read: an editor or sync tool may
   * have saved over it (temp file + rename), deleted it, or another program appended to it.
   * One stat of the path: cheap enough to run before every write and every read operation.
   */
  async pathState(): Promise<'same' | 'replaced' | 'resized' | 'gone'> {
    let st;
    try {
      st = await this.fs.stat(this.path, { bigint: true });
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return 'gone';
      throw e;
    }
    if (st.ino !== this.ino || st.dev !== this.dev) return 'replaced';
    return Number(st.size) === this.fileSize ? 'same' : 'resized';
  }

  /** Refuses a write unless the path still names this log's file, unchanged since it was read. */
  private async assertFileUnchanged(): Promise<void> {
    const state = await this.pathState();
    if (state === 'same') return;
    this.stale = true;
    if (state === 'gone') {
      throw new StoreError('NOT_FOUND', `chat ${this.chatId} was deleted outside the app; nothing was saved`, { chatId: this.chatId });
    }
    const what = state === 'replaced' ? 'replaced by another file' : 'changed';
    throw new StoreError('CONFLICT', `chat ${this.chatId} was ${what} outside the app; nothing was saved. It has been re-read: try again`, { chatId: this.chatId });
  }

  /** The file as this log last read or wrote it. */
  fileState(): FileState {
    return { dev: this.dev, ino: this.ino, size: this.fileSize, mtimeNs: this.mtimeNs };
  }

  /** The bytes of the file as this log knows them, read through its own handle (the old file, after a replace). */
  async ownBytes(): Promise<Buffer> {
    return this.read(0, this.fileSize);
  }

  /** Set once the file on disk is known to differ from what this log read: the store reopens it. */
  stale = false;

  /**
   * The chat's revision: `revision_base` from the header (written by compaction) plus the bytes
   * after the header line. Every write appends at least one byte, so it increases with each write;
   * it is derived from the file alone, in O(1).
   */
  get revision(): number {
    return (this.header?.revision_base ?? 0) + (this.size - this.headerEnd);
  }

  /** The file this log has open: its inode and its size on disk (what the chat index records). */
  get identity(): { ino: string; size: number } {
    return { ino: String(this.ino), size: this.fileSize };
  }

  /** The newest live message, indexing backwards only as far as needed (a summary after a write). */
  async newest(): Promise<Message | null> {
    return (await this.page(1)).messages[0] ?? null;
  }

  get fullyIndexed(): boolean {
    return this.scanStart <= this.headerEnd;
  }

  /** Indexes older lines, a block at a time, until `enough()` or the header is reached. */
  private async scanBackward(enough: () => boolean): Promise<void> {
    // Blocks holding the start of a line that began in an older block; joined once, when the
    // line's beginning is found, so a very long line costs one copy, not one per block.
    let carry: Buffer[] = [];
    let carryLen = 0;
    while (!this.fullyIndexed && !enough()) {
      const end = this.scanStart - carryLen;
      const from = Math.max(this.headerEnd, end - BLOCK);
      const block = await this.read(from, end - from);
      if (from > this.headerEnd && block.indexOf(NL) === -1) {
        carry.unshift(block);
        carryLen += block.length;
        continue;
      }
      const chunk = carryLen ? Buffer.concat([block, ...carry]) : block;
      const batch: Entry[] = [];
      const bad: { off: number; line: Buffer; reason: string }[] = [];
      const tokens = BlockTokens.find(chunk);
      let lineEnd = chunk.length; // exclusive; the chunk ends on a line boundary
      if (chunk[lineEnd - 1] === NL) lineEnd--;
      else if (from + chunk.length !== this.size && from + chunk.length !== this.unterminatedEnd) {
        throw new StoreError('INTERNAL', `index scan of chat ${this.chatId} lost a line boundary at byte ${from + chunk.length}`);
      }
      for (;;) {
        const nl = lineEnd > 0 ? chunk.lastIndexOf(NL, lineEnd - 1) : -1;
        if (nl === -1 && from > this.headerEnd) break; // the line continues in an older block
        const start = nl + 1;
        this.indexLine(from + start, chunk.subarray(start, lineEnd), batch, bad, tokens, start);
        this.scanStart = from + start;
        if (nl === -1) break;
        lineEnd = nl;
      }
      // Keep the unfinished line, with its newline, for the next (older) block.
      const rest = from > this.headerEnd ? chunk.subarray(0, Math.min(lineEnd + 1, chunk.length)) : null;
      carry = rest ? [rest] : [];
      carryLen = rest ? rest.length : 0;
      if (batch.length) this.order = batch.reverse().concat(this.order);
      for (const b of bad) await this.quarantine(b.off, Buffer.from(b.line), b.reason);
    }
  }

  // The only places an entry's liveness changes: they keep `live` and `tombstones` exact.
  private setBase(e: Entry, ref: Ref): void {
    e.base = ref;
    if (!e.deleted) this.live++;
  }
  private markDeleted(e: Entry): void {
    if (e.deleted) return;
    e.deleted = true;
    this.tombstones++;
    if (e.base) this.live--;
  }

  /**
   * The entry's newest first appearance proved unreadable. The full parse (readFullState) skips
   * such a line, so the next older first appearance is the message, at its own place in the order;
   * if none is indexed yet, the scan finds it (or the id turns out not to exist).
   */
  private dropBase(e: Entry): void {
    const at = this.order.indexOf(e);
    if (at !== -1) this.order.splice(at, 1);
    if (!e.deleted) this.live--;
    e.base = undefined;
    const older = e.older?.shift();
    if (!older) return;
    this.setBase(e, older);
    // `order` is sorted by the offset of each entry's first appearance.
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.order[mid]!.base!.off < older.off) lo = mid + 1;
      else hi = mid;
    }
    this.order.splice(lo, 0, e);
  }

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) this.entries.set(id, (e = { id, ops: [], deleted: false }));
    return e;
  }

  /** Synchronous on purpose: a full index visits every line, and an await per line adds up. */
  private indexLine(off: number, line: Buffer, batch: Entry[], bad: { off: number; line: Buffer; reason: string }[], tokens: BlockTokens, base: number): void {
    const s = sniff(line, tokens, base);
    if (s.kind === 'blank') return;
    this.recordCount++;
    const ref = { off, len: line.length };
    switch (s.kind) {
      case 'invalid':
        bad.push({ off, line, reason: s.reason });
        return;
      case 'meta':
        if (s.title !== undefined && this.title === undefined) this.title = s.title;
        return;
      case 'op': {
        const e = this.entry(s.id);
        // A delete is final wherever it stands. Other changes apply only after the first
        // appearance (materialize): the same rules as readFullState.
        if (s.op === 'delete') this.markDeleted(e);
        else e.ops.unshift({ ...ref, op: s.op });
        return;
      }
      case 'message': {
        const e = this.entry(s.id);
        // Scanning backwards, the first appearance seen is the newest: a newer first appearance of
        // an id (a hand-merged file) replaces the older one wholesale, which is then superseded,
        // unless the newer one proves unreadable (dropBase).
        if (e.base) {
          (e.older ??= []).push(ref);
          return;
        }
        this.setBase(e, ref);
        batch.push(e);
      }
    }
  }

  private async quarantine(off: number, bytes: Buffer, reason: string): Promise<void> {
    if (this.memo.quarantined.has(off)) return;
    const quarantinePath = await quarantineBytes(this.fs, this.quarantineDir, off, bytes);
    // Only once the copy is durable: a failed copy (disk full) is tried and reported again.
    this.memo.quarantined.add(off);
    this.memo.warnings.push({ kind: 'quarantined_line', message: `line at byte ${off} could not be read (${reason}); a copy is in quarantine`, offset: off, quarantinePath });
  }

  private async readLine(ref: Ref): Promise<Buffer> {
    return this.read(ref.off, ref.len);
  }

  /**
   * Builds the current state of one message; null if its first appearance turns out to be
   * unreadable (it is then quarantined and dropped: the caller picks again).
   */
  private async materialize(e: Entry): Promise<Message | null> {
    const cached = this.cache.get(e.id);
    if (cached) return cached;
    if (!e.base) return null;
    const baseRef = e.base;
    const baseBytes = await this.readLine(baseRef);
    const base = parseRecord(baseBytes.toString('utf8'));
    if (base.kind !== 'message' || base.rec.id !== e.id) {
      this.dropBase(e);
      await this.quarantine(baseRef.off, baseBytes, base.kind === 'invalid' ? base.reason : 'not the expected message');
      return null;
    }
    const msg = toMessage(base.rec);
    for (const ref of e.ops) {
      if (ref.off < baseRef.off) continue; // superseded by this first appearance, or an orphan
      const bytes = await this.readLine(ref);
      const rec = parseRecord(bytes.toString('utf8'));
      if (rec.kind === 'op' && rec.rec.id === e.id) {
        applyOp(msg, rec.rec);
      } else {
        await this.quarantine(ref.off, bytes, rec.kind === 'invalid' ? rec.reason : 'not the expected change');
      }
    }
    this.remember(msg);
    return msg;
  }

  private remember(msg: Message): void {
    this.cache.delete(msg.id);
    this.cache.set(msg.id, msg);
    if (this.cache.size > MESSAGE_CACHE) this.cache.delete(this.cache.keys().next().value!);
  }

  assertReadable(): HeaderRecord {
    if (this.status === 'corrupt' || !this.header) {
      throw new StoreError('CORRUPT', `chat ${this.chatId} cannot be read: ${this.statusReason}. The file was left untouched.`, { chatId: this.chatId });
    }
    return this.header;
  }

  private assertWritable(): void {
    this.assertReadable();
    if (this.status === 'read_only') throw new StoreError('READ_ONLY', `chat ${this.chatId} is read-only: ${this.statusReason}`, { chatId: this.chatId });
  }

  /** The newest `limit` live messages before `beforeId` (or the end), oldest first. */
  async page(limit: number, beforeId?: string): Promise<{ messages: Message[]; hasMore: boolean }> {
    this.assertReadable();
    const anchor = beforeId === undefined ? null : await this.locate(beforeId, true);
    for (;;) {
      // Pick from the entries indexed so far; if they run out, index one more block and pick
      // again from scratch (a block can move entries: a second first appearance of an id).
      const end = anchor ? this.order.indexOf(anchor) : this.order.length;
      const picked: Entry[] = [];
      let i = end - 1;
      for (; i >= 0 && picked.length <= limit; i--) {
        const e = this.order[i]!;
        if (!e.deleted) picked.push(e);
      }
      if (picked.length <= limit && !this.fullyIndexed) {
        const before = this.order.length;
        await this.scanBackward(() => this.order.length > before);
        continue;
      }
      const more = picked.length > limit;
      const chosen = picked.slice(0, limit).reverse();
      const messages: Message[] = [];
      for (const e of chosen) {
        const m = await this.materialize(e);
        if (m) messages.push(structuredClone(m));
      }
      // A line that failed validation just now shrank the page: pick again without it.
      if (messages.length === chosen.length) return { messages, hasMore: more };
    }
  }

  /** Finds a message's entry, indexing further back only as far as needed. */
  private async locate(id: string, allowDeleted = false): Promise<Entry> {
    let e = this.entries.get(id);
    if (!e?.base) {
      await this.scanBackward(() => this.entries.get(id)?.base !== undefined);
      e = this.entries.get(id);
    }
    if (!e?.base || (e.deleted && !allowDeleted)) {
      throw new StoreError('NOT_FOUND', `message ${id} does not exist in chat ${this.chatId}`, { chatId: this.chatId, messageId: id });
    }
    return e;
  }

  async message(id: string): Promise<Message> {
    // An unreadable first appearance is dropped by materialize: look again (an older one, or NOT_FOUND).
    for (;;) {
      const m = await this.materialize(await this.locate(id));
      if (m) return structuredClone(m);
    }
  }

  /** Whether the id was ever used in this chat: ids of deleted messages count, they are never reused. */
  async hasId(id: string): Promise<boolean> {
    const used = () => {
      const e = this.entries.get(id);
      return e !== undefined && (e.base !== undefined || e.deleted);
    };
    if (!used()) await this.scanBackward(used);
    return used();
  }

  // ---- writes: each is one fdatasync'd append ----

  private async append(rec: { timestamp: number }): Promise<Ref> {
    return (await this.appendLines([rec]))[0]!;
  }

  /** Several records in one write and one fdatasync: all of them land, or none is acknowledged. */
  private async appendLines(recs: { timestamp: number }[]): Promise<Ref[]> {
    this.assertWritable();
    const texts = recs.map(serialize);
    const text = texts.join('');
    const buf = Buffer.from(this.endsWithNewline ? text : `\n${text}`);
    const prev = this.size;
    let writing = false;
    try {
      await this.assertFileUnchanged();
      if (!this.writer) {
        const writer = await this.fs.open(this.path, 'a');
        // The path could have been swapped between the stat and this open: check the handle too.
        const st = await writer.stat({ bigint: true });
        if (st.ino !== this.ino || st.dev !== this.dev) {
          await writer.close();
          await this.assertFileUnchanged();
          this.stale = true;
          throw new StoreError('CONFLICT', `chat ${this.chatId} was replaced outside the app; nothing was saved`, { chatId: this.chatId });
        }
        this.writer = writer;
      }
      writing = true;
      let done = 0;
      while (done < buf.length) done += (await this.writer.write(buf, done, buf.length - done)).bytesWritten;
      await this.writer.datasync();
    } catch (e) {
      this.mtimeNs = -1n;
      // Leave no partial line behind: cut back to the last acknowledged byte.
      if (writing) await this.writer?.truncate(prev).then(() => this.writer?.datasync()).catch(() => {});
      throw ioError(e, `saving to chat ${this.chatId}`);
    }
    // What the file looks like after our write (the watcher compares it); the lines are durable, so a failed fstat only means "unknown".
    this.mtimeNs = await this.writer.stat({ bigint: true }).then((st) => st.mtimeNs, () => -1n);
    let off = prev + (this.endsWithNewline ? 0 : 1);
    this.endsWithNewline = true;
    this.size = this.fileSize = prev + buf.length;
    this.recordCount += recs.length;
    this.lastRecordTime = recs[recs.length - 1]!.timestamp;
    return texts.map((t) => {
      const len = Buffer.byteLength(t);
      const ref = { off, len: len - 1 };
      off += len;
      return ref;
    });
  }

  async appendMessage(msg: Message): Promise<Message> {
    await this.appendMessages([msg]);
    return msg;
  }

  /** Fresh ids only (the store checked): one write for the whole batch. */
  async appendMessages(msgs: Message[]): Promise<void> {
    // Copy before writing: once the lines are durable, nothing may fail the call.
    const copies = msgs.map((m) => structuredClone(m));
    const refs = await this.appendLines(msgs);
    msgs.forEach((msg, i) => {
      const e = this.entry(msg.id); // a fresh id: never deleted (hasId refused used ids)
      e.ops = []; // changes naming this id before it existed are orphans
      delete e.older;
      this.setBase(e, refs[i]!);
      this.order.push(e);
      this.remember(copies[i]!);
    });
  }

  async appendChange(op: MessageOp, next: Message | null): Promise<void> {
    const e = await this.locate(op.id);
    const copy = next && structuredClone(next); // before the write, as in appendMessage
    const ref = await this.append(op);
    e.ops.push({ ...ref, op: op.op });
    if (op.op === 'delete') {
      this.markDeleted(e);
      this.cache.delete(op.id);
    } else if (copy) this.remember(copy);
  }

  async appendMeta(rec: { op: 'meta'; timestamp: number; title?: string; metadata?: Record<string, unknown> }): Promise<void> {
    await this.append(rec);
    if (rec.title !== undefined) this.title = rec.title;
  }

  // ---- summaries ----

  async stats(): Promise<{ messageCount: number; preview: string | null; updated: number; deadRatio: number }> {
    await this.scanBackward(() => false);
    // The newest live message; one that proves unreadable now is dropped (the order may change): look again.
    let last: Message | null = null;
    while (!last) {
      const e = this.order.findLast((x) => !x.deleted);
      if (!e) break;
      last = await this.materialize(e);
    }
    const messageCount = this.live;
    const tombstones = this.tombstones;
    // All from what is on disk, so the chat list keeps its order across a restart: the header
    // (with the time compaction folded in), the last record, and the newest message.
    const header = this.header;
    const updated = Math.max(header?.timestamp ?? 0, header?.updated ?? 0, this.lastRecordTime, last ? (last.edited ?? last.timestamp) : 0);
    // A compacted file keeps one line per live message and one tombstone per deleted id.
    const deadRatio = this.recordCount === 0 ? 0 : 1 - (messageCount + tombstones) / this.recordCount;
    return { messageCount, preview: last ? last.content.slice(0, PREVIEW_CHARS) : null, updated, deadRatio };
  }

  async close(): Promise<void> {
    const handles = [this.reader, this.writer];
    this.reader = this.writer = null;
    await Promise.all(handles.map((h) => h?.close().catch(() => {})));
  }
}

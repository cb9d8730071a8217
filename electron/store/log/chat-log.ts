// One open chat file: its header, a lazily built index of its records (tail-index.ts), and
// durable appends (append.ts). Nothing read is ever written back, except for a torn last line of
// the store's own, which is quarantined before it is cut off (open-log.ts). The store keeps a
// bounded number open.
import { PREVIEW_CHARS, type HeaderRecord, type LoadWarning, type Message, type MessageOp, type ReadOnlyReason } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { ioError } from '../../durable/durable.ts';
import type { FsSeam } from '../../durable/fs-seam.ts';
import type { FileStamp } from '../../durable/guarded-rewrite.ts';
import { appendLines } from './append.ts';
import { newChatMemo, type ChatMemo } from './chat-memo.ts';
import { LogFile, type FileState, type PathState, type Ref } from './log-file.ts';
import { openLogFile, type ChatStatus, type OpenedLog, type TornTailIsOwn } from './open-log.ts';
import { TailIndex } from './tail-index.ts';

export class ChatLog {
  readonly chatId: string;
  readonly characterId: string;
  readonly path: string;
  header: HeaderRecord | null;
  status: ChatStatus;
  statusReason: string;
  /** Why the chat is read-only, when status is read_only (open-log.ts). */
  readonly readOnlyReason: ReadOnlyReason | undefined;
  /** A torn last line found at open: none, cut off (the store's own), or kept (another program's). */
  readonly tornTail: OpenedLog['tornTail'];
  /**
   * Added to the revision the file states (see `revision`): set by the store when a change made
   * outside the app would otherwise leave the revision where it was, or move it back.
   */
  revisionOffset = 0;

  private readonly file: LogFile;
  private readonly index: TailIndex;
  private readonly memo: ChatMemo;
  /** Timestamp of the file's last record (its newest), read at open and kept as records are appended. */
  private lastRecordTime: number;

  private constructor(file: LogFile, opened: OpenedLog, characterId: string, quarantineDir: string, memo: ChatMemo) {
    this.file = file;
    this.memo = memo;
    this.chatId = file.chatId;
    this.characterId = characterId;
    this.path = file.path;
    this.header = opened.header;
    this.status = opened.status;
    this.statusReason = opened.statusReason;
    this.readOnlyReason = opened.status === 'read_only' ? opened.readOnlyReason : undefined;
    this.lastRecordTime = opened.lastRecordTime;
    this.tornTail = opened.tornTail;
    this.index = new TailIndex(file, memo, quarantineDir, opened.scanStart);
  }

  static async open(
    fs: FsSeam,
    chatId: string,
    characterId: string,
    path: string,
    quarantineDir: string,
    memo: ChatMemo = newChatMemo(),
    tornTailIsOwn: TornTailIsOwn = () => false,
  ): Promise<ChatLog> {
    const file = new LogFile(fs, chatId, path);
    let opened: OpenedLog;
    try {
      opened = await openLogFile(file, memo, quarantineDir, tornTailIsOwn);
    } catch (e) {
      await file.close();
      throw ioError(e, `reading chat ${chatId}`);
    }
    return new ChatLog(file, opened, characterId, quarantineDir, memo);
  }

  /** Bytes of the chat (without a torn tail a read-only chat keeps on disk). */
  get size(): number {
    return this.file.size;
  }

  /** Newest title from a meta record, once one has been seen. */
  get title(): string | undefined {
    return this.index.title;
  }

  /** Every warning reported for this chat since the store opened. */
  get warnings(): readonly LoadWarning[] {
    return this.memo.warnings;
  }

  /** Set once the file on disk is known to differ from what this log read: the store reopens it. */
  get stale(): boolean {
    return this.file.stale;
  }

  /** The file is known to differ from what this log read (a rewrite found it changed): the store reopens it. */
  markStale(): void {
    this.file.stale = true;
  }

  /** What the path names now, compared with the file this log read or wrote (see LogFile.pathState). */
  async pathState(): Promise<PathState> {
    return (await this.file.pathState()).state;
  }

  /** The path's stamp, if it still names this log's file exactly as read or written; else CONFLICT or NOT_FOUND, and the log is stale. */
  assertUnchanged(): Promise<FileStamp> {
    return this.file.assertUnchanged();
  }

  /** An append that failed after it began writing (see LogFile.failedWrite). */
  get failedWrite(): { from: number; cutBack: boolean } | null {
    return this.file.failedWrite;
  }

  /** The file as this log last read or wrote it. */
  fileState(): FileState {
    return this.file.state();
  }

  /** The bytes of the file as this log knows them (or its first `length`), read through its own handle (the old file, after a replace). */
  async ownBytes(length = this.file.fileSize): Promise<Buffer> {
    return this.file.read(0, length);
  }

  /**
   * The revision the file states: `revision_base` from the header (written by compaction) plus
   * the bytes after the header line. Every write appends at least one byte, so it increases with
   * each write; it is derived from the file alone, in O(1).
   */
  get fileRevision(): number {
    return (this.header?.revision_base ?? 0) + (this.file.size - this.file.headerEnd);
  }

  /**
   * The chat's revision: the file's, plus the offset the store adds when an outside change
   * (an edit in place, a shorter file) would not move it past every revision handed out before.
   */
  get revision(): number {
    return this.fileRevision + this.revisionOffset;
  }

  /** The file this log has open: its inode, its size on disk and its mtime (what the chat index records). */
  get identity(): { ino: string; size: number; mtimeNs?: string } {
    const { ino, fileSize: size, mtimeNs } = this.file;
    return mtimeNs === -1n ? { ino: String(ino), size } : { ino: String(ino), size, mtimeNs: String(mtimeNs) };
  }

  /** The newest live message, indexing backwards only as far as needed (a summary after a write). */
  async newest(): Promise<Message | null> {
    return (await this.page(1)).messages[0] ?? null;
  }

  get fullyIndexed(): boolean {
    return this.index.fullyIndexed;
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
    return this.index.page(limit, beforeId);
  }

  message(id: string): Promise<Message> {
    return this.index.message(id);
  }

  /** Whether the id was ever used in this chat: ids of deleted messages count, they are never reused. */
  hasId(id: string): Promise<boolean> {
    return this.index.hasId(id);
  }

  // ---- writes: each is one fdatasync'd append ----

  private async append(recs: { timestamp: number }[]): Promise<Ref[]> {
    this.assertWritable();
    const refs = await appendLines(this.file, recs);
    this.index.recordCount += recs.length;
    this.lastRecordTime = recs[recs.length - 1]!.timestamp;
    return refs;
  }

  async appendMessage(msg: Message): Promise<Message> {
    await this.appendMessages([msg]);
    return msg;
  }

  /** Fresh ids only (the store checked): one write for the whole batch. */
  async appendMessages(msgs: Message[]): Promise<void> {
    // Copy before writing: once the lines are durable, nothing may fail the call.
    const copies = msgs.map((m) => structuredClone(m));
    const refs = await this.append(msgs);
    this.index.addMessages(copies, refs);
  }

  async appendChange(op: MessageOp, next: Message | null): Promise<void> {
    const e = await this.index.locate(op.id);
    const copy = next && structuredClone(next); // before the write, as in appendMessage
    const [ref] = await this.append([op]);
    this.index.addChange(e, ref!, op.op, copy);
  }

  async appendMeta(rec: { op: 'meta'; timestamp: number; title?: string; metadata?: Record<string, unknown> }): Promise<void> {
    await this.append([rec]);
    if (rec.title !== undefined) this.index.title = rec.title;
    if (rec.metadata) Object.assign(this.index.metadata, structuredClone(rec.metadata));
  }

  /** The chat's metadata now: the header's, with every meta record's keys applied in order (compaction folds them the same way). */
  async metadata(): Promise<Record<string, unknown>> {
    await this.index.counts(); // indexes the whole file once: every meta record seen
    return structuredClone({ ...(this.header?.metadata ?? {}), ...this.index.metadata });
  }

  // ---- summaries ----

  async stats(): Promise<{ messageCount: number; preview: string | null; updated: number; deadRatio: number }> {
    const { last, live: messageCount, tombstones, records } = await this.index.counts();
    // A compacted file keeps one line per live message and one tombstone per deleted id.
    const deadRatio = records === 0 ? 0 : 1 - (messageCount + tombstones) / records;
    return { ...this.statsOf(messageCount, last), deadRatio };
  }

  /**
   * stats() (but deadRatio) of a file whose live count is known without indexing it (the store
   * wrote it whole and counted), and `last`, its newest live message (newest()).
   */
  statsOf(messageCount: number, last: Message | null): { messageCount: number; preview: string | null; updated: number } {
    // All from what is on disk, so the chat list keeps its order across a restart: the header
    // (with the time compaction folded in), the last record, and the newest message.
    const header = this.header;
    const updated = Math.max(header?.timestamp ?? 0, header?.updated ?? 0, this.lastRecordTime, last ? (last.edited ?? last.timestamp) : 0);
    return { messageCount, preview: last ? last.content.slice(0, PREVIEW_CHARS) : null, updated };
  }

  close(): Promise<void> {
    return this.file.close();
  }
}

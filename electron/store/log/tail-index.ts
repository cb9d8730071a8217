// The lazy index of one chat's records, built backwards from the end of the file one block at a
// time, only as far as a caller needs: the newest page needs a few KiB, a lookup of an old message
// or a listing's count needs more. Lines are classified cheaply (records.sniff) while indexing and
// fully validated with zod when they are materialised into messages; a line that fails is
// quarantined (copied aside) and skipped, never rewritten. Also pages and looks up messages.
import type { Message, MessageOp } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import { quarantineBytes } from '../quarantine.ts';
import { applyOp, BlockTokens, parseRecord, sniff, toMessage } from '../records.ts';
import type { ChatMemo } from './chat-memo.ts';
import { BLOCK, NL, type LogFile, type Ref } from './log-file.ts';

const MESSAGE_CACHE = 2_000;

interface OpRef extends Ref {
  op: MessageOp['op'];
}
export interface Entry {
  id: string;
  /** The newest first appearance not yet found unreadable. */
  base?: Ref;
  /** Older first appearances indexed so far, newest first: the message if `base` proves unreadable. Rare (hand-merged files): absent until needed. */
  older?: Ref[];
  /** Every change naming the id, oldest first; only those after `base` apply (the others are superseded or orphans). */
  ops: OpRef[];
  deleted: boolean;
}

export class TailIndex {
  /** Newest title from a meta record, once one has been seen. */
  title: string | undefined;
  /** Chat metadata keys set by meta records, the newest value of each (over the header's). */
  readonly metadata: Record<string, unknown> = {};
  /** Records in the file (indexed so far, and appended since). */
  recordCount = 0;
  private readonly file: LogFile;
  private readonly memo: ChatMemo;
  private readonly quarantineDir: string;
  /** Everything before this offset (down to the header) is still to be indexed. */
  private scanStart: number;
  private readonly entries = new Map<string, Entry>();
  /** Kept up to date as entries change, so a summary after each write costs O(1), not O(chat). */
  private live = 0;
  private tombstones = 0;
  private order: Entry[] = [];
  private readonly cache = new Map<string, Message>();

  constructor(file: LogFile, memo: ChatMemo, quarantineDir: string, scanStart: number) {
    this.file = file;
    this.memo = memo;
    this.quarantineDir = quarantineDir;
    this.scanStart = scanStart;
  }

  get fullyIndexed(): boolean {
    return this.scanStart <= this.file.headerEnd;
  }

  /** Indexes older lines, a block at a time, until `enough()` or the header is reached. */
  private async scanBackward(enough: () => boolean): Promise<void> {
    const file = this.file;
    // Blocks holding the start of a line that began in an older block; joined once, when the
    // line's beginning is found, so a very long line costs one copy, not one per block.
    let carry: Buffer[] = [];
    let carryLen = 0;
    while (!this.fullyIndexed && !enough()) {
      const end = this.scanStart - carryLen;
      const from = Math.max(file.headerEnd, end - BLOCK);
      const block = await file.read(from, end - from);
      if (from > file.headerEnd && block.indexOf(NL) === -1) {
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
      else if (from + chunk.length !== file.size && from + chunk.length !== file.unterminatedEnd) {
        throw new StoreError('INTERNAL', `index scan of chat ${file.chatId} lost a line boundary at byte ${from + chunk.length}`);
      }
      for (;;) {
        const nl = lineEnd > 0 ? chunk.lastIndexOf(NL, lineEnd - 1) : -1;
        if (nl === -1 && from > file.headerEnd) break; // the line continues in an older block
        const start = nl + 1;
        this.indexLine(from + start, chunk.subarray(start, lineEnd), batch, bad, tokens, start);
        this.scanStart = from + start;
        if (nl === -1) break;
        lineEnd = nl;
      }
      // Keep the unfinished line, with its newline, for the next (older) block.
      const rest = from > file.headerEnd ? chunk.subarray(0, Math.min(lineEnd + 1, chunk.length)) : null;
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
        // Scanning backwards: a key already seen was set by a newer record (or an append since).
        for (const [k, v] of Object.entries(s.metadata ?? {})) if (!Object.hasOwn(this.metadata, k)) this.metadata[k] = v;
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
    const quarantinePath = await quarantineBytes(this.file.fs, this.quarantineDir, off, bytes);
    // Only once the copy is durable: a failed copy (disk full) is tried and reported again.
    this.memo.quarantined.add(off);
    this.memo.warnings.push({ kind: 'quarantined_line', message: `line at byte ${off} could not be read (${reason}); a copy is in quarantine`, offset: off, quarantinePath });
  }

  private async readLine(ref: Ref): Promise<Buffer> {
    return this.file.read(ref.off, ref.len);
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

  /** The newest `limit` live messages before `beforeId` (or the end), oldest first. */
  async page(limit: number, beforeId?: string): Promise<{ messages: Message[]; hasMore: boolean }> {
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
  async locate(id: string, allowDeleted = false): Promise<Entry> {
    let e = this.entries.get(id);
    if (!e?.base) {
      await this.scanBackward(() => this.entries.get(id)?.base !== undefined);
      e = this.entries.get(id);
    }
    if (!e?.base || (e.deleted && !allowDeleted)) {
      throw new StoreError('NOT_FOUND', `message ${id} does not exist in chat ${this.file.chatId}`, { chatId: this.file.chatId, messageId: id });
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

  /** Indexes the whole file: the newest live message and the counts a summary needs. */
  async counts(): Promise<{ last: Message | null; live: number; tombstones: number; records: number }> {
    await this.scanBackward(() => false);
    // The newest live message; one that proves unreadable now is dropped (the order may change): look again.
    let last: Message | null = null;
    while (!last) {
      const e = this.order.findLast((x) => !x.deleted);
      if (!e) break;
      last = await this.materialize(e);
    }
    return { last, live: this.live, tombstones: this.tombstones, records: this.recordCount };
  }

  // ---- after an append (append.ts wrote the lines; these record where) ----

  /** Fresh ids only (the store checked): `copies` were taken before the write, `refs` are their lines. */
  addMessages(copies: Message[], refs: Ref[]): void {
    copies.forEach((msg, i) => {
      const e = this.entry(msg.id); // a fresh id: never deleted (hasId refused used ids)
      e.ops = []; // changes naming this id before it existed are orphans
      delete e.older;
      this.setBase(e, refs[i]!);
      this.order.push(e);
      this.remember(msg);
    });
  }

  /** A change to the message of `e` (found by locate before the write), now at `ref`; `copy` is its new state. */
  addChange(e: Entry, ref: Ref, op: MessageOp['op'], copy: Message | null): void {
    e.ops.push({ ...ref, op });
    if (op === 'delete') {
      this.markDeleted(e);
      this.cache.delete(e.id);
    } else if (copy) this.remember(copy);
  }
}

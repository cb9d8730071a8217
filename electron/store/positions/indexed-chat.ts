// A chat's lines served from its position index: a page around a message reads only the lines it
// returns (and their changes). Every line read is checked: it must stand between newlines and
// parse to a record whose id has the hash the index gives; anything else throws StaleIndex and
// the caller scans the file instead. The rules are those of line-scan.ts's ScannedChat.
import type { FileHandle } from 'node:fs/promises';
import type { Message } from '../../../shared/chat-format.ts';
import { idHash, type LineSource } from '../line-scan.ts';
import { applyOp, parseRecord, toMessage } from '../records.ts';
import { StaleIndex, type LineRows, type OpRows, type PositionAccess } from './position-file.ts';

const NL = 0x0a;
const CR = 0x0d;
const ID_PREFIX = Buffer.from('{"id":"');

/** Rows of the index read at once (a page's lines stand together). */
const CHUNK = 512;
/** Bytes of the chat read at once around a line. */
const WINDOW = 32 * 1024;

export class IndexedChat implements LineSource {
  readonly count: number;
  private readonly fh: FileHandle;
  private readonly size: number;
  private readonly index: PositionAccess;
  private readonly lineChunks = new Map<number, LineRows>();
  private readonly opChunks = new Map<number, OpRows>();
  private readonly byHash = new Map<number, number[]>();
  private readonly windows: { from: number; buf: Buffer }[] = [];

  constructor(fh: FileHandle, size: number, index: PositionAccess) {
    this.fh = fh;
    this.size = size;
    this.index = index;
    this.count = index.count;
  }

  private async line(i: number): Promise<{ hash: number; off: number; len: number; sup: number }> {
    const k = Math.floor(i / CHUNK);
    let c = this.lineChunks.get(k);
    if (!c) {
      c = await this.index.lines(k * CHUNK, Math.min(CHUNK, this.count - k * CHUNK));
      this.lineChunks.set(k, c);
    }
    const j = i - k * CHUNK;
    return { hash: c.hash[j]!, off: c.off[j]!, len: c.len[j]!, sup: c.sup[j]! };
  }

  private async op(i: number): Promise<{ hash: number; del: number; pos: number; off: number; len: number }> {
    const k = Math.floor(i / CHUNK);
    let c = this.opChunks.get(k);
    if (!c) {
      c = await this.index.ops(k * CHUNK, Math.min(CHUNK, this.index.opCount - k * CHUNK));
      this.opChunks.set(k, c);
    }
    const j = i - k * CHUNK;
    return { hash: c.hash[j]!, del: c.del[j]!, pos: c.pos[j]!, off: c.off[j]!, len: c.len[j]! };
  }

  /** Message lines whose id hash is `h`, in file order. */
  private async linesWithHash(h: number): Promise<number[]> {
    let list = this.byHash.get(h);
    if (!list) this.byHash.set(h, (list = await this.index.linesWithHash(h)));
    return list;
  }

  /** Reads the chat around `off` a window at a time: the lines of a page stand together. */
  private async window(from: number, to: number): Promise<Buffer> {
    for (const w of this.windows) if (w.from <= from && to <= w.from + w.buf.length) return w.buf.subarray(from - w.from, to - w.from);
    const start = Math.max(0, Math.min(from, to - WINDOW / 2));
    const end = Math.min(this.size + 1, Math.max(to, start + WINDOW));
    const buf = Buffer.allocUnsafe(end - start);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await this.fh.read(buf, got, buf.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const w = { from: start, buf: buf.subarray(0, got) };
    this.windows.unshift(w);
    if (this.windows.length > 4) this.windows.pop();
    return w.buf.subarray(Math.min(from - start, got), Math.min(to - start, got));
  }

  /** The bytes of a whole line at `off`: it must follow a newline and end at one (or at the end of the chat). */
  private async bytes(off: number, len: number): Promise<Buffer> {
    if (off < 1 || off + len > this.size) throw new StaleIndex('a line lies outside the chat');
    const want = Math.min(len + 2, this.size - off + 1);
    const buf = await this.window(off - 1, off - 1 + want);
    if (buf.length !== want || buf[0] !== NL) throw new StaleIndex('a line is not where the index says');
    if (want === len + 2 && buf[len + 1] !== NL && buf[len + 1] !== CR) throw new StaleIndex('a line does not end where the index says');
    return buf.subarray(1, len + 1);
  }

  /**
   * The message of line `i`, or null if the line is the one the index saw but fails validation
   * (the scan takes our writer's lines by their first bytes; ScannedChat skips such a line too).
   */
  private async parsedMessage(i: number): Promise<Message | null> {
    const { hash, off, len } = await this.line(i);
    const bytes = await this.bytes(off, len);
    const rec = parseRecord(bytes.toString('utf8'));
    if (rec.kind === 'message' && idHash(rec.rec.id) === hash) return toMessage(rec.rec);
    if (rec.kind === 'invalid' && bytes.subarray(0, ID_PREFIX.length).equals(ID_PREFIX)) {
      const q = bytes.indexOf(0x22, ID_PREFIX.length);
      if (q > ID_PREFIX.length && idHash(bytes.toString('latin1', ID_PREFIX.length, q)) === hash) return null;
    }
    throw new StaleIndex('a message line is not what the index says');
  }

  private async parsedOp(k: number) {
    const { hash, off, len } = await this.op(k);
    const rec = parseRecord((await this.bytes(off, len)).toString('utf8'));
    if (rec.kind !== 'op' || idHash(rec.rec.id) !== hash) throw new StaleIndex('a change line is not what the index says');
    return rec.rec;
  }

  async lineOf(id: string): Promise<number> {
    const lines = await this.linesWithHash(idHash(id));
    for (let j = lines.length - 1; j >= 0; j--) if ((await this.parsedMessage(lines[j]!))?.id === id) return lines[j]!;
    return -1;
  }

  private async isCurrent(i: number, hash: number, id: string): Promise<boolean> {
    if (!(await this.line(i)).sup) return true;
    for (const j of await this.linesWithHash(hash)) if (j > i && (await this.parsedMessage(j))?.id === id) return false;
    return true;
  }

  async materialize(i: number): Promise<Message | null> {
    const msg = await this.parsedMessage(i);
    if (!msg) return null;
    const { hash } = await this.line(i);
    const changes = this.index.opCount === 0 ? [] : await this.index.opsWithHash(hash);
    for (const k of changes) if ((await this.op(k)).del && (await this.parsedOp(k)).id === msg.id) return null; // a delete is final wherever it stands
    if (!(await this.isCurrent(i, hash, msg.id))) return null;
    for (const k of changes) {
      const o = await this.op(k);
      if (o.del || o.pos <= i) continue;
      const op = await this.parsedOp(k);
      if (op.id === msg.id) applyOp(msg, op);
    }
    return msg;
  }

  async close(): Promise<void> {
    await Promise.all([this.fh.close().catch(() => {}), this.index.close()]);
  }
}

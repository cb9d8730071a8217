// A page in the middle of a chat: the messages around one message (a jump to a search match), or
// the messages just after one (paging newer from there). Served from the chat's position index
// (positions/) when it has a usable one, which reads only the lines it returns; else from one
// lean forward pass over the file (line-scan.ts), instead of the store's backward index. Either
// way only the lines returned are parsed in full.
import type { Message } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import type { LineSource } from './line-scan.ts';

export interface WindowPage {
  messages: Message[];
  /** Older messages exist before the page. */
  hasMore: boolean;
  /** Newer messages exist after the page. */
  hasNewer: boolean;
}

/** The live messages from line `from` stepping by `step`, materialized only as far as asked. */
class Walk {
  readonly list: Message[] = [];
  private next: number;
  private readonly chat: LineSource;
  private readonly step: 1 | -1;

  constructor(chat: LineSource, from: number, step: 1 | -1) {
    this.chat = chat;
    this.next = from;
    this.step = step;
  }

  /** Walks on until `n` messages are found or the chat ends; returns how many were found (at most `n`). */
  async fill(n: number): Promise<number> {
    while (this.list.length < n && this.next >= 0 && this.next < this.chat.count) {
      const m = await this.chat.materialize(this.next);
      this.next += this.step;
      if (m) this.list.push(m);
    }
    return Math.min(this.list.length, n);
  }
}

/** The page from `chat`'s lines (the caller closes it). Each side is read only as far as the page needs (one line more tells whether there is more). */
export async function windowPage(chat: LineSource, chatId: string, anchorId: string, limit: number, mode: 'around' | 'after'): Promise<WindowPage> {
  const line = await chat.lineOf(anchorId);
  const notFound = () => new StoreError('NOT_FOUND', `message ${anchorId} does not exist in chat ${chatId}`, { chatId, messageId: anchorId });
  if (line === -1) throw notFound();
  if (mode === 'after') {
    const newer = new Walk(chat, line + 1, 1);
    const found = await newer.fill(limit + 1);
    const older = await new Walk(chat, line, -1).fill(1);
    return { messages: newer.list.slice(0, limit), hasMore: older > 0, hasNewer: found > limit };
  }
  const anchor = await chat.materialize(line);
  if (!anchor) throw notFound(); // deleted
  const rest = limit - 1;
  const older = new Walk(chat, line - 1, -1);
  const newer = new Walk(chat, line + 1, 1);
  // Half before, half after; a short side gives its share to the other.
  const half = Math.floor(rest / 2);
  const nOld0 = Math.min(await older.fill(half + 1), half);
  const nNewer = await newer.fill(rest - nOld0 + 1);
  const nNew = Math.min(nNewer, rest - nOld0);
  const nOlder = await older.fill(rest - nNew + 1);
  const nOld = Math.min(nOlder, rest - nNew);
  const messages = [...older.list.slice(0, nOld).reverse(), anchor, ...newer.list.slice(0, nNew)];
  return { messages, hasMore: nOlder > nOld, hasNewer: nNewer > nNew };
}

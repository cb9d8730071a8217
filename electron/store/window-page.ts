// A page in the middle of a chat: the messages around one message (a jump to a search match), or
// the messages just after one (paging newer from there). One lean forward pass over the file (see
// line-scan.ts) instead of the store's backward index, so a jump 90,000 messages back in a freshly
// opened chat reads the file once and parses only the lines it returns.
import type { Message } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import type { FsSeam } from '../durable/fs-seam.ts';
import { ScannedChat } from './line-scan.ts';

export interface WindowPage {
  messages: Message[];
  /** Older messages exist before the page. */
  hasMore: boolean;
  /** Newer messages exist after the page. */
  hasNewer: boolean;
}

/** Live messages from line `from` stepping by `step`, at most `max` of them; `more` if the walk stopped early. */
async function collect(chat: ScannedChat, from: number, step: 1 | -1, max: number): Promise<{ list: Message[]; more: boolean }> {
  const list: Message[] = [];
  for (let i = from; i >= 0 && i < chat.table.count; i += step) {
    const m = await chat.materialize(i);
    if (!m) continue;
    if (list.length === max) return { list, more: true };
    list.push(m);
  }
  return { list, more: false };
}

export async function windowPage(fs: FsSeam, path: string, size: number, chatId: string, anchorId: string, limit: number, mode: 'around' | 'after'): Promise<WindowPage> {
  const chat = await ScannedChat.open(fs, path, size);
  try {
    const line = await chat.lineOf(anchorId);
    const notFound = () => new StoreError('NOT_FOUND', `message ${anchorId} does not exist in chat ${chatId}`, { chatId, messageId: anchorId });
    if (line === -1) throw notFound();
    if (mode === 'after') {
      const newer = await collect(chat, line + 1, 1, limit);
      const older = await collect(chat, line, -1, 0);
      return { messages: newer.list, hasMore: older.more, hasNewer: newer.more };
    }
    const anchor = await chat.materialize(line);
    if (!anchor) throw notFound(); // deleted
    const rest = limit - 1;
    const older = await collect(chat, line - 1, -1, rest);
    const newer = await collect(chat, line + 1, 1, rest);
    // Half before, half after; a short side gives its share to the other.
    let nOld = Math.min(older.list.length, Math.floor(rest / 2));
    const nNew = Math.min(newer.list.length, rest - nOld);
    nOld = Math.min(older.list.length, rest - nNew);
    const messages = [...older.list.slice(0, nOld).reverse(), anchor, ...newer.list.slice(0, nNew)];
    return { messages, hasMore: older.list.length > nOld || older.more, hasNewer: newer.list.length > nNew || newer.more };
  } finally {
    await chat.close();
  }
}

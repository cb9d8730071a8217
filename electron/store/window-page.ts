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

/** Live messages from line `from` stepping by `step`, at most `max` of them; `more` if the walk stopped early. */
async function collect(chat: LineSource, from: number, step: 1 | -1, max: number): Promise<{ list: Message[]; more: boolean }> {
  const list: Message[] = [];
  for (let i = from; i >= 0 && i < chat.count; i += step) {
    const m = await chat.materialize(i);
    if (!m) continue;
    if (list.length === max) return { list, more: true };
    list.push(m);
  }
  return { list, more: false };
}

/** The page from `chat`'s lines (the caller closes it). */
export async function windowPage(chat: LineSource, chatId: string, anchorId: string, limit: number, mode: 'around' | 'after'): Promise<WindowPage> {
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
}

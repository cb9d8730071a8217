// Pages back through a chat until the history fills the prompt budget or the chat starts.
import { isHidden, type Message } from '../../../shared/chat-format.ts';
import type { ChatStore } from '../../store/types.ts';
import { totalTokens } from './tokens.ts';

/** Older pages are read this many messages at a time. */
export const OLDER_PAGE = 200;
/** A bound on what one prompt reads, whatever the budget (each message costs ≥ 4 tokens anyway). */
export const MAX_HISTORY_MESSAGES = 50_000;

/**
 * `history` is the newest part (possibly cut short at its end, e.g. before a message being
 * regenerated); `oldestId` the oldest message loaded so far. Prepends older pages while the
 * estimate is under `budgetTokens` and the chat has more. Hidden messages (isHidden) are left
 * out and cost nothing, except `keepId` (a reply being continued is sent whatever it says).
 */
export async function extendHistory(
  store: Pick<ChatStore, 'loadChat'>,
  chatId: string,
  start: { history: Message[]; hasMore: boolean; oldestId: string | undefined },
  budgetTokens: number,
  keepId?: string,
  /** Sees every page read (hidden messages included), e.g. to count what was left out. */
  onRead?: (messages: Message[]) => void,
): Promise<Message[]> {
  const visible = (ms: Message[]) => (onRead?.(ms), ms.filter((m) => m.id === keepId || !isHidden(m)));
  let history = visible(start.history);
  let { hasMore, oldestId } = start;
  let tokens = totalTokens(history);
  while (hasMore && oldestId && tokens < budgetTokens && history.length < MAX_HISTORY_MESSAGES) {
    const page = await store.loadChat(chatId, { limit: OLDER_PAGE, before: oldestId });
    if (!page.messages.length) break;
    const shown = visible(page.messages);
    history = [...shown, ...history];
    tokens += totalTokens(shown);
    hasMore = page.hasMore;
    oldestId = page.messages[0]!.id;
  }
  return history;
}

// The durable side of one streamed reply. The first text creates the reply (a new message, or a
// new swipe) with status `streaming`; each checkpoint appends only the text added since the last
// one (`append_text`), so bytes written stay O(reply length); the end sets the final status in
// the same write as the last text. A failed write keeps its text pending for the next attempt.
import type { Message } from '../../shared/chat-format.ts';
import type { ChatStore } from '../store/types.ts';

export type ReplyTarget = { mode: 'new'; messageId: string } | { mode: 'swipe' | 'continue'; messageId: string };
export type FinalStatus = 'complete' | 'interrupted' | 'error';

export class ReplyWriter {
  private pending = '';
  private started: boolean;
  private final: FinalStatus | undefined;
  private finished = false;
  /** The reply as last stored. */
  stored: Message | undefined;

  private readonly store: ChatStore;
  private readonly chatId: string;
  private readonly target: ReplyTarget;

  constructor(store: ChatStore, chatId: string, target: ReplyTarget) {
    this.store = store;
    this.chatId = chatId;
    this.target = target;
    // Continuing writes into a message that exists already.
    this.started = target.mode === 'continue';
  }

  add(text: string): void {
    this.pending += text;
  }

  finish(status: FinalStatus): void {
    this.final = status;
  }

  get done(): boolean {
    return this.finished;
  }

  /** One write at most: the text added since the last checkpoint, and the final status if set. */
  async checkpoint(): Promise<void> {
    if (this.finished) return;
    const text = this.pending;
    const final = this.final;
    if (!text && !final) return;
    const { store, chatId } = this;
    const id = this.target.messageId;
    const status = final ?? 'streaming';
    if (!this.started) {
      if (!text) {
        this.finished = true; // nothing was ever streamed: nothing to store
        return;
      }
      this.stored =
        this.target.mode === 'new'
          ? await store.appendMessage(chatId, { id, role: 'assistant', content: text, status })
          : await store.updateMessage(chatId, id, { addSwipe: text, status });
      this.started = true;
    } else if (text) {
      this.stored = await store.appendText(chatId, id, text, status);
    } else {
      this.stored = await store.updateMessage(chatId, id, { status });
    }
    // Chunks that arrived during the write stay pending (they were appended after `text`).
    this.pending = this.pending.slice(text.length);
    if (final) this.finished = true;
  }
}

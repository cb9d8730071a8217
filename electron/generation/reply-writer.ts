// The durable side of one streamed reply. The first text creates the reply (a new message, or a
// new swipe) with status `streaming`; each checkpoint appends only the text added since the last
// one (`append_text`), so bytes written stay O(reply length); the end sets the final status in
// the same write as the last text. A failed write keeps its text pending for the next attempt.
// Each checkpoint after the first is made only onto the message as the last one stored it.
import type { Message } from '../../shared/chat-format.ts';
import type { ChatStore } from '../store/types.ts';
import { StoreError } from '../../shared/errors.ts';

/** Errors a later attempt may not meet again: the text is kept for it. */
const TRANSIENT = new Set(['IO_ERROR', 'DISK_FULL', 'CLOSED', 'INTERNAL']);

/** `name`: the character's name now, stored on a new reply (export names the speaker of its time). */
export type ReplyTarget = { mode: 'new'; messageId: string; name?: string } | { mode: 'swipe' | 'continue'; messageId: string };
export type FinalStatus = 'complete' | 'interrupted' | 'error';

export class ReplyWriter {
  private pending = '';
  private started: boolean;
  private final: FinalStatus | undefined;
  private finished = false;
  /** The reply as last stored. */
  stored: Message | undefined;
  /** Why the writer gave up (a refusal no retry cures); the stream should end. */
  failure: unknown;

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
    const status = final ?? 'streaming';
    try {
      await this.write(text, status);
    } catch (e) {
      // A refusal that no retry can cure (too long, message gone): mark the stored part as an
      // error and stop, rather than retrying forever. Disk errors keep the text for a retry.
      if (e instanceof StoreError && !TRANSIENT.has(e.code)) {
        this.failure = e; // the manager ends the stream with this error
        // The file was changed or deleted outside the app: write nothing more into it (the
        // manager hands the reply to the conflict keeper instead).
        if (e.code === 'CONFLICT' || e.code === 'NOT_FOUND') return this.detach();
        await this.giveUp();
        return;
      }
      throw e;
    }
    // Chunks that arrived during the write stay pending (they were appended after `text`).
    this.pending = this.pending.slice(text.length);
    if (final) this.finished = true;
  }

  /** Writes nothing more, ever: the chat's file is no longer the app's to write (changed outside the app). */
  detach(): void {
    this.finished = true;
    this.pending = '';
  }

  private async giveUp(): Promise<void> {
    this.finished = true;
    this.pending = '';
    if (this.started) this.stored = await this.store.updateMessage(this.chatId, this.target.messageId, { status: 'error' }).catch(() => this.stored);
  }

  private async write(text: string, status: NonNullable<Message['status']>): Promise<void> {
    const { store, chatId } = this;
    const id = this.target.messageId;
    if (!this.started) {
      if (!text) {
        this.finished = true; // nothing was ever streamed: nothing to store
        return;
      }
      this.stored =
        this.target.mode === 'new'
          ? await store.appendMessage(chatId, { id, role: 'assistant', content: text, status, ...(this.target.name ? { name: this.target.name } : {}) })
          : await store.updateMessage(chatId, id, { addSwipe: text, status });
      this.started = true;
    } else {
      // Only onto the message as this reply left it: a read since may have taken in another
      // program's change to it (the chat read anew), and a checkpoint must not write over that.
      const opts = this.stored ? { expectedMessage: this.stored } : undefined;
      this.stored = text ? await store.appendText(chatId, id, text, status, opts) : await store.updateMessage(chatId, id, { status }, opts);
    }
  }
}

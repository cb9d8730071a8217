// Changes to a chat's messages: appends (one or a batch), streamed text, edits and swipes, and
// deletes. Each is checked in full first, then written as one durable append on the chat's queue;
// the chat's index entry is updated in O(1) and the stored message handed back as the app sees it.
import { randomUUID } from 'node:crypto';
import { Content, Extra, LIMITS, MessageId, MessagePatch, MessageStatus, type Message, type MessageOp, type NewMessageInput, type WriteOptions } from '../../../shared/chat-format.ts';
import { StoreError } from '../../../shared/errors.ts';
import type { ChatLog } from '../log/chat-log.ts';
import { canonical } from '../merge/merge-chats.ts';
import { assertRecordSize, checkNewMessage, checkRevision, parse, parseOpts } from './inputs.ts';
import { StorePart } from './store-part.ts';

const MAX_BATCH_BYTES = 32 * 1024 * 1024;

/** Whether a stored, never-edited message is what this append input would have stored. */
function isSameMessage(stored: Message, input: NewMessageInput): boolean {
  if (stored.edited !== undefined) return false;
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return (
    stored.role === input.role &&
    stored.content === input.content &&
    (input.timestamp === undefined || stored.timestamp === input.timestamp) &&
    stored.name === input.name &&
    stored.status === input.status &&
    same(stored.swipes, input.swipes) &&
    same(stored.extra, input.extra)
  );
}

export class MessageWrites extends StorePart {
  async appendMessage(chatId: string, message: NewMessageInput, opts?: WriteOptions): Promise<Message> {
    const { live } = this.ctx;
    let input: NewMessageInput;
    let o: WriteOptions | undefined;
    try {
      input = checkNewMessage(message, 'message');
      o = parseOpts(opts);
    } catch (e) {
      return Promise.reject(e);
    }
    // A new message commutes with any outside change: it is written to the file as it is now.
    return this.tasks.onChatAgainOnOutsideChange(chatId, async (log, id) => {
      checkRevision(log, o);
      if (input.id !== undefined && (await log.hasId(input.id))) {
        // A retry of an append that did land (the answer was lost) gets the stored message back;
        // anything else with a used id is a conflict: ids are never reused.
        const stored = await log.message(input.id).catch((e: unknown) => {
          if (e instanceof StoreError && e.code === 'NOT_FOUND') return null; // deleted: the id stays used
          throw e;
        });
        if (stored && isSameMessage(stored, input)) return live.present(id, stored);
        throw new StoreError('CONFLICT', `message ${input.id} already exists in chat ${id}; ids are never reused`, { chatId: id, messageId: input.id });
      }
      const msg = this.newMessage(input);
      assertRecordSize(msg, 'this message');
      const before = this.keeper.currentEntry(log);
      await log.appendMessage(msg);
      await this.keeper.noteWrite(log, before, { added: [msg], timestamp: msg.timestamp });
      live.note(id, msg);
      return live.present(id, structuredClone(msg));
    }, 'append');
  }

  private newMessage(input: NewMessageInput): Message {
    const msg: Message = { id: input.id ?? randomUUID(), role: input.role, content: input.content, timestamp: input.timestamp ?? this.ctx.now() };
    if (input.name !== undefined) msg.name = input.name;
    if (input.swipes) {
      msg.swipes = input.swipes;
      msg.swipe_id = input.swipe_id ?? input.swipes.length - 1;
    }
    if (input.status !== undefined) msg.status = input.status;
    if (input.extra !== undefined) msg.extra = input.extra;
    return msg;
  }

  /**
   * Many messages as one write and one fdatasync (imports, fixtures). Every message is validated,
   * and every id checked, before anything is written: all of them are stored, or none.
   */
  async appendMessages(chatId: string, messages: NewMessageInput[], opts?: WriteOptions): Promise<Message[]> {
    const { live } = this.ctx;
    let inputs: NewMessageInput[];
    let o: WriteOptions | undefined;
    try {
      o = parseOpts(opts);
      if (!Array.isArray(messages) || messages.length === 0) throw new StoreError('INVALID_INPUT', 'messages: a non-empty array is required', { field: 'messages' });
      inputs = messages.map((m, i) => checkNewMessage(m, `messages.${i}`));
      const ids = inputs.flatMap((m) => (m.id === undefined ? [] : [m.id]));
      if (new Set(ids).size !== ids.length) throw new StoreError('INVALID_INPUT', 'messages: an id appears twice in the batch', { field: 'messages' });
    } catch (e) {
      return Promise.reject(e);
    }
    return this.tasks.onChatAgainOnOutsideChange(chatId, async (log, id) => {
      checkRevision(log, o);
      for (const m of inputs) {
        if (m.id !== undefined && (await log.hasId(m.id))) throw new StoreError('CONFLICT', `message ${m.id} already exists in chat ${id}; ids are never reused; nothing was written`, { chatId: id, messageId: m.id });
      }
      const msgs = inputs.map((m) => this.newMessage(m));
      msgs.forEach((m, i) => assertRecordSize(m, `messages.${i}`));
      // One write is held in memory whole: bound it (a bigger import is split by the caller).
      const bytes = msgs.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)) + 1, 0);
      if (bytes > MAX_BATCH_BYTES) throw new StoreError('TOO_LARGE', `this batch would be ${(bytes / 1048576).toFixed(1)} MiB; one batch may hold at most ${MAX_BATCH_BYTES / 1048576} MiB`, { bytes, limit: MAX_BATCH_BYTES });
      const before = this.keeper.currentEntry(log);
      await log.appendMessages(msgs);
      await this.keeper.noteWrite(log, before, { added: msgs, timestamp: msgs.at(-1)!.timestamp }); // the last record's time
      for (const m of msgs) live.note(id, m);
      return msgs.map((m) => live.present(id, structuredClone(m)));
    }, 'append');
  }

  /**
   * Appends text to a message's selected swipe with one `append_text` record (a streamed reply's
   * checkpoint writes only its new text), optionally setting its status in the same write.
   */
  async appendText(chatId: string, messageId: string, text: string, status?: Message['status'], opts?: WriteOptions): Promise<Message> {
    const { live } = this.ctx;
    const mid = parse(MessageId, messageId, 'messageId');
    const t = parse(Content, text, 'text');
    const s = status === undefined ? undefined : parse(MessageStatus, status, 'status');
    const o = parseOpts(opts);
    // After another program changed the file (a sync tool's version, an append), the text is
    // appended to the file as it is now if that left the message exactly as the app had it.
    let seen = o?.expectedMessage;
    return this.tasks.onChatAgainOnOutsideChange(chatId, async (log, id, again) => {
      checkRevision(log, o);
      // As the app sees it: a dead process's `streaming` is `interrupted`, and a change keeps it so.
      const current = live.present(id, await this.unchangedSince(log, mid, seen, again));
      seen = current;
      const timestamp = this.ctx.now();
      const next: Message = { ...current, content: current.content + t, edited: timestamp };
      if (current.swipes && current.swipe_id !== undefined) next.swipes = current.swipes.map((x, i) => (i === current.swipe_id ? next.content : x));
      if (next.content.length > LIMITS.contentChars) throw new StoreError('TOO_LARGE', `message ${mid} would exceed ${LIMITS.contentChars} characters`, { field: 'text' });
      if (s !== undefined) next.status = s;
      assertRecordSize(next, 'this message');
      const before = this.keeper.currentEntry(log);
      await log.appendChange({ op: 'append_text', id: mid, timestamp, text: t, ...(s !== undefined ? { status: s } : {}) }, next);
      await this.keeper.noteWrite(log, before, { touched: mid, timestamp });
      live.note(id, next);
      return live.present(id, structuredClone(next));
    }, 'append');
  }

  async updateMessage(chatId: string, messageId: string, patch: MessagePatch, opts?: WriteOptions): Promise<Message> {
    const { live } = this.ctx;
    const mid = parse(MessageId, messageId, 'messageId');
    const p = parse(MessagePatch, patch, 'patch');
    const o = parseOpts(opts);
    let seen = o?.expectedMessage;
    return this.tasks.onChatAgainOnOutsideChange(chatId, async (log, _id, again) => {
      checkRevision(log, o);
      // As the app sees it: a dead process's `streaming` is `interrupted`, and an edit keeps it so.
      const current = live.present(log.chatId, await this.unchangedSince(log, mid, seen, again));
      seen = current;
      const next: Message = { ...current, ...(current.swipes ? { swipes: [...current.swipes] } : {}) };
      const timestamp = this.ctx.now();
      let op: MessageOp;
      if (p.addSwipe !== undefined) {
        const swipes = current.swipes ?? [current.content];
        if (swipes.length >= 1000) throw new StoreError('TOO_LARGE', 'a message can hold at most 1000 swipes');
        op = { op: 'swipe_add', id: mid, timestamp, content: p.addSwipe };
        if (p.status !== undefined) next.status = op.status = p.status;
        next.swipes = [...swipes, p.addSwipe];
        next.swipe_id = next.swipes.length - 1;
        next.content = p.addSwipe;
      } else if (p.selectSwipe !== undefined) {
        const text = current.swipes?.[p.selectSwipe];
        if (text === undefined) throw new StoreError('INVALID_INPUT', `patch.selectSwipe: message has ${current.swipes?.length ?? 1} swipe(s)`, { field: 'patch.selectSwipe' });
        op = { op: 'swipe_select', id: mid, timestamp, index: p.selectSwipe };
        next.swipe_id = p.selectSwipe;
        next.content = text;
      } else {
        op = { op: 'edit', id: mid, timestamp };
        if (p.content !== undefined) {
          op.content = p.content;
          next.content = p.content;
          if (next.swipes && next.swipe_id !== undefined) next.swipes[next.swipe_id] = p.content;
        }
        if (p.status !== undefined) next.status = op.status = p.status;
        if (p.name !== undefined) next.name = op.name = p.name;
        if (p.hidden !== undefined) next.hidden = op.hidden = p.hidden;
        if (p.extra !== undefined) {
          op.extra = p.extra;
          next.extra = { ...current.extra, ...p.extra };
        }
      }
      next.edited = timestamp;
      // The merged state is what compaction will write as one line: it must stay valid and loadable.
      if (next.extra !== undefined && !Extra.safeParse(next.extra).success) {
        throw new StoreError('TOO_LARGE', `the merged extra of message ${mid} would exceed ${LIMITS.extraJsonChars} characters`, { field: 'patch.extra' });
      }
      assertRecordSize(next, 'this message');
      const before = this.keeper.currentEntry(log);
      await log.appendChange(op, next);
      await this.keeper.noteWrite(log, before, { touched: mid, timestamp });
      live.note(log.chatId, next);
      return live.present(log.chatId, structuredClone(next));
    }, 'append');
  }

  async deleteMessage(chatId: string, messageId: string, opts?: WriteOptions): Promise<void> {
    const mid = parse(MessageId, messageId, 'messageId');
    const o = parseOpts(opts);
    let seen = o?.expectedMessage;
    return this.tasks.onChatAgainOnOutsideChange(chatId, async (log, _id, again) => {
      checkRevision(log, o);
      seen = await this.unchangedSince(log, mid, seen, again);
      const before = this.keeper.currentEntry(log);
      const timestamp = this.ctx.now();
      await log.appendChange({ op: 'delete', id: mid, timestamp }, null);
      await this.keeper.noteWrite(log, before, { removed: mid, timestamp });
    }, 'append');
  }

  /**
   * The message as stored now; on a second try after an outside change, only if the other program
   * left it exactly as the app had it (else the change and the app's write do not commute: the
   * first CONFLICT stands, nothing is written). With `expectedMessage` (`seen` from the first try
   * on), on every try: a read may have taken in the other program's change already (the chat read
   * anew), and then the first try meets no changed file, only a changed message.
   */
  private async unchangedSince(log: ChatLog, mid: string, seen: Message | undefined, again: { first: StoreError } | null): Promise<Message> {
    if (!again && !seen) return log.message(mid);
    const now = await log.message(mid).catch((e: unknown) => {
      if (!again) throw e; // NOT_FOUND, IO_ERROR: said as they are
      return null;
    });
    if (now && seen && canonical(this.ctx.live.present(log.chatId, now)) === canonical(seen)) return now;
    throw (
      again?.first ??
      new StoreError('CONFLICT', `message ${mid} of chat ${log.chatId} was changed outside the app since the app wrote it; nothing was saved`, {
        chatId: log.chatId,
        messageId: mid,
        reason: 'message_changed',
      })
    );
  }
}

// Keeps both sides when a chat's file changed outside the app while the app held unsaved state
// for it (a streaming reply): the outside file stays exactly as it is, and the app's version —
// the messages as the app last read or wrote them, plus the reply so far — goes into a new chat
// titled "… (conflict copy)". The user is told. Nothing is overwritten.
import type { Message } from '../../shared/chat-format.ts';
import type { StreamInfo } from '../../shared/ipc-contract.ts';
import { LIMITS } from '../../shared/chat-format.ts';
import type { ChatStore } from '../store/types.ts';
import { toInput } from '../store/chats/inputs.ts';
import type { Emit } from '../generation/manager.ts';

export interface ConflictKeeper {
  /** Makes the conflict copy (once per call); resolves with the copy's chat id, or null if there was nothing to keep. */
  keep(chatId: string, reply: StreamInfo | undefined): Promise<string | null>;
  /** The copy being made for this chat, if any: the watcher waits for it before re-reading the chat. */
  pending(chatId: string): Promise<unknown> | undefined;
}

/** The app's messages with the reply so far applied, as the app would have stored them. */
export function withReply(messages: Message[], reply: StreamInfo | undefined): Message[] {
  const out = messages.map((m) => structuredClone(m));
  if (!reply?.messageId || !reply.text) return out;
  const i = out.findIndex((m) => m.id === reply.messageId);
  const m = out[i];
  if (reply.mode === 'new') {
    const msg: Message = { id: reply.messageId, role: 'assistant', content: reply.text, timestamp: m?.timestamp ?? Date.now(), status: 'interrupted' };
    if (m) out[i] = msg;
    else out.push(msg);
  } else if (m) {
    const swipes = m.swipes ? [...m.swipes] : [m.content];
    if (reply.mode === 'continue' || m.status === 'streaming') swipes[m.swipe_id ?? swipes.length - 1] = reply.text; // the stored part is a prefix of the reply
    else swipes.push(reply.text);
    const sel = reply.mode === 'continue' || m.status === 'streaming' ? (m.swipe_id ?? swipes.length - 1) : swipes.length - 1;
    out[i] = { ...m, content: reply.text, swipes, swipe_id: sel, status: 'interrupted' };
  }
  return out;
}

export function createConflictKeeper(deps: { store: ChatStore; emit: Emit; log?: (m: string) => void }): ConflictKeeper {
  const log = deps.log ?? ((m: string) => console.warn(`[conflict] ${m}`));
  const running = new Map<string, Promise<string | null>>();

  async function make(chatId: string, reply: StreamInfo | undefined): Promise<string | null> {
    if (!reply?.text) {
      log(`chat ${chatId} changed outside the app; no unsaved reply was lost`);
      return null;
    }
    const view = await deps.store.appView(chatId);
    if (!view) throw new Error(`the app's version of chat ${chatId} is no longer readable`);
    const { title, characterId } = view;
    const messages = withReply(view.messages, reply);
    const copyTitle = `${title.slice(0, LIMITS.titleChars - 20)} (conflict copy)`;
    const copy = await deps.store.createChat({ characterId, title: copyTitle, metadata: { conflict_copy_of: chatId } });
    for (let i = 0; i < messages.length; i += 500) await deps.store.appendMessages(copy.chatId, messages.slice(i, i + 500).map(toInput));
    const summary = await deps.store.getChat(copy.chatId);
    log(`chat ${chatId} changed outside the app while a reply was being written; the app's version is chat ${copy.chatId}`);
    deps.emit('chat:changed', { chatId: copy.chatId, characterId, summary, source: 'app' });
    deps.emit('notice', {
      level: 'warning',
      code: 'CONFLICT',
      message: `"${title}" was changed by another program while a reply was being written. The file was left as that program saved it; the app's version, with the reply, was saved as "${copyTitle}". Nothing was overwritten.`,
    });
    return copy.chatId;
  }

  return {
    keep(chatId, reply) {
      const prev = running.get(chatId) ?? Promise.resolve(null);
      const p = prev
        .catch(() => null)
        .then(() => make(chatId, reply))
        .catch((e: unknown) => {
          log(`the conflict copy of chat ${chatId} could not be made: ${String(e)}`);
          deps.emit('notice', { level: 'error', code: 'CONFLICT', message: `Chat ${chatId.slice(0, 8)} was changed by another program while a reply was being written, and the app's version could not be saved as a copy: ${String((e as Error)?.message ?? e)}` });
          return null;
        });
      running.set(chatId, p);
      void p.finally(() => {
        if (running.get(chatId) === p) running.delete(chatId);
      });
      return p;
    },
    pending: (chatId) => running.get(chatId),
  };
}

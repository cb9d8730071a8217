// Sending the draft: stored first (acknowledged by main), then the reply is asked for. The draft
// is emptied only once main has the message.
import { useRef, useState } from 'react';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { read } from '../api/read.ts';
import type { OpenChat } from '../chat/useOpenChat.ts';
import type { Selection } from '../chat/useSelection.ts';
import type { useDraft } from '../drafts/useDraft.ts';
import type { SaveState } from '../save-state.ts';
import type { Stream } from '../streams/useStreams.ts';

function newId(): string {
  return crypto.randomUUID();
}

export function useSend(
  api: CardsharkApi,
  save: SaveState,
  sel: Selection,
  chat: OpenChat,
  draft: ReturnType<typeof useDraft>,
  /** Nothing is sent while a reply is live in the chat, or while the chat is damaged or read-only. */
  stream: Stream | undefined,
  sendBlocked: boolean,
) {
  const { current } = sel;
  const { setMessages, hasNewer, reloadOpenChat } = chat;
  const [sending, setSending] = useState(false);
  // A ref, not state: a second Enter before main answers must not store the message again,
  // and it runs before React re-renders.
  const sendingRef = useRef(false);

  async function send() {
    const text = draft.text.trim();
    const id = draft.chatId; // the draft's own chat: a draft never goes elsewhere
    if (!text || !id || stream || sendingRef.current || sendBlocked) return;
    sendingRef.current = true;
    setSending(true);
    try {
      const message = { id: newId(), role: 'user' as const, content: text };
      const saved = await save.track(`send:${id}:${message.id}`, 'Sending', () => api.appendMessage({ chatId: id, message }), (m) => {
        if (current.current.chatId === id) setMessages((ms) => (ms.some((x) => x.id === m.id) ? ms : [...ms, m]));
        draft.clearIfSent(id, text);
      });
      if (saved && hasNewer) await reloadOpenChat(); // back from a jump to the newest messages
      if (saved) await read('Generating', api.generate({ mode: 'new', chatId: id }));
    } finally {
      sendingRef.current = false;
      setSending(false);
    }
  }

  return { sending, send };
}

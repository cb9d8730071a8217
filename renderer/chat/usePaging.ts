// Paging the open chat: older messages above the loaded ones, newer ones below after a jump, and
// the jump itself (find in chat: show a message, loading the page around it when it is not loaded).
import { useCallback, useRef, useState } from 'react';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { read } from '../api/read.ts';
import { PAGE, type OpenChat } from './useOpenChat.ts';
import type { Selection } from './useSelection.ts';

export function usePaging(api: CardsharkApi, sel: Selection, chat: OpenChat) {
  const { current } = sel;
  const { messagesRef, setMessages, setHasMore, setHasNewer, setFocus } = chat;
  const [loadingOlder, setLoadingOlder] = useState(false);
  // Refs, not state: two scroll events in one frame must not both start a load.
  const loadingOlderRef = useRef(false);
  const loadingNewerRef = useRef(false);

  /** Shows a message: scrolls to it when loaded, else loads the page around it (find in chat). */
  const showMessageById = useCallback(
    async (messageId: string) => {
      const id = current.current.chatId;
      if (!id) return;
      if (!messagesRef.current.some((m) => m.id === messageId)) {
        const page = await read('Jumping to the match', api.loadChat({ chatId: id, options: { around: messageId, limit: PAGE } }));
        if (!page || current.current.chatId !== id) return;
        setMessages(page.messages);
        setHasMore(page.hasMore);
        setHasNewer(page.hasNewer ?? false);
      }
      setFocus((f) => ({ id: messageId, tick: f.tick + 1 }));
    },
    [api, current, messagesRef, setMessages, setHasMore, setHasNewer, setFocus],
  );

  const loadOlder = useCallback(async () => {
    const id = current.current.chatId;
    const before = messagesRef.current[0]?.id;
    if (!id || !before || loadingOlderRef.current) return;
    loadingOlderRef.current = true;
    setLoadingOlder(true);
    try {
      const page = await read('Loading older messages', api.loadChat({ chatId: id, options: { limit: PAGE, before } }));
      if (!page || current.current.chatId !== id) return;
      // The list changed under us (chat reopened or reloaded): this page no longer joins on.
      if (messagesRef.current[0]?.id !== before) return;
      setMessages((ms) => {
        if (ms[0]?.id !== before) return ms;
        const have = new Set(ms.map((m) => m.id));
        const older = page.messages.filter((m) => !have.has(m.id));
        return older.length ? [...older, ...ms] : ms;
      });
      setHasMore(page.hasMore);
    } finally {
      loadingOlderRef.current = false;
      setLoadingOlder(false);
    }
  }, [api, current, messagesRef, setMessages, setHasMore]);

  /** After a jump: the page just after the newest loaded message (`loadChat({ after })`). */
  const loadNewer = useCallback(async () => {
    const id = current.current.chatId;
    const after = messagesRef.current.at(-1)?.id;
    if (!id || !after || loadingNewerRef.current) return;
    loadingNewerRef.current = true;
    try {
      const page = await read('Loading newer messages', api.loadChat({ chatId: id, options: { limit: PAGE, after } }));
      if (!page || current.current.chatId !== id || messagesRef.current.at(-1)?.id !== after) return;
      setMessages((ms) => {
        const have = new Set(ms.map((m) => m.id));
        return [...ms, ...page.messages.filter((m) => !have.has(m.id))];
      });
      setHasNewer(page.hasNewer ?? false);
    } finally {
      loadingNewerRef.current = false;
    }
  }, [api, current, messagesRef, setMessages, setHasNewer]);

  return { loadingOlder, showMessageById, loadOlder, loadNewer };
}

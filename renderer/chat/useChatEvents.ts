// Keeping the window current: main's events (characters and chats changed or removed, here or by
// another program) and, in the browser host, a reconnect after which the events sent meanwhile are lost.
import { useEffect } from 'react';
import type { CardsharkApi, Character } from '../../shared/ipc-contract.ts';
import { RECONNECTED_EVENT } from '../api/index.ts';
import { pushNotice } from '../notices.ts';
import type { SaveState } from '../save-state.ts';
import { PAGE, type OpenChat } from './useOpenChat.ts';
import { byUpdated, type Selection } from './useSelection.ts';

/** Main → renderer events. */
export function useMainEvents(api: CardsharkApi, save: SaveState, sel: Selection, chat: OpenChat, showCharacters: (list: Character[]) => void) {
  const { current, chatsRef, setChats, setChatId } = sel;
  const { revisionRef, openChatRef, reloadOpenChatRef, showNewer, setMessages } = chat;
  useEffect(() => {
    const offs = [
      api.on('characters:changed', () => void api.listCharacters({}).then((r) => r.ok && showCharacters(r.data))),
      api.on('chat:changed', ({ chatId: id, characterId: ch, summary, revision, messages: changedMessages, deletedIds, source }) => {
        // Changed by another program: the open chat shows what is on disk now, without a reload.
        if (source === 'external' && current.current.chatId === id) {
          reloadOpenChatRef.current();
          if (ch === current.current.characterId && summary) setChats((cs) => [...cs.filter((c) => c.chatId !== id), summary].sort(byUpdated));
          return;
        }
        if (ch !== current.current.characterId) return;
        if (summary) setChats((cs) => [...cs.filter((c) => c.chatId !== id), summary].sort(byUpdated));
        // The open chat stays current in every window: apply what changed, or reload if the event does not say.
        if (id !== current.current.chatId || revision === undefined) return;
        const known = revisionRef.current;
        if (changedMessages || deletedIds) {
          for (const m of changedMessages ?? []) showNewer(id, m);
          if (deletedIds?.length) setMessages((ms) => ms.filter((m) => !deletedIds.includes(m.id)));
          if (known !== null && revision > known) revisionRef.current = revision;
        } else if (revision !== known) reloadOpenChatRef.current(); // not only newer: a file replaced outside the app may have a lower revision
      }),
      api.on('chat:removed', ({ chatId: id, characterId: ch, nextChatId, source }) => {
        const left = chatsRef.current.filter((c) => c.chatId !== id);
        setChats((cs) => cs.filter((c) => c.chatId !== id));
        save.dropWhere((key) => key.includes(`:${id}`)); // nothing left to save into
        if (source === 'external') pushNotice({ level: 'warning', message: 'A chat was deleted by another program; it has left the list.' });
        if (current.current.chatId === id) {
          // The next most recent chat of the character opens (main chose it and made it active).
          const next = nextChatId !== undefined ? nextChatId : (left[0]?.chatId ?? null);
          if (ch === current.current.characterId) void openChatRef.current(next, ch);
          else {
            setChatId(null);
            setMessages([]);
          }
        }
      }),
      api.on('notice', (n) => pushNotice(n)),
    ];
    return () => offs.forEach((off) => off());
  }, [api, save.dropWhere, showCharacters, current, chatsRef, setChats, setChatId, revisionRef, openChatRef, reloadOpenChatRef, showNewer, setMessages]);
}

/** The browser host's socket came back: events sent meanwhile (a stream's end, chat changes) were lost, so reload what is on screen. */
export function useReloadOnReconnect(api: CardsharkApi, sel: Selection, chat: OpenChat) {
  const { current, setCharacters, setChats } = sel;
  const { setMessages, setHasMore, revisionRef } = chat;
  useEffect(() => {
    const onReconnect = () => {
      const { characterId: ch, chatId: id } = current.current;
      void api.listCharacters({}).then((r) => r.ok && setCharacters(r.data));
      if (ch)
        void api.listChats({ characterId: ch }).then((r) => {
          if (r.ok && current.current.characterId === ch) setChats([...r.data].sort(byUpdated));
        });
      if (id)
        void api.loadChat({ chatId: id, options: { limit: PAGE } }).then((r) => {
          if (!r.ok || current.current.chatId !== id) return;
          setMessages(r.data.messages);
          setHasMore(r.data.hasMore);
          revisionRef.current = r.data.revision;
        });
    };
    window.addEventListener(RECONNECTED_EVENT, onReconnect);
    return () => window.removeEventListener(RECONNECTED_EVENT, onReconnect);
  }, [api, current, setCharacters, setChats, setMessages, setHasMore, revisionRef]);
}

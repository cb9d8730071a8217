// Choosing a character: its chats are listed and its active chat opens. At startup the last
// selection comes back (kept main-side, so it survives restarts).
import { useCallback, useEffect } from 'react';
import type { CardsharkApi, Character } from '../../shared/ipc-contract.ts';
import { read } from '../api/read.ts';
import type { OpenChat } from '../chat/useOpenChat.ts';
import { byUpdated, type Selection } from '../chat/useSelection.ts';
import type { SaveState } from '../save-state.ts';

export function useCharacters(api: CardsharkApi, save: SaveState, sel: Selection, chat: OpenChat) {
  const { current, setCharacters, setCharacterId, setChats, setChatId } = sel;
  const { openChat, setMessages } = chat;

  const selectCharacter = useCallback(
    async (id: string) => {
      setCharacterId(id);
      setChats([]);
      void save.track('active-character', 'Remembering the character', () => api.setActiveCharacter({ characterId: id }));
      const list = await read('Listing chats', api.listChats({ characterId: id }));
      if (!list || current.current.characterId !== id) return;
      const sorted = [...list].sort(byUpdated);
      setChats(sorted);
      const active = await read('Finding the active chat', api.getActiveChat({ characterId: id }));
      if (current.current.characterId !== id) return;
      await openChat(active?.chatId ?? sorted[0]?.chatId ?? null, id);
    },
    [api, openChat, save.track, current, setCharacterId, setChats],
  );

  // Startup: characters and the last selection.
  useEffect(() => {
    void (async () => {
      const list = await read('Listing characters', api.listCharacters({}));
      if (list) setCharacters(list);
      const active = await read('Restoring selection', api.getActiveCharacter({}));
      if (active?.characterId) await selectCharacter(active.characterId);
    })();
  }, [api, selectCharacter, setCharacters]);

  /** A new character list from main: a selected character that is gone (deleted) is deselected. */
  const showCharacters = useCallback(
    (list: Character[]) => {
      setCharacters(list);
      if (current.current.characterId && !list.some((c) => c.id === current.current.characterId)) {
        setCharacterId(null);
        setChats([]);
        setChatId(null);
        setMessages([]);
      }
    },
    [current, setCharacters, setCharacterId, setChats, setChatId, setMessages],
  );

  return { selectCharacter, showCharacters };
}

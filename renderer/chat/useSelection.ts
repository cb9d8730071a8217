// What the window shows: the character list, the selected character, its chats and the open chat.
import { useRef, useState } from 'react';
import type { ChatSummary } from '../../shared/chat-format.ts';
import type { Character } from '../../shared/ipc-contract.ts';

/** The chat list's order: the most recently updated first. */
export function byUpdated(a: ChatSummary, b: ChatSummary) {
  return b.updated - a.updated;
}

export function useSelection() {
  const [characters, setCharacters] = useState<Character[]>([]);
  const [characterId, setCharacterId] = useState<string | null>(null);
  const [chats, setChats] = useState<ChatSummary[]>([]);
  const [chatId, setChatId] = useState<string | null>(null);
  // Read after an await: is this still the selection the answer was asked for?
  const current = useRef({ characterId, chatId });
  current.current = { characterId, chatId };
  const chatsRef = useRef<ChatSummary[]>([]);
  chatsRef.current = chats;
  return { characters, setCharacters, characterId, setCharacterId, chats, setChats, chatId, setChatId, current, chatsRef };
}

export type Selection = ReturnType<typeof useSelection>;

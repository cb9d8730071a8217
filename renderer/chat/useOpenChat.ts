// The open chat's view: its loaded messages, whether older or newer ones exist beyond them, its
// health (recovery/), and the revision this window last saw. Opening, reloading and repairing it.
import { useCallback, useRef, useState } from 'react';
import type { Message } from '../../shared/chat-format.ts';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { read } from '../api/read.ts';
import { pushNotice } from '../notices.ts';
import type { ChatHealth } from '../recovery/ChatHealth.tsx';
import { healthOf } from '../recovery/health.ts';
import type { SaveState } from '../save-state.ts';
import type { Selection } from './useSelection.ts';

/** Messages per loaded page. */
export const PAGE = 100;

export function useOpenChat(api: CardsharkApi, save: SaveState, sel: Selection) {
  const { current, chatsRef, setChatId } = sel;
  const [messages, setMessages] = useState<Message[]>([]);
  const [hasMore, setHasMore] = useState(false);
  /** After a jump to an old message: newer messages exist below the loaded ones. */
  const [hasNewer, setHasNewer] = useState(false);
  const [focus, setFocus] = useState<{ id: string; tick: number }>({ id: '', tick: 0 });
  /** A damaged, unreadable or read-only open chat (null when healthy): sending is disabled while it blocks. */
  const [health, setHealth] = useState<ChatHealth | null>(null);
  const [showBackups, setShowBackups] = useState(false);
  const [repairing, setRepairing] = useState(false);
  // Refs, not state: two events in one frame (a double Enter, two scroll events) both run
  // before React re-renders, so guards must not read a render's stale copy.
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  /** The open chat's revision as this window last saw it (a load, or a chat:changed event). */
  const revisionRef = useRef<number | null>(null);
  /** Per message being edited: the revision the edit started from, sent as expectedRevision. */
  const editBase = useRef(new Map<string, number>());

  /** Shows a stored message in the open chat: replaces it when present, else appends it. */
  const showMessage = useCallback((id: string, message: Message) => {
    if (current.current.chatId !== id) return;
    setMessages((ms) => (ms.some((m) => m.id === message.id) ? ms.map((m) => (m.id === message.id ? message : m)) : [...ms, message]));
  }, [current]);

  /** Like showMessage, but an event that arrives late never replaces a newer copy of the message. */
  const showNewer = useCallback((id: string, message: Message) => {
    if (current.current.chatId !== id) return;
    const stamp = (m: Message) => m.edited ?? m.timestamp;
    setMessages((ms) => {
      const old = ms.find((m) => m.id === message.id);
      if (!old) return [...ms, message];
      return stamp(old) > stamp(message) ? ms : ms.map((m) => (m.id === message.id ? message : m));
    });
  }, [current]);

  const openChat = useCallback(
    async (id: string | null, charId: string) => {
      setChatId(id);
      setMessages([]);
      setHasMore(false);
      setHealth(null);
      setShowBackups(false);
      setHasNewer(false);
      revisionRef.current = null;
      editBase.current.clear();
      if (!id) return;
      void save.track(`active-chat:${charId}`, 'Remembering the open chat', () => api.setActiveChat({ characterId: charId, chatId: id }));
      const load = await api.loadChat({ chatId: id, options: { limit: PAGE } });
      if (current.current.chatId !== id) return;
      if (load.ok) {
        setMessages(load.data.messages);
        setHasMore(load.data.hasMore);
        revisionRef.current = load.data.revision;
      }
      // A chat that cannot be read is never shown as empty: the notice says why (recovery/).
      const h = await healthOf(api, id, load, chatsRef.current.find((c) => c.chatId === id)?.status);
      if (current.current.chatId === id) setHealth(h);
    },
    [api, save.track, current, chatsRef, setChatId],
  );
  // For event handlers subscribed once: they call the newest openChat.
  const openChatRef = useRef(openChat);
  openChatRef.current = openChat;

  /**
   * Reloads the newest page of the open chat (after a stream ended without its message, a reconnect,
   * a change by another program) and what its health is now: a chat damaged, made read-only or
   * mended while open shows so at once, with Repair when it can be repaired.
   */
  const reloadOpenChat = useCallback(() => {
    const id = current.current.chatId;
    if (!id) return;
    return api.loadChat({ chatId: id, options: { limit: PAGE } }).then(async (r) => {
      if (current.current.chatId !== id) return;
      if (r.ok) {
        setMessages(r.data.messages);
        setHasMore(r.data.hasMore);
        setHasNewer(false);
        const last = r.data.messages.at(-1);
        if (last) setFocus((f) => ({ id: last.id, tick: f.tick + 1 }));
        revisionRef.current = r.data.revision;
      }
      const h = await healthOf(api, id, r, chatsRef.current.find((c) => c.chatId === id)?.status);
      if (current.current.chatId === id) setHealth(h);
    });
  }, [api, current, chatsRef]);
  const reloadOpenChatRef = useRef(reloadOpenChat);
  reloadOpenChatRef.current = reloadOpenChat;

  async function repair() {
    const id = current.current.chatId;
    const ch = current.current.characterId;
    if (!id || !ch) return;
    setRepairing(true);
    try {
      const r = await read('Repairing the chat', api.repairChat({ chatId: id }));
      if (!r) return;
      pushNotice({
        level: 'info',
        message: r.repaired
          ? `Repaired. The original file is kept as a backup${r.quarantined.length ? `; ${r.quarantined.length} damaged piece(s) are in quarantine` : ''}.${r.backups.length ? ' Nothing could be salvaged: restore one of its backups.' : ''}`
          : 'Nothing to repair.',
      });
      await openChat(id, ch);
      if (r.backups.length) setShowBackups(true);
    } finally {
      setRepairing(false);
    }
  }

  return {
    messages,
    setMessages,
    messagesRef,
    hasMore,
    setHasMore,
    hasNewer,
    setHasNewer,
    focus,
    setFocus,
    health,
    showBackups,
    setShowBackups,
    repairing,
    revisionRef,
    editBase,
    showMessage,
    showNewer,
    openChat,
    openChatRef,
    reloadOpenChat,
    reloadOpenChatRef,
    repair,
  };
}

export type OpenChat = ReturnType<typeof useOpenChat>;

// The CardShark UI. It knows only the typed API object (window.cardshark).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChatSummary, Message } from '../shared/chat-format.ts';
import type { CardsharkApi, Character, Result } from '../shared/ipc-contract.ts';
import { pushNotice } from './notices.ts';
import { RECONNECTED_EVENT } from './api/index.ts';
import { useSaveState } from './save-state.ts';
import { VirtualList } from './components/VirtualList.tsx';
import { MessageView, type MessageActions } from './components/MessageView.tsx';
import { ChatList } from './components/Sidebar.tsx';
import { CharacterPanel } from './characters/CharacterPanel.tsx';
import { useCharacterAvatar } from './characters/useAvatar.ts';
import { ChatFiles } from './chat-files/ChatFiles.tsx';
import { CharacterEditor } from './characters/CharacterEditor.tsx';
import { Notices, SaveIndicator } from './components/StatusBits.tsx';
import { Settings } from './components/Settings.tsx';
import { StorageSettings } from './components/StorageSettings.tsx';
import { StreamingRow } from './components/StreamingRow.tsx';
import { isStreamTarget, useStreams, type Stream } from './streams/useStreams.ts';
import { useDraft } from './drafts/useDraft.ts';
import { ChatHealthNotice, blocksSending, type ChatHealth } from './recovery/ChatHealth.tsx';
import { BackupsPanel } from './recovery/BackupsPanel.tsx';
import { DeletedChats } from './recovery/DeletedChats.tsx';
import { healthOf } from './recovery/health.ts';
import { FindBar } from './find/FindBar.tsx';
import { useFind } from './find/useFind.ts';
import { COMPOSER_ATTR, useChatKeys } from './keyboard/useChatKeys.ts';
import { UndoBar } from './undo/UndoBar.tsx';
import { usePendingDeletes } from './undo/usePendingDeletes.ts';
import { LockLostBanner } from './lock-lost/LockLostBanner.tsx';

const PAGE = 100;

type Row = { kind: 'message'; m: Message } | { kind: 'stream'; s: Stream };

function byUpdated(a: ChatSummary, b: ChatSummary) {
  return b.updated - a.updated;
}

function newId(): string {
  return crypto.randomUUID();
}

export function App({ api }: { api: CardsharkApi }) {
  const [characters, setCharacters] = useState<Character[]>([]);
  const [characterId, setCharacterId] = useState<string | null>(null);
  const [chats, setChats] = useState<ChatSummary[]>([]);
  const [chatId, setChatId] = useState<string | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [hasMore, setHasMore] = useState(false);
  /** After a jump to an old message: newer messages exist below the loaded ones. */
  const [hasNewer, setHasNewer] = useState(false);
  const [focus, setFocus] = useState<{ id: string; tick: number }>({ id: '', tick: 0 });
  const [editRequest, setEditRequest] = useState<{ id: string; tick: number } | null>(null);
  const composer = useRef<HTMLTextAreaElement>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [sending, setSending] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const closeEditor = useCallback(() => setEditing(null), []);
  /** A damaged, unreadable or read-only open chat (null when healthy): sending is disabled while it blocks. */
  const [health, setHealth] = useState<ChatHealth | null>(null);
  const [showBackups, setShowBackups] = useState(false);
  const [repairing, setRepairing] = useState(false);
  const chatsRef = useRef<ChatSummary[]>([]);
  const save = useSaveState();
  const current = useRef({ characterId, chatId });
  current.current = { characterId, chatId };
  // Refs, not state: two events in one frame (a double Enter, two scroll events) both run
  // before React re-renders, so guards must not read a render's stale copy.
  const sendingRef = useRef(false);
  const loadingOlderRef = useRef(false);
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  /** The open chat's revision as this window last saw it (a load, or a chat:changed event). */
  const revisionRef = useRef<number | null>(null);
  /** Per message being edited: the revision the edit started from, sent as expectedRevision. */
  const editBase = useRef(new Map<string, number>());
  const draft = useDraft(api, chatId);

  /** Shows a stored message in the open chat: replaces it when present, else appends it. */
  const showMessage = useCallback((id: string, message: Message) => {
    if (current.current.chatId !== id) return;
    setMessages((ms) => (ms.some((m) => m.id === message.id) ? ms.map((m) => (m.id === message.id ? message : m)) : [...ms, message]));
  }, []);

  /** Like showMessage, but an event that arrives late never replaces a newer copy of the message. */
  const showNewer = useCallback((id: string, message: Message) => {
    if (current.current.chatId !== id) return;
    const stamp = (m: Message) => m.edited ?? m.timestamp;
    setMessages((ms) => {
      const old = ms.find((m) => m.id === message.id);
      if (!old) return [...ms, message];
      return stamp(old) > stamp(message) ? ms : ms.map((m) => (m.id === message.id ? message : m));
    });
  }, []);

  /** Reads: report failures as notices, return the data or undefined. */
  const read = useCallback(async <T,>(label: string, p: Promise<Result<T>>): Promise<T | undefined> => {
    const r = await p;
    if (r.ok) return r.data;
    pushNotice({ level: 'error', code: r.error.code, message: `${label}: [${r.error.code}] ${r.error.message}` });
    return undefined;
  }, []);

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
    [api, read, save.track],
  );

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
    [api, read, openChat, save.track],
  );

  // Startup: characters and the last selection (kept main-side, so it survives restarts).
  useEffect(() => {
    void (async () => {
      const list = await read('Listing characters', api.listCharacters({}));
      if (list) setCharacters(list);
      const active = await read('Restoring selection', api.getActiveCharacter({}));
      if (active?.characterId) await selectCharacter(active.characterId);
    })();
  }, [api, read, selectCharacter]);

  /** A new character list from main: a selected character that is gone (deleted) is deselected. */
  const showCharacters = useCallback((list: Character[]) => {
    setCharacters(list);
    if (current.current.characterId && !list.some((c) => c.id === current.current.characterId)) {
      setCharacterId(null);
      setChats([]);
      setChatId(null);
      setMessages([]);
    }
  }, []);

  // Main → renderer events.
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
  }, [api, save.dropWhere, showCharacters]);

  const openChatRef = useRef(openChat);
  openChatRef.current = openChat;

  /** Reloads the newest page of the open chat (after a stream ended without its message, a reconnect). */
  const reloadOpenChat = useCallback(() => {
    const id = current.current.chatId;
    if (!id) return;
    return api.loadChat({ chatId: id, options: { limit: PAGE } }).then((r) => {
      if (!r.ok || current.current.chatId !== id) return;
      setMessages(r.data.messages);
      setHasMore(r.data.hasMore);
      setHasNewer(false);
      const last = r.data.messages.at(-1);
      if (last) setFocus((f) => ({ id: last.id, tick: f.tick + 1 }));
      revisionRef.current = r.data.revision;
    });
  }, [api]);
  const reloadOpenChatRef = useRef(reloadOpenChat);
  reloadOpenChatRef.current = reloadOpenChat;

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
    [api, read],
  );
  const find = useFind(api, chatId, (messageId) => void showMessageById(messageId));

  const { streams } = useStreams(api, {
    onEnd: ({ streamId, chatId: id, message, error, status }, streamed) => {
      if (error) pushNotice({ level: 'error', code: error.code, message: `Generation ${status}: ${error.message}` });
      if (message) showMessage(id, message);
      else if (streamed?.text && error) {
        // Main keeps the reply and retries the write; until then it is not saved.
        save.fail({ key: `reply:${id}:${streamId}`, message: `Saving the reply: ${error.message} (kept, retried by the app)` });
        if (current.current.chatId === id) reloadOpenChat();
      }
    },
  });

  // The browser host's socket came back: events sent meanwhile (a stream's end, chat changes)
  // were lost, so drop typing rows and reload what is on screen.
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
  }, [api]);

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
  }, [api, read]);

  /** After a jump: the page just after the newest loaded message (`loadChat({ after })`). */
  const loadingNewerRef = useRef(false);
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
  }, [api, read]);

  const stream = chatId ? streams[chatId] : undefined;
  chatsRef.current = chats;
  const sendBlocked = blocksSending(health);

  async function repairOpenChat() {
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

  async function send() {
    const text = draft.text.trim();
    const id = draft.chatId; // the draft's own chat: a draft never goes elsewhere
    // sendingRef: a second Enter before main answers must not store the message again.
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

  const deletes = usePendingDeletes(({ chatId: cid, m }) => {
    void save.track(`delete-message:${cid}:${m.id}`, 'Deleting message', () => api.deleteMessage({ chatId: cid, messageId: m.id }), () => {
      if (current.current.chatId === cid) setMessages((ms) => ms.filter((x) => x.id !== m.id));
      save.dropWhere((key) => key.endsWith(`:${cid}:${m.id}`)); // edits of a deleted message are moot
    });
  });
  // A chat switch sends a pending delete through at once.
  useEffect(() => deletes.flush, [chatId, deletes.flush]);

  const replace = (m: Message) => setMessages((ms) => ms.map((x) => (x.id === m.id ? m : x)));
  const actions: MessageActions = {
    beginEdit: (m) => {
      if (revisionRef.current !== null) editBase.current.set(m.id, revisionRef.current);
    },
    edit: async (m, content) => {
      if (!chatId) return true;
      if (!content.trim()) return false; // an edit cannot empty a message
      const id = chatId;
      const key = `edit:${id}:${m.id}`;
      const base = editBase.current.get(m.id);
      const saved = await save.track<Message | { conflict: unknown }>(key, 'Editing', async () => {
        const r = await api.updateMessage({ chatId: id, messageId: m.id, patch: { content }, ...(base !== undefined ? { expectedRevision: base } : {}) });
        // Edited from a stale view: not a failure to retry, a conflict the user resolves (their text stays).
        if (!r.ok && r.error.code === 'CONFLICT' && r.error.details?.reason === 'revision') return { ok: true as const, data: { conflict: r.error.details.revision } };
        return r as Result<Message | { conflict: unknown }>;
      });
      if (saved === undefined) return true; // failed: reported and kept with a retry, as before
      if ('conflict' in saved) {
        pushNotice({
          level: 'warning',
          code: 'CONFLICT',
          message: 'This chat was changed elsewhere (another window) since you started editing. It has been reloaded; your text is still in the edit box: check it and save again.',
        });
        if (typeof saved.conflict === 'number') editBase.current.set(m.id, saved.conflict);
        reloadOpenChat();
        return false;
      }
      editBase.current.delete(m.id);
      if (current.current.chatId === id) replace(saved as Message);
      return true;
    },
    remove: (m) => {
      if (chatId) deletes.remove({ chatId, m }); // hidden now, deleted when the undo window ends
    },
    regenerate: (m) => {
      if (chatId) void read('Regenerating', api.generate({ mode: 'swipe', chatId, messageId: m.id }));
    },
    continue: (m) => {
      if (chatId) void read('Continuing', api.generate({ mode: 'continue', chatId, messageId: m.id }));
    },
    reply: () => {
      if (chatId) void read('Generating', api.generate({ mode: 'new', chatId }));
    },
    swipe: (m, to) => {
      if (!chatId || to < 0) return;
      if (to >= (m.swipes?.length ?? 1)) void read('Generating a swipe', api.generate({ mode: 'swipe', chatId, messageId: m.id }));
      else void save.track(`swipe:${chatId}:${m.id}`, 'Swiping', () => api.updateMessage({ chatId, messageId: m.id, patch: { selectSwipe: to } }), replace);
    },
  };

  // The message a live stream writes into is shown as the live row, not as stored.
  const rows: Row[] = messages.filter((m) => !isStreamTarget(m, stream) && m.id !== deletes.pending?.m.id).map((m) => ({ kind: 'message', m }));
  if (stream) rows.push({ kind: 'stream', s: stream });
  const lastMessageId = rows.length && rows[rows.length - 1]!.kind === 'message' ? (rows[rows.length - 1] as { m: Message }).m.id : undefined;
  const characterName = characters.find((c) => c.id === characterId)?.name ?? 'Character';
  const currentChat = chats.find((c) => c.chatId === chatId);
  // The character's small avatar (a data: URL from its card) beside its messages; initials without one.
  const avatarSrc = useCharacterAvatar(api, characters.find((c) => c.id === characterId)) ?? undefined;
  const lastRow = rows.at(-1);
  const lastReply = !hasNewer && lastRow?.kind === 'message' && lastRow.m.role === 'assistant' ? lastRow.m : undefined;
  useChatKeys(
    {
      onSwipe: (delta) => {
        if (lastReply && !stream) actions.swipe(lastReply, (lastReply.swipe_id ?? 0) + delta);
      },
      onEditLast: () => {
        const mine = [...messages].reverse().find((m) => m.role === 'user' && m.id !== deletes.pending?.m.id);
        if (mine) {
          setEditRequest((r) => ({ id: mine.id, tick: (r?.tick ?? 0) + 1 }));
          setFocus((f) => ({ id: mine.id, tick: f.tick + 1 }));
        }
      },
    },
    Boolean(chatId),
  );

  return (
    <div className="app">
      <aside className="sidebar">
        <h1>CardShark</h1>
        <CharacterPanel
          api={api}
          characters={characters}
          selected={characterId}
          onSelect={(id) => void selectCharacter(id)}
          onEdit={setEditing}
          onImported={(c) => {
            setCharacters((cs) => [...cs.filter((x) => x.id !== c.id), c]);
            void selectCharacter(c.id);
          }}
          onCreate={(name) =>
            void save.track(`add-character:${name}`, 'Adding character', () => api.createCharacter({ name }), (c) => {
              setCharacters((cs) => (cs.some((x) => x.id === c.id) ? cs : [...cs, c]));
              void selectCharacter(c.id);
            })
          }
        />
        {characterId && (
          <ChatList
            chats={chats}
            active={chatId}
            onOpen={(id) => void openChat(id, characterId)}
            onCreate={() =>
              void save.track(`create-chat:${characterId}`, 'Creating chat', () => api.createChat({ characterId, title: `Chat ${new Date().toLocaleString()}` }), (s) => {
                setChats((cs) => [s, ...cs.filter((c) => c.chatId !== s.chatId)]);
                void openChat(s.chatId, characterId);
              })
            }
            onRename={(id, title) => void save.track(`rename-chat:${id}`, 'Renaming chat', () => api.renameChat({ chatId: id, title }))}
            onDelete={(id) =>
              void save.track(`delete-chat:${id}`, 'Deleting chat', () => api.deleteChat({ chatId: id }), () => save.dropWhere((key) => key.includes(`:${id}`)))
            }
          />
        )}
        {characterId && <ChatFiles api={api} characterId={characterId} chatId={chatId} onImported={(id) => void openChat(id, characterId)} />}
        <DeletedChats
          api={api}
          refreshKey={chats}
          onRestored={(id, ch) => {
            if (ch === current.current.characterId) void selectCharacter(ch).then(() => openChat(id, ch));
            else void selectCharacter(ch);
          }}
        />
        <Settings api={api} />
        <StorageSettings api={api} />
      </aside>
      <main className="chat">
        <header className="chat-header">
          <span className="chat-heading" data-testid="chat-title">
            {currentChat ? `${characterName} — ${currentChat.title}` : characterId ? 'No chat open' : 'Add or pick a character'}
          </span>
          {chatId && (
            <button type="button" className="backups-button" onClick={() => setShowBackups((v) => !v)}>
              Backups
            </button>
          )}
          <button className="find-open" title="Find in chat (Ctrl+F)" aria-label="Open find" disabled={!chatId} onClick={() => find.setOpen(true)}>
            Find
          </button>
          <SaveIndicator
            status={save.status(Boolean(stream))}
            {...(save.retryAll ? { onRetry: save.retryAll } : {})}
            {...(save.failures.length ? { title: save.failures.map((f) => f.message).join('\n') } : {})}
          />
        </header>
        {chatId && health && <ChatHealthNotice health={health} busy={repairing} onRepair={() => void repairOpenChat()} onRestore={() => setShowBackups(true)} />}
        {chatId && showBackups && (
          <BackupsPanel
            api={api}
            chatId={chatId}
            onClose={() => setShowBackups(false)}
            onRestored={() => {
              setShowBackups(false);
              if (characterId) void openChat(chatId, characterId);
            }}
          />
        )}
        <FindBar find={find} />
        {chatId && rows.length === 0 && !hasMore ? (
          <div className="empty" data-testid="empty-chat">
            No messages yet. Say hello to {characterName} below.
          </div>
        ) : chatId ? (
          <VirtualList<Row>
            key={chatId}
            items={rows}
            keyOf={rowKey}
            hasMore={hasMore}
            loadingOlder={loadingOlder}
            onLoadOlder={() => void loadOlder()}
            hasNewer={hasNewer}
            onLoadNewer={() => void loadNewer()}
            focusKey={focus.id}
            focusTick={focus.tick}
            render={(row) =>
              row.kind === 'message' ? (
                <MessageView
                  m={row.m}
                  isLast={row.m.id === lastMessageId && !hasNewer}
                  busy={Boolean(stream)}
                  actions={actions}
                  characterName={characterName}
                  avatarSrc={avatarSrc}
                  highlight={find.matchIds.has(row.m.id) ? find.result?.query : undefined}
                  current={find.current?.id === row.m.id}
                  editRequest={editRequest?.id === row.m.id ? editRequest.tick : undefined}
                  onEditEnd={() => composer.current?.focus()}
                />
              ) : (
                <StreamingRow s={row.s} characterName={characterName} />
              )
            }
          />
        ) : (
          <div className="empty">{characterId ? 'Create a chat to start talking.' : 'Add a character on the left to begin.'}</div>
        )}
        {hasNewer && (
          <button className="jump-newest" data-testid="jump-newest" onClick={() => void reloadOpenChat()}>
            Newer messages below: jump to the newest
          </button>
        )}
        <UndoBar pending={deletes.pending} onUndo={deletes.undo} />
        <form
          className="composer"
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          <textarea
            ref={composer}
            {...{ [COMPOSER_ATTR]: '' }}
            aria-label="Message"
            placeholder={!chatId ? 'Open a chat first' : sendBlocked ? 'This chat is damaged or read-only: repair or restore it to write again' : 'Type a message (Enter to send, Shift+Enter for a new line)'}
            disabled={!chatId || sendBlocked}
            value={draft.text}
            onChange={(e) => draft.set(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                void send();
              }
            }}
          />
          {stream ? (
            <button type="button" className="stop" onClick={() => void read('Stopping', api.stopGeneration({ streamId: stream.streamId }))}>
              Stop
            </button>
          ) : (
            <button type="submit" disabled={!chatId || !draft.text.trim() || sending || sendBlocked}>
              Send
            </button>
          )}
        </form>
      </main>
      {editing && <CharacterEditor api={api} id={editing} onClose={closeEditor} onDeleted={closeEditor} />}
      <Notices />
      <LockLostBanner api={api} />
    </div>
  );
}

function rowKey(row: Row): string {
  return row.kind === 'message' ? row.m.id : `stream:${row.s.streamId}`;
}

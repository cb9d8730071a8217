// The CardShark UI. It knows only the typed API object (window.cardshark).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ChatSummary, Message } from '../shared/chat-format.ts';
import type { CardsharkApi, Character, Result } from '../shared/ipc-contract.ts';
import { pushNotice } from './notices.ts';
import { RECONNECTED_EVENT } from './api/index.ts';
import { useSaveState } from './save-state.ts';
import { VirtualList } from './components/VirtualList.tsx';
import { MessageView, type MessageActions } from './components/MessageView.tsx';
import { CharacterList, ChatList } from './components/Sidebar.tsx';
import { Notices, SaveIndicator } from './components/StatusBits.tsx';
import { Settings } from './components/Settings.tsx';
import { StorageSettings } from './components/StorageSettings.tsx';
import { StreamingRow } from './components/StreamingRow.tsx';
import { isStreamTarget, useStreams, type Stream } from './streams/useStreams.ts';
import { useDraft } from './drafts/useDraft.ts';

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
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [sending, setSending] = useState(false);
  const save = useSaveState();
  const current = useRef({ characterId, chatId });
  current.current = { characterId, chatId };
  // Refs, not state: two events in one frame (a double Enter, two scroll events) both run
  // before React re-renders, so guards must not read a render's stale copy.
  const sendingRef = useRef(false);
  const loadingOlderRef = useRef(false);
  const messagesRef = useRef(messages);
  messagesRef.current = messages;
  const draft = useDraft(api, chatId);

  /** Shows a stored message in the open chat: replaces it when present, else appends it. */
  const showMessage = useCallback((id: string, message: Message) => {
    if (current.current.chatId !== id) return;
    setMessages((ms) => (ms.some((m) => m.id === message.id) ? ms.map((m) => (m.id === message.id ? message : m)) : [...ms, message]));
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
      if (!id) return;
      void save.track(`active-chat:${charId}`, 'Remembering the open chat', () => api.setActiveChat({ characterId: charId, chatId: id }));
      const page = await read('Opening chat', api.loadChat({ chatId: id, options: { limit: PAGE } }));
      if (!page || current.current.chatId !== id) return;
      setMessages(page.messages);
      setHasMore(page.hasMore);
      for (const w of page.warnings) pushNotice({ level: 'warning', message: w.message });
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

  // Main → renderer events.
  useEffect(() => {
    const offs = [
      api.on('characters:changed', () => void api.listCharacters({}).then((r) => r.ok && setCharacters(r.data))),
      api.on('chat:changed', ({ chatId: id, characterId: ch, summary, source }) => {
        // Changed by another program: the open chat shows what is on disk now, without a reload.
        if (source === 'external' && current.current.chatId === id) reloadOpenChatRef.current();
        if (ch !== current.current.characterId || !summary) return;
        setChats((cs) => [...cs.filter((c) => c.chatId !== id), summary].sort(byUpdated));
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
  }, [api, save.dropWhere]);

  const chatsRef = useRef(chats);
  chatsRef.current = chats;
  const openChatRef = useRef(openChat);
  openChatRef.current = openChat;
  const reloadOpenChatRef = useRef(() => {});

  /** Reloads the newest page of the open chat (after a stream ended without its message, a reconnect). */
  const reloadOpenChat = useCallback(() => {
    const id = current.current.chatId;
    if (!id) return;
    void api.loadChat({ chatId: id, options: { limit: PAGE } }).then((r) => {
      if (!r.ok || current.current.chatId !== id) return;
      setMessages(r.data.messages);
      setHasMore(r.data.hasMore);
    });
  }, [api]);

  reloadOpenChatRef.current = reloadOpenChat;

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

  const stream = chatId ? streams[chatId] : undefined;

  async function send() {
    const text = draft.text.trim();
    const id = draft.chatId; // the draft's own chat: a draft never goes elsewhere
    // sendingRef: a second Enter before main answers must not store the message again.
    if (!text || !id || stream || sendingRef.current) return;
    sendingRef.current = true;
    setSending(true);
    try {
      const message = { id: newId(), role: 'user' as const, content: text };
      const saved = await save.track(`send:${id}:${message.id}`, 'Sending', () => api.appendMessage({ chatId: id, message }), (m) => {
        if (current.current.chatId === id) setMessages((ms) => (ms.some((x) => x.id === m.id) ? ms : [...ms, m]));
        draft.clearIfSent(id, text);
      });
      if (saved) await read('Generating', api.generate({ mode: 'new', chatId: id }));
    } finally {
      sendingRef.current = false;
      setSending(false);
    }
  }

  const replace = (m: Message) => setMessages((ms) => ms.map((x) => (x.id === m.id ? m : x)));
  const actions: MessageActions = {
    edit: (m, content) => {
      if (chatId) void save.track(`edit:${chatId}:${m.id}`, 'Editing', () => api.updateMessage({ chatId, messageId: m.id, patch: { content } }), replace);
    },
    remove: (m) => {
      if (chatId)
        void save.track(`delete-message:${chatId}:${m.id}`, 'Deleting message', () => api.deleteMessage({ chatId, messageId: m.id }), () => {
          setMessages((ms) => ms.filter((x) => x.id !== m.id));
          save.dropWhere((key) => key.endsWith(`:${chatId}:${m.id}`)); // edits of a deleted message are moot
        });
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
  const rows: Row[] = messages.filter((m) => !isStreamTarget(m, stream)).map((m) => ({ kind: 'message', m }));
  if (stream) rows.push({ kind: 'stream', s: stream });
  const lastMessageId = rows.length && rows[rows.length - 1]!.kind === 'message' ? (rows[rows.length - 1] as { m: Message }).m.id : undefined;
  const characterName = characters.find((c) => c.id === characterId)?.name ?? 'Character';
  const currentChat = chats.find((c) => c.chatId === chatId);

  return (
    <div className="app">
      <aside className="sidebar">
        <h1>CardShark</h1>
        <CharacterList
          characters={characters}
          selected={characterId}
          onSelect={(id) => void selectCharacter(id)}
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
        <Settings api={api} />
        <StorageSettings api={api} />
      </aside>
      <main className="chat">
        <header className="chat-header">
          <span className="chat-heading" data-testid="chat-title">
            {currentChat ? `${characterName} — ${currentChat.title}` : characterId ? 'No chat open' : 'Add or pick a character'}
          </span>
          <SaveIndicator
            status={save.status(Boolean(stream))}
            {...(save.retryAll ? { onRetry: save.retryAll } : {})}
            {...(save.failures.length ? { title: save.failures.map((f) => f.message).join('\n') } : {})}
          />
        </header>
        {chatId ? (
          <VirtualList<Row>
            key={chatId}
            items={rows}
            keyOf={rowKey}
            hasMore={hasMore}
            loadingOlder={loadingOlder}
            onLoadOlder={() => void loadOlder()}
            render={(row) =>
              row.kind === 'message' ? (
                <MessageView m={row.m} isLast={row.m.id === lastMessageId} busy={Boolean(stream)} actions={actions} characterName={characterName} />
              ) : (
                <StreamingRow s={row.s} characterName={characterName} />
              )
            }
          />
        ) : (
          <div className="empty">{characterId ? 'Create a chat to start talking.' : 'Add a character on the left to begin.'}</div>
        )}
        <form
          className="composer"
          onSubmit={(e) => {
            e.preventDefault();
            void send();
          }}
        >
          <textarea
            aria-label="Message"
            placeholder={chatId ? 'Type a message (Enter to send, Shift+Enter for a new line)' : 'Open a chat first'}
            disabled={!chatId}
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
            <button type="submit" disabled={!chatId || !draft.text.trim() || sending}>
              Send
            </button>
          )}
        </form>
      </main>
      <Notices />
    </div>
  );
}

function rowKey(row: Row): string {
  return row.kind === 'message' ? row.m.id : `stream:${row.s.streamId}`;
}

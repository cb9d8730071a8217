// The CardShark UI. It knows only the typed API object (window.cardshark). This file only composes:
// the state lives in feature hooks (chat/, sidebar/, composer/, …), the views in their components.
// The hooks run in a fixed order on purpose: their effects (event subscriptions, window key
// listeners) run in that order, and key listeners see each event in it.
import { useCallback, useRef, useState } from 'react';
import type { CardsharkApi } from '../shared/ipc-contract.ts';
import { CharacterEditor } from './characters/CharacterEditor.tsx';
import { useCharacterAvatar } from './characters/useAvatar.ts';
import { ChatView } from './chat/ChatView.tsx';
import { chatRows } from './chat/rows.ts';
import { useMainEvents, useReloadOnReconnect } from './chat/useChatEvents.ts';
import { useChatShortcuts } from './chat/useChatShortcuts.ts';
import { useChatStreams } from './chat/useChatStreams.ts';
import { useMessageActions } from './chat/useMessageActions.ts';
import { useOpenChat } from './chat/useOpenChat.ts';
import { usePaging } from './chat/usePaging.ts';
import { useSelection } from './chat/useSelection.ts';
import { Notices } from './components/StatusBits.tsx';
import { Composer } from './composer/Composer.tsx';
import { useSend } from './composer/useSend.ts';
import { useDraft } from './drafts/useDraft.ts';
import { useFind } from './find/useFind.ts';
import { LockLostBanner } from './lock-lost/LockLostBanner.tsx';
import { blocksSending } from './recovery/ChatHealth.tsx';
import { useSaveState } from './save-state.ts';
import { ChatPersonaPicker } from './personas/PersonasPanel.tsx';
import { useChatPersona, usePersonas } from './personas/usePersonas.ts';
import { Sidebar } from './sidebar/Sidebar.tsx';
import { useCharacters } from './sidebar/useCharacters.ts';

export function App({ api }: { api: CardsharkApi }) {
  const sel = useSelection();
  const { chatId, characterId } = sel;
  const [editing, setEditing] = useState<string | null>(null);
  const closeEditor = useCallback(() => setEditing(null), []);
  const composer = useRef<HTMLTextAreaElement>(null);
  const save = useSaveState();
  const draft = useDraft(api, chatId);
  const chat = useOpenChat(api, save, sel);
  const paging = usePaging(api, sel, chat);
  const { selectCharacter, showCharacters } = useCharacters(api, save, sel, chat);
  useMainEvents(api, save, sel, chat, showCharacters);
  const find = useFind(api, chatId, (messageId) => void paging.showMessageById(messageId));
  const { streams } = useChatStreams(api, save, sel, chat);
  useReloadOnReconnect(api, sel, chat);
  const { actions, deletes } = useMessageActions(api, save, sel, chat);
  // Library search: another character's chat opens as if chosen in the sidebar, then jumps to the message.
  const openAt = useCallback(
    async (ch: string, id: string, messageId?: string) => {
      if (sel.current.current.characterId !== ch) await selectCharacter(ch);
      if (sel.current.current.chatId !== id) await chat.openChat(id, ch);
      if (messageId && sel.current.current.chatId === id) await paging.showMessageById(messageId);
    },
    [sel.current, selectCharacter, chat.openChat, paging.showMessageById],
  );

  const stream = chatId ? streams[chatId] : undefined;
  const sendBlocked = blocksSending(chat.health);
  const { sending, send } = useSend(api, save, sel, chat, draft, stream, sendBlocked);
  const hiddenId = deletes.pending?.m.id;
  const rows = chatRows(chat.messages, stream, hiddenId);
  const character = sel.characters.find((c) => c.id === characterId);
  const characterName = character?.name ?? 'Character';
  // The character's small avatar (a data: URL from its card) beside its messages; initials without one.
  const avatarSrc = useCharacterAvatar(api, character) ?? undefined;
  // Who the user is in this chat (its persona): the name and avatar on the user's messages.
  const chatPersona = useChatPersona(api, chatId);
  const personaName = chatPersona?.persona.name ?? 'User';
  const personas = usePersonas(api).list?.personas;
  const userAvatarFor = useCallback((name: string) => personas?.find((p) => p.name === name)?.avatar ?? undefined, [personas]);
  const { editRequest, takeEditRequest } = useChatShortcuts({ enabled: Boolean(chatId), rows, messages: chat.messages, hiddenId, hasNewer: chat.hasNewer, locked: sendBlocked, stream, actions, setFocus: chat.setFocus });

  return (
    <div className="app">
      <Sidebar api={api} save={save} sel={sel} openChat={chat.openChat} selectCharacter={selectCharacter} onEdit={setEditing} openAt={(ch, id, m) => void openAt(ch, id, m)} />
      <ChatView
        api={api}
        sel={sel}
        save={save}
        chat={chat}
        paging={paging}
        find={find}
        deletes={deletes}
        actions={actions}
        rows={rows}
        stream={stream}
        editRequest={editRequest}
        onEditRequestTaken={takeEditRequest}
        personaName={personaName}
        userAvatarFor={userAvatarFor}
        personaPicker={chatId ? <ChatPersonaPicker api={api} chatId={chatId} chosenId={chatPersona?.chosenId ?? null} /> : null}
        characterName={characterName}
        avatarSrc={avatarSrc}
        composerRef={composer}
      >
        <Composer api={api} inputRef={composer} chatId={chatId} draft={draft} stream={stream} sending={sending} sendBlocked={sendBlocked} onSend={() => void send()} />
      </ChatView>
      {editing && <CharacterEditor api={api} id={editing} onClose={closeEditor} onDeleted={closeEditor} />}
      <Notices />
      <LockLostBanner api={api} />
    </div>
  );
}

// The right-hand side: the open chat with its header, recovery notice and backups, find bar,
// messages and undo offer; the composer comes in as children.
import { useState, type ReactNode, type RefObject } from 'react';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { FindBar } from '../find/FindBar.tsx';
import type { useFind } from '../find/useFind.ts';
import { BackupsPanel } from '../recovery/BackupsPanel.tsx';
import { blocksSending, ChatHealthNotice } from '../recovery/ChatHealth.tsx';
import type { SaveState } from '../save-state.ts';
import type { Stream } from '../streams/useStreams.ts';
import { UndoBar } from '../undo/UndoBar.tsx';
import type { usePendingDeletes } from '../undo/usePendingDeletes.ts';
import { ChatHeader } from './ChatHeader.tsx';
import { PromptPanel } from '../prompt/PromptPanel.tsx';
import { MessageList } from './MessageList.tsx';
import type { MessageActions } from './MessageView.tsx';
import type { Row } from './rows.ts';
import type { OpenChat } from './useOpenChat.ts';
import type { usePaging } from './usePaging.ts';
import type { Selection } from './useSelection.ts';

export function ChatView(props: {
  api: CardsharkApi;
  sel: Selection;
  save: SaveState;
  chat: OpenChat;
  paging: ReturnType<typeof usePaging>;
  find: ReturnType<typeof useFind>;
  deletes: ReturnType<typeof usePendingDeletes>;
  actions: MessageActions;
  rows: Row[];
  stream: Stream | undefined;
  editRequest: { id: string; tick: number } | null;
  onEditRequestTaken: () => void;
  characterName: string;
  personaName: string;
  userAvatarFor?: ((name: string) => string | undefined) | undefined;
  /** The chat's persona choice, shown in the header. */
  personaPicker?: ReactNode;
  avatarSrc: string | undefined;
  composerRef: RefObject<HTMLTextAreaElement | null>;
  children: ReactNode;
}) {
  const { api, sel, save, chat, find, deletes, stream, characterName } = props;
  const { characterId, chatId } = sel;
  const { health, showBackups, setShowBackups } = chat;
  const currentChat = sel.chats.find((c) => c.chatId === chatId);
  const [showPrompt, setShowPrompt] = useState(false);
  return (
    <main className="chat">
      <ChatHeader
        title={currentChat ? `${characterName} — ${currentChat.title}` : characterId ? 'No chat open' : 'Add or pick a character'}
        chatId={chatId}
        save={save}
        busy={Boolean(stream)}
        onToggleBackups={() => setShowBackups((v) => !v)}
        onFind={() => find.setOpen(true)}
        onPrompt={() => setShowPrompt(true)}
        extra={props.personaPicker}
      />
      {chatId && showPrompt && <PromptPanel api={api} chatId={chatId} onClose={() => setShowPrompt(false)} />}
      {chatId && health && <ChatHealthNotice health={health} busy={chat.repairing} onRepair={() => void chat.repair()} onRestore={() => setShowBackups(true)} />}
      {chatId && showBackups && (
        <BackupsPanel
          api={api}
          chatId={chatId}
          onClose={() => setShowBackups(false)}
          onRestored={() => {
            setShowBackups(false);
            if (characterId) void chat.openChat(chatId, characterId);
          }}
        />
      )}
      <FindBar find={find} />
      <MessageList
        chatId={chatId}
        characterId={characterId}
        characterName={characterName}
        avatarSrc={props.avatarSrc}
        rows={props.rows}
        chat={chat}
        paging={props.paging}
        find={find}
        actions={props.actions}
        busy={Boolean(stream)}
        locked={blocksSending(health)}
        editRequest={props.editRequest}
        onEditRequestTaken={props.onEditRequestTaken}
        personaName={props.personaName}
        userAvatarFor={props.userAvatarFor}
        composerRef={props.composerRef}
      />
      <UndoBar pending={deletes.pending} onUndo={deletes.undo} />
      {props.children}
    </main>
  );
}

// The open chat's messages (a virtual list, paged both ways), or what to do when there are none.
import type { RefObject } from 'react';
import { VirtualList } from '../components/VirtualList.tsx';
import type { useFind } from '../find/useFind.ts';
import { MessageView, type MessageActions } from './MessageView.tsx';
import { rowKey, type Row } from './rows.ts';
import { StreamingRow } from './StreamingRow.tsx';
import type { OpenChat } from './useOpenChat.ts';
import type { usePaging } from './usePaging.ts';

export function MessageList(props: {
  chatId: string | null;
  characterId: string | null;
  characterName: string;
  avatarSrc: string | undefined;
  rows: Row[];
  chat: OpenChat;
  paging: ReturnType<typeof usePaging>;
  find: ReturnType<typeof useFind>;
  actions: MessageActions;
  /** A reply is being generated in this chat. */
  busy: boolean;
  /** The chat is read-only or damaged: no message action that writes is offered. */
  locked: boolean;
  editRequest: { id: string; tick: number } | null;
  onEditRequestTaken: () => void;
  personaName: string;
  userAvatarFor?: ((name: string) => string | undefined) | undefined;
  composerRef: RefObject<HTMLTextAreaElement | null>;
}) {
  const { chatId, characterId, characterName, avatarSrc, rows, chat, paging, find, actions, busy, locked, editRequest, composerRef } = props;
  const { hasMore, hasNewer, focus } = chat;
  const lastRow = rows.at(-1);
  const lastMessageId = lastRow?.kind === 'message' ? lastRow.m.id : undefined;
  return (
    <>
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
          loadingOlder={paging.loadingOlder}
          onLoadOlder={() => void paging.loadOlder()}
          hasNewer={hasNewer}
          onLoadNewer={() => void paging.loadNewer()}
          focusKey={focus.id}
          focusTick={focus.tick}
          render={(row) =>
            row.kind === 'message' ? (
              <MessageView
                m={row.m}
                isLast={row.m.id === lastMessageId && !hasNewer}
                busy={busy}
                locked={locked}
                actions={actions}
                characterName={characterName}
                personaName={props.personaName}
                userAvatarFor={props.userAvatarFor}
                avatarSrc={avatarSrc}
                highlight={find.matchIds.has(row.m.id) ? find.result?.query : undefined}
                current={find.current?.id === row.m.id}
                editRequest={editRequest?.id === row.m.id ? editRequest.tick : undefined}
                onEditRequestTaken={props.onEditRequestTaken}
                onEditEnd={() => composerRef.current?.focus()}
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
        <button className="jump-newest" data-testid="jump-newest" onClick={() => void chat.reloadOpenChat()}>
          Newer messages below: jump to the newest
        </button>
      )}
    </>
  );
}

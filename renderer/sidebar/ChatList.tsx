// The chats of the selected character (the character list is renderer/characters/CharacterPanel.tsx).
import { chatStatusText } from './chat-status.ts';
import { useState } from 'react';
import type { ChatSummary } from '../../shared/chat-format.ts';

/** Today: the time; this year: day and month; else the full date. */
function shortDate(ts: number, now = new Date()): string {
  const d = new Date(ts);
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString([], { day: 'numeric', month: 'short' });
  return d.toLocaleDateString();
}

export function ChatList(props: {
  chats: ChatSummary[];
  active: string | null;
  onOpen(id: string): void;
  onCreate(): void;
  onRename(id: string, title: string): void;
  onDelete(id: string): void;
}) {
  const [renaming, setRenaming] = useState<{ id: string; title: string } | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  return (
    <section className="panel" aria-label="Chats">
      <h2>
        Chats <button onClick={props.onCreate}>New chat</button>
      </h2>
      {props.chats.length === 0 && (
        <p className="empty-list" data-testid="no-chats">
          No chats yet. <button onClick={props.onCreate}>Start the first chat</button>
        </p>
      )}
      <ul className="list">
        {props.chats.map((c) => (
          <li key={c.chatId} className="chat-item" data-testid="chat" data-chat-id={c.chatId} data-active={c.chatId === props.active}>
            {renaming?.id === c.chatId ? (
              <form
                className="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  if (renaming.title.trim()) props.onRename(c.chatId, renaming.title.trim());
                  setRenaming(null);
                }}
              >
                <input aria-label="Chat title" autoFocus value={renaming.title} onChange={(e) => setRenaming({ id: c.chatId, title: e.target.value })} maxLength={200} />
                <button type="submit">Save</button>
              </form>
            ) : (
              <button className={c.chatId === props.active ? 'item active' : 'item'} aria-current={c.chatId === props.active} onClick={() => props.onOpen(c.chatId)}>
                {c.chatId === props.active ? '● ' : ''}
                <span className="chat-title">{c.title}</span>
                {c.branchOf && (
                  <small className="chat-branch" data-testid="chat-branch-of" title="Made with “Branch from here”: the history up to a message of that chat">
                    {`↳ branch of ${props.chats.find((p) => p.chatId === c.branchOf!.chatId)?.title ?? c.branchOf.title}`}
                  </small>
                )}
                <small className="chat-meta">
                  {c.messageCount} msg
                  {chatStatusText(c) && <span data-testid="chat-status">{` · ${chatStatusText(c)}`}</span>}
                  {c.updated > 0 && (
                    <>
                      {' · '}
                      <time dateTime={new Date(c.updated).toISOString()} title={new Date(c.updated).toLocaleString()}>
                        {shortDate(c.updated)}
                      </time>
                    </>
                  )}
                </small>
                <small className="chat-preview" data-testid="chat-preview">
                  {c.preview === null ? 'No messages yet' : c.preview.replace(/\s+/g, ' ')}
                </small>
              </button>
            )}
            <span className="chat-tools">
              <button title="Rename chat" onClick={() => setRenaming({ id: c.chatId, title: c.title })}>
                Rename
              </button>
              {confirming === c.chatId ? (
                <button
                  className="danger"
                  onClick={() => {
                    setConfirming(null);
                    props.onDelete(c.chatId);
                  }}
                >
                  Confirm delete
                </button>
              ) : (
                <button title="Delete chat" onClick={() => setConfirming(c.chatId)}>
                  Delete
                </button>
              )}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

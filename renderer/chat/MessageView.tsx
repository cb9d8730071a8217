// One chat message with its actions: edit, delete, hide/unhide, copy, branch, regenerate, swipe left/right.
import { useEffect, useRef, useState } from 'react';
import { isHidden, type Message } from '../../shared/chat-format.ts';
import { Avatar } from '../components/Avatar.tsx';
import { RichText } from '../rich-text/RichText.tsx';

export interface MessageActions {
  /** The user opened the edit box: the edit is based on the chat as shown now. */
  beginEdit(m: Message): void;
  /** Saves an edit; false when it was refused as stale (the edit box stays open with its text). */
  edit(m: Message, content: string): Promise<boolean>;
  remove(m: Message): void;
  /** Hides the message from the prompt (it stays in the chat, dimmed), or shows it again. */
  setHidden(m: Message, hidden: boolean): void;
  regenerate(m: Message): void;
  swipe(m: Message, to: number): void;
  /** Continues an interrupted reply where it stopped. */
  continue(m: Message): void;
  /** Generates the reply to a trailing user message (after a failed, crashed or deleted reply). */
  reply(): void;
  /** "Branch from here": a new chat with the history up to this message, opened; this chat stays as it is. */
  branch(m: Message): void;
  /** Copies the message's text to the clipboard. */
  copy(m: Message): void;
}

export interface MessageViewProps {
  m: Message;
  isLast: boolean;
  busy: boolean;
  /** The chat is read-only or damaged: actions that would write to it are not offered (they would fail). */
  locked?: boolean;
  actions: MessageActions;
  characterName: string;
  /** Shown on the user's messages that carry no name of their own. */
  personaName: string;
  /** The avatar of the persona of this name (the user's messages), if it has one. */
  userAvatarFor?: ((name: string) => string | undefined) | undefined;
  /** The character's avatar (a data: URL), when it has one. */
  avatarSrc?: string | undefined;
  /** Find in chat: the text to mark, and whether this is the current match. */
  highlight?: string | undefined;
  current?: boolean;
  /** Changes when the keyboard asks to edit this message (↑ in an empty composer). */
  editRequest?: number | undefined;
  /** The edit request was acted on: it is spent, so a remount (undo, a chat switch) does not reopen the box. */
  onEditRequestTaken?: () => void;
  /** Called when an edit ends (saved or cancelled), so focus can go back to the composer. */
  onEditEnd?: () => void;
}

function when(ts: number): string {
  return new Date(ts).toLocaleString();
}

export function MessageView({ m, isLast, busy, locked = false, actions, characterName, personaName, userAvatarFor, avatarSrc, highlight, current, editRequest, onEditRequestTaken, onEditEnd }: MessageViewProps) {
  const [editing, setEditing] = useState<string | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);
  const swipes = m.swipes?.length ?? 1;
  const swipeId = m.swipe_id ?? 0;
  const canSwipe = m.role === 'assistant' && isLast;
  const name = m.name ?? (m.role === 'user' ? personaName : m.role === 'assistant' ? characterName : 'System');
  const hidden = isHidden(m);

  useEffect(() => {
    if (editRequest && !locked) {
      actions.beginEdit(m); // the revision this edit starts from
      setEditing(m.content);
      onEditRequestTaken?.();
    }
    // only a new request opens the editor
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editRequest]);
  useEffect(() => {
    if (editing !== null) editor.current?.focus();
  }, [editing !== null]);

  const end = () => {
    setEditing(null);
    onEditEnd?.();
  };
  const empty = editing !== null && editing.trim() === '';
  const saveEdit = () => {
    if (editing === null || empty) return; // an edit cannot empty a message: delete it instead
    if (editing === m.content) return end();
    // The box stays open until the edit is saved: after a conflict (another window changed the
    // chat) the chat reloads and the text typed here is still in the box.
    const text = editing;
    void actions.edit(m, text).then((done) => {
      if (!done) return;
      setEditing((now) => (now === text ? null : now));
      onEditEnd?.();
    });
  };

  return (
    <div className={`msg msg-${m.role}${current ? ' msg-current-match' : ''}${hidden ? ' msg-hidden' : ''}`} data-testid="message" data-id={m.id} data-role={m.role} data-hidden={hidden}>
      <Avatar name={name} src={m.role === 'assistant' ? avatarSrc : m.role === 'user' ? userAvatarFor?.(name) : undefined} />
      <div className="msg-body">
        <div className="msg-head">
          <span className="msg-name">{name}</span>
          <time className="msg-time" dateTime={new Date(m.timestamp).toISOString()} title={when(m.timestamp)} data-testid="message-time">
            {when(m.timestamp)}
          </time>
          {m.status && m.status !== 'complete' && <span className="msg-status">({m.status})</span>}
          {hidden && (
            <span className="msg-hidden-label" title="Left out of the prompt: the model does not see this message">
              hidden
            </span>
          )}
          <span className="msg-tools">
            {editing === null && (
              <button title="Copy the text of this message" onClick={() => actions.copy(m)}>
                Copy
              </button>
            )}
            {editing === null && m.status !== 'streaming' && (
              <button title="Branch from here: a new chat with the history up to this message (this chat stays as it is)" onClick={() => actions.branch(m)}>
                Branch
              </button>
            )}
            {editing === null && !locked && (
              <>
                <button
                  title="Edit"
                  onClick={() => {
                    actions.beginEdit(m);
                    setEditing(m.content);
                  }}
                >
                  Edit
                </button>
                <button title="Delete" onClick={() => actions.remove(m)}>Delete</button>
                <button title={hidden ? 'Send this message to the model again' : 'Leave this message out of the prompt (it stays in the chat)'} onClick={() => actions.setHidden(m, !hidden)}>
                  {hidden ? 'Unhide' : 'Hide'}
                </button>
                {canSwipe && (
                  <button title="Regenerate" disabled={busy} onClick={() => actions.regenerate(m)}>
                    Regenerate
                  </button>
                )}
                {canSwipe && (m.status === 'interrupted' || m.status === 'error') && (
                  <button title="Continue" disabled={busy} onClick={() => actions.continue(m)}>
                    Continue
                  </button>
                )}
                {isLast && m.role === 'user' && (
                  <button title="Generate reply" disabled={busy} onClick={() => actions.reply()}>
                    Generate reply
                  </button>
                )}
              </>
            )}
          </span>
        </div>
        {editing === null ? (
          <div className="msg-content" data-testid="message-content">
            <RichText text={m.content} highlight={highlight} />
          </div>
        ) : (
          <div className="msg-edit">
            <textarea
              ref={editor}
              aria-label="Edit message"
              value={editing}
              onChange={(e) => setEditing(e.target.value)}
              rows={4}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  e.preventDefault();
                  e.stopPropagation();
                  end();
                } else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                  e.preventDefault();
                  saveEdit();
                }
              }}
            />
            <button onClick={saveEdit} disabled={empty || locked} title={empty ? 'A message cannot be empty: delete it instead' : 'Save edit (Ctrl+Enter)'}>
              Save edit
            </button>
            <button onClick={end} title="Cancel (Esc)">Cancel</button>
            {empty && <span className="msg-edit-hint" role="note">A message cannot be empty. To remove it, cancel and delete it.</span>}
          </div>
        )}
        {canSwipe && (
          <div className="msg-swipes">
            <button aria-label="Previous swipe" title="Previous swipe (←)" disabled={swipeId <= 0 || busy || locked} onClick={() => actions.swipe(m, swipeId - 1)}>
              ‹
            </button>
            <span data-testid="swipe-counter">
              {swipeId + 1}/{swipes}
            </span>
            <button aria-label="Next swipe" title="Next swipe (→)" disabled={busy || locked} onClick={() => actions.swipe(m, swipeId + 1)}>
              ›
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

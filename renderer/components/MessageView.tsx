// One chat message with its actions: edit, delete, regenerate, swipe left/right.
import { useState } from 'react';
import type { Message } from '../../shared/chat-format.ts';

export interface MessageActions {
  /** The user opened the edit box: the edit is based on the chat as shown now. */
  beginEdit(m: Message): void;
  /** Saves an edit; false when it was refused as stale (the edit box stays open with its text). */
  edit(m: Message, content: string): Promise<boolean>;
  remove(m: Message): void;
  regenerate(m: Message): void;
  swipe(m: Message, to: number): void;
  /** Continues an interrupted reply where it stopped. */
  continue(m: Message): void;
  /** Generates the reply to a trailing user message (after a failed, crashed or deleted reply). */
  reply(): void;
}

export function MessageView({ m, isLast, busy, actions, characterName }: { m: Message; isLast: boolean; busy: boolean; actions: MessageActions; characterName: string }) {
  const [editing, setEditing] = useState<string | null>(null);
  const swipes = m.swipes?.length ?? 1;
  const swipeId = m.swipe_id ?? 0;
  const canSwipe = m.role === 'assistant' && isLast;
  return (
    <div className={`msg msg-${m.role}`} data-testid="message" data-id={m.id} data-role={m.role}>
      <div className="msg-head">
        <span className="msg-name">{m.name ?? (m.role === 'user' ? 'You' : m.role === 'assistant' ? characterName : 'System')}</span>
        {m.status && m.status !== 'complete' && <span className="msg-status">({m.status})</span>}
        <span className="msg-tools">
          {editing === null && (
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
          {m.content}
        </div>
      ) : (
        <div className="msg-edit">
          <textarea aria-label="Edit message" value={editing} onChange={(e) => setEditing(e.target.value)} rows={4} />
          <button
            onClick={() => {
              const text = editing;
              void actions.edit(m, text).then((done) => {
                if (done) setEditing((now) => (now === text ? null : now));
              });
            }}
          >
            Save edit
          </button>
          <button onClick={() => setEditing(null)}>Cancel</button>
        </div>
      )}
      {canSwipe && (
        <div className="msg-swipes">
          <button aria-label="Previous swipe" disabled={swipeId <= 0 || busy} onClick={() => actions.swipe(m, swipeId - 1)}>
            ‹
          </button>
          <span data-testid="swipe-counter">
            {swipeId + 1}/{swipes}
          </span>
          <button aria-label="Next swipe" disabled={busy} onClick={() => actions.swipe(m, swipeId + 1)}>
            ›
          </button>
        </div>
      )}
    </div>
  );
}

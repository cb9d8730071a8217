// The chat's keyboard shortcuts (keyboard/useChatKeys.ts) wired to the open chat: ←/→ swipe the
// last reply, ↑ in an empty composer edits your last message.
import { useCallback, useState, type Dispatch, type SetStateAction } from 'react';
import type { Message } from '../../shared/chat-format.ts';
import { useChatKeys } from '../keyboard/useChatKeys.ts';
import type { Stream } from '../streams/useStreams.ts';
import type { MessageActions } from './MessageView.tsx';
import type { Row } from './rows.ts';

export interface ShortcutTarget {
  enabled: boolean;
  rows: Row[];
  messages: Message[];
  /** A message pending deletion (undo/): not yours to edit. */
  hiddenId: string | undefined;
  hasNewer: boolean;
  /** The chat is read-only or damaged: swiping and editing would be refused. */
  locked: boolean;
  stream: Stream | undefined;
  actions: MessageActions;
  setFocus: Dispatch<SetStateAction<{ id: string; tick: number }>>;
}

/**
 * Returns the message the keyboard asked to edit, with a tick that changes on every request, and
 * `takeEditRequest`, which spends it once the edit box opened: a request left standing reopened
 * a cancelled box whenever the message was mounted again (undo of a delete, a chat switch).
 */
export function useChatShortcuts({ enabled, rows, messages, hiddenId, hasNewer, locked, stream, actions, setFocus }: ShortcutTarget) {
  const [editRequest, setEditRequest] = useState<{ id: string; tick: number } | null>(null);
  const lastRow = rows.at(-1);
  const lastReply = !hasNewer && lastRow?.kind === 'message' && lastRow.m.role === 'assistant' ? lastRow.m : undefined;
  useChatKeys(
    {
      onSwipe: (delta) => {
        if (lastReply && !stream && !locked) actions.swipe(lastReply, (lastReply.swipe_id ?? 0) + delta);
      },
      onEditLast: () => {
        if (locked) return;
        const mine = [...messages].reverse().find((m) => m.role === 'user' && m.id !== hiddenId);
        if (mine) {
          setEditRequest((r) => ({ id: mine.id, tick: (r?.tick ?? 0) + 1 }));
          setFocus((f) => ({ id: mine.id, tick: f.tick + 1 }));
        }
      },
    },
    enabled,
  );
  const takeEditRequest = useCallback(() => setEditRequest(null), []);
  return { editRequest, takeEditRequest };
}

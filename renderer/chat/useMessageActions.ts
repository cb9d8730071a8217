// What a message's buttons do: edit (refused as a conflict when the chat changed since the edit
// began), delete with undo (undo/), regenerate, continue, reply, swipe, copy, branch from here.
import { useEffect } from 'react';
import type { Message } from '../../shared/chat-format.ts';
import type { CardsharkApi, Result } from '../../shared/ipc-contract.ts';
import { read } from '../api/read.ts';
import { pushNotice } from '../notices.ts';
import type { SaveState } from '../save-state.ts';
import { usePendingDeletes } from '../undo/usePendingDeletes.ts';
import type { MessageActions } from './MessageView.tsx';
import type { OpenChat } from './useOpenChat.ts';
import type { Selection } from './useSelection.ts';

export function useMessageActions(api: CardsharkApi, save: SaveState, sel: Selection, chat: OpenChat) {
  const { chatId, current } = sel;
  const { setMessages, revisionRef, editBase, reloadOpenChat, openChat } = chat;

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
    setHidden: (m, hidden) => {
      if (!chatId) return;
      const id = chatId;
      void save.track(`hide:${id}:${m.id}`, hidden ? 'Hiding message' : 'Unhiding message', () => api.updateMessage({ chatId: id, messageId: m.id, patch: { hidden } }), (saved) => {
        if (current.current.chatId === id) replace(saved);
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
    branch: (m) => {
      if (!chatId) return;
      const id = chatId;
      void save.track(`branch:${id}:${m.id}`, 'Branching the chat', () => api.branchChat({ chatId: id, messageId: m.id }), (s) => {
        // The branch opens at once; the chat list shows it (with its link) on top.
        if (current.current.characterId === s.characterId) {
          sel.setChats((cs) => [s, ...cs.filter((c) => c.chatId !== s.chatId)]);
          void openChat(s.chatId, s.characterId);
        }
        pushNotice({ level: 'info', message: `Branched: "${s.title}" holds the chat up to that message. The original chat is unchanged.` });
      });
    },
    copy: (m) => {
      // The renderer's own clipboard (a secure context: the app, or the browser host on 127.0.0.1).
      navigator.clipboard.writeText(m.content).then(
        () => pushNotice({ level: 'info', message: 'Message copied.' }),
        (e: unknown) => pushNotice({ level: 'error', message: `The message could not be copied: ${e instanceof Error ? e.message : String(e)}` }),
      );
    },
    swipe: (m, to) => {
      if (!chatId || to < 0) return;
      if (to >= (m.swipes?.length ?? 1)) void read('Generating a swipe', api.generate({ mode: 'swipe', chatId, messageId: m.id }));
      else void save.track(`swipe:${chatId}:${m.id}`, 'Swiping', () => api.updateMessage({ chatId, messageId: m.id, patch: { selectSwipe: to } }), replace);
    },
  };

  return { actions, deletes };
}

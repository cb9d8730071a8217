// The composer's draft, per chat. Every change goes to main at once (main debounces the disk
// write); leaving the chat, hiding the page or closing it asks main to write now. The text is
// tied to its chat id, so it can never be sent to, or shown in, another chat.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

interface Draft {
  chatId: string | null;
  text: string;
  /** Main's copy was read or the user typed: only then may this text overwrite main's. */
  known: boolean;
}

export function useDraft(api: CardsharkApi, chatId: string | null) {
  const [draft, setDraft] = useState<Draft>({ chatId, text: '', known: false });
  const latest = useRef(draft);
  latest.current = draft;

  const save = useCallback(
    (d: Draft, flush: boolean) => {
      if (!d.chatId || !d.known) return;
      void api.setDraft({ chatId: d.chatId, text: d.text, ...(flush ? { flush: true } : {}) }).then((r) => {
        if (!r.ok) pushNotice({ level: 'error', code: r.error.code, message: `Saving the draft failed: ${r.error.message}` });
      });
    },
    [api],
  );

  useEffect(() => {
    setDraft({ chatId, text: '', known: false });
    if (chatId) {
      void api.getDraft({ chatId }).then((r) => {
        if (!r.ok) return;
        // The user may have typed meanwhile: their text wins.
        setDraft((d) => (d.chatId === chatId && !d.known ? { chatId, text: r.data.text, known: true } : d));
      });
    }
    const flush = () => save(latest.current, true);
    const onHidden = () => document.visibilityState === 'hidden' && flush();
    window.addEventListener('pagehide', flush);
    document.addEventListener('visibilitychange', onHidden);
    return () => {
      window.removeEventListener('pagehide', flush);
      document.removeEventListener('visibilitychange', onHidden);
      if (latest.current.chatId === chatId) flush(); // leaving this chat: write its draft now
    };
  }, [api, chatId, save]);

  const current = draft.chatId === chatId ? draft : { chatId, text: '', known: false };
  return {
    chatId: current.chatId,
    text: current.text,
    set: (text: string) => {
      const d = { chatId, text, known: true };
      setDraft(d);
      save(d, false);
    },
    /** After a send: empties the draft if it still holds what was sent. */
    clearIfSent: (forChat: string, sent: string) => {
      const d = latest.current;
      if (d.chatId !== forChat || d.text.trim() !== sent) return;
      const next = { chatId: forChat, text: '', known: true };
      setDraft(next);
      save(next, true);
    },
  };
}

// Deleting a message offers undo: the message is hidden at once and deleted for real (one durable
// tombstone, which is final) only when the undo window ends, another message is deleted, or the
// chat changes. Closing the app inside the window keeps the message: the safe direction.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Message } from '../../shared/chat-format.ts';

export const UNDO_MS = 8_000;

export interface PendingDelete {
  chatId: string;
  m: Message;
}

export function usePendingDeletes(commit: (p: PendingDelete) => void, delayMs = UNDO_MS) {
  const [pending, setPending] = useState<PendingDelete | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const current = useRef<PendingDelete | null>(null);
  const commitRef = useRef(commit);
  commitRef.current = commit;

  const flush = useCallback(() => {
    clearTimeout(timer.current);
    const p = current.current;
    current.current = null;
    setPending(null);
    if (p) commitRef.current(p);
  }, []);

  const remove = useCallback(
    (p: PendingDelete) => {
      flush(); // one undo at a time: an earlier pending delete goes through now
      current.current = p;
      setPending(p);
      timer.current = setTimeout(flush, delayMs);
    },
    [flush, delayMs],
  );

  const undo = useCallback(() => {
    clearTimeout(timer.current);
    current.current = null;
    setPending(null);
  }, []);

  useEffect(() => () => flush(), [flush]);
  return { pending, remove, undo, flush };
}

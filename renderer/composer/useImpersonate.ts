// Impersonate: main generates the user's next message and streams it here (impersonate:chunk);
// it goes into the composer, after whatever the user had typed (nothing typed is lost), and is
// not sent: the user reads, edits and sends it. Nothing is written to the chat.
import { useEffect, useRef, useState } from 'react';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { read } from '../api/read.ts';
import type { useDraft } from '../drafts/useDraft.ts';
import { pushNotice } from '../notices.ts';

export function useImpersonate(api: CardsharkApi, chatId: string | null, draft: ReturnType<typeof useDraft>) {
  const [streamId, setStreamId] = useState<string | null>(null);
  const text = useRef('');
  const draftRef = useRef(draft);
  draftRef.current = draft;
  const chatRef = useRef(chatId);
  chatRef.current = chatId;

  useEffect(() => {
    const offs = [
      api.on('impersonate:chunk', ({ chatId: cid, delta }) => {
        if (cid !== chatRef.current) return;
        text.current += delta;
        draftRef.current.set(text.current);
      }),
      api.on('impersonate:end', ({ chatId: cid, status, error }) => {
        if (cid !== chatRef.current) return;
        setStreamId(null);
        if (status === 'error' && error) pushNotice({ level: 'error', code: error.code, message: `Impersonate: [${error.code}] ${error.message}` });
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [api]);
  // Another chat: its composer is not this one's.
  useEffect(() => setStreamId(null), [chatId]);

  return {
    streamId,
    start: async () => {
      if (!chatId) return;
      const typed = draftRef.current.text.trimEnd();
      text.current = typed ? `${typed}\n` : '';
      const r = await read('Impersonate', api.impersonate({ chatId }));
      if (r && chatRef.current === chatId) setStreamId(r.streamId);
    },
    stop: () => {
      if (streamId) void read('Stopping', api.stopGeneration({ streamId }));
    },
  };
}

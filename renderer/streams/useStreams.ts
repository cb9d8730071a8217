// Live replies, per chat. Main owns the streams: this hook mirrors them from events and, after a
// reload or a reconnect (events were missed), from listStreams, so the live reply and its Stop
// button come back.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Message } from '../../shared/chat-format.ts';
import type { CardsharkApi, EventPayload, StreamInfo } from '../../shared/ipc-contract.ts';
import { RECONNECTED_EVENT } from '../api/index.ts';

export type Stream = Pick<StreamInfo, 'streamId' | 'mode' | 'text'> & { messageId?: string };

export interface StreamHandlers {
  /** A stream ended; `message` is the reply as stored (absent if nothing could be stored). */
  onEnd(end: EventPayload<'stream:end'>, streamed: Stream | undefined): void;
}

export function useStreams(api: CardsharkApi, handlers: StreamHandlers) {
  const [streams, setStreams] = useState<Record<string, Stream>>({});
  const onEnd = useRef(handlers.onEnd);
  onEnd.current = handlers.onEnd;
  /** Kept outside React so stream:end sees the last chunk. */
  const live = useRef(new Map<string, Stream & { chatId: string }>());

  const publish = useCallback(() => {
    const next: Record<string, Stream> = {};
    for (const s of live.current.values()) next[s.chatId] = { streamId: s.streamId, mode: s.mode, text: s.text, ...(s.messageId ? { messageId: s.messageId } : {}) };
    setStreams(next);
  }, []);

  const restore = useCallback(async () => {
    const r = await api.listStreams({});
    if (!r.ok) return;
    live.current.clear();
    for (const s of r.data) live.current.set(s.streamId, { ...s });
    publish();
  }, [api, publish]);

  useEffect(() => {
    const offs = [
      api.on('stream:start', ({ streamId, chatId, mode, messageId, text }) => {
        live.current.set(streamId, { streamId, chatId, mode, text: text ?? '', ...(messageId ? { messageId } : {}) });
        publish();
      }),
      api.on('stream:chunk', ({ streamId, delta }) => {
        const s = live.current.get(streamId);
        if (!s) return; // started before this page knew: listStreams brings it with its text
        s.text += delta;
        publish();
      }),
      api.on('stream:end', (end) => {
        const s = live.current.get(end.streamId);
        live.current.delete(end.streamId);
        publish();
        onEnd.current(end, s);
      }),
    ];
    void restore();
    const onReconnect = () => void restore();
    window.addEventListener(RECONNECTED_EVENT, onReconnect);
    return () => {
      offs.forEach((off) => off());
      window.removeEventListener(RECONNECTED_EVENT, onReconnect);
    };
  }, [api, publish, restore]);

  return { streams };
}

/** Whether a stored message is the one a live stream is writing (it is shown as the stream row instead). */
export function isStreamTarget(m: Message, s: Stream | undefined): boolean {
  return s?.messageId === m.id;
}

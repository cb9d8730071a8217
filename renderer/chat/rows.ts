// The rows of the message list: the stored messages, then the live reply being generated.
import type { Message } from '../../shared/chat-format.ts';
import { isStreamTarget, type Stream } from '../streams/useStreams.ts';

export type Row = { kind: 'message'; m: Message } | { kind: 'stream'; s: Stream };

/** The message a live stream writes into is shown as the live row, not as stored; a message pending deletion (undo/) is hidden. */
export function chatRows(messages: Message[], stream: Stream | undefined, hiddenId: string | undefined): Row[] {
  const rows: Row[] = messages.filter((m) => !isStreamTarget(m, stream) && m.id !== hiddenId).map((m) => ({ kind: 'message', m }));
  if (stream) rows.push({ kind: 'stream', s: stream });
  return rows;
}

export function rowKey(row: Row): string {
  return row.kind === 'message' ? row.m.id : `stream:${row.s.streamId}`;
}

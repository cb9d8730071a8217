// The reply being generated: its text so far, live.
import type { Stream } from '../streams/useStreams.ts';

export function StreamingRow({ s, characterName }: { s: Stream; characterName: string }) {
  return (
    <div className="msg msg-assistant msg-streaming" data-testid="streaming" data-message-id={s.messageId}>
      <div className="msg-head">
        <span className="msg-name">{characterName}</span> <span className="msg-status">(typing…)</span>
      </div>
      <div className="msg-content">{s.text}</div>
    </div>
  );
}

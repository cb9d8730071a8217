// The message box under the chat: Enter sends, Shift+Enter breaks the line; Stop while a reply is live;
// Impersonate writes the user's next message into it (not sent).
import type { RefObject } from 'react';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { read } from '../api/read.ts';
import type { useDraft } from '../drafts/useDraft.ts';
import { COMPOSER_ATTR } from '../keyboard/useChatKeys.ts';
import type { Stream } from '../streams/useStreams.ts';
import { useImpersonate } from './useImpersonate.ts';

export function Composer(props: {
  api: CardsharkApi;
  /** The textarea: focus comes back to it when an edit ends. */
  inputRef: RefObject<HTMLTextAreaElement | null>;
  chatId: string | null;
  draft: ReturnType<typeof useDraft>;
  stream: Stream | undefined;
  sending: boolean;
  /** A damaged or read-only chat: no writing until it is repaired or restored. */
  sendBlocked: boolean;
  onSend(): void;
}) {
  const { api, inputRef, chatId, draft, stream, sending, sendBlocked, onSend } = props;
  const impersonate = useImpersonate(api, chatId, draft);
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        onSend();
      }}
    >
      <textarea
        ref={inputRef}
        {...{ [COMPOSER_ATTR]: '' }}
        aria-label="Message"
        placeholder={!chatId ? 'Open a chat first' : sendBlocked ? 'This chat is damaged or read-only: repair or restore it to write again' : 'Type a message (Enter to send, Shift+Enter for a new line)'}
        disabled={!chatId || sendBlocked}
        value={draft.text}
        onChange={(e) => draft.set(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey) {
            e.preventDefault();
            onSend();
          }
        }}
      />
      {impersonate.streamId ? (
        <button type="button" className="stop" title="Stop writing your message" onClick={impersonate.stop}>
          Stop impersonating
        </button>
      ) : (
        <button type="button" title="Impersonate: the model writes your next message here (it is not sent)" disabled={!chatId || !!stream || sending || sendBlocked} onClick={() => void impersonate.start()}>
          Impersonate
        </button>
      )}
      {stream ? (
        <button type="button" className="stop" onClick={() => void read('Stopping', api.stopGeneration({ streamId: stream.streamId }))}>
          Stop
        </button>
      ) : (
        <button type="submit" disabled={!chatId || !draft.text.trim() || sending || sendBlocked || !!impersonate.streamId}>
          Send
        </button>
      )}
    </form>
  );
}

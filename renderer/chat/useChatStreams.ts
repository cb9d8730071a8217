// Live replies for this window (streams/useStreams.ts), and what the open chat does when one ends.
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';
import type { SaveState } from '../save-state.ts';
import { useStreams } from '../streams/useStreams.ts';
import type { OpenChat } from './useOpenChat.ts';
import type { Selection } from './useSelection.ts';

export function useChatStreams(api: CardsharkApi, save: SaveState, sel: Selection, chat: OpenChat) {
  const { current } = sel;
  const { showMessage, reloadOpenChat } = chat;
  return useStreams(api, {
    onEnd: ({ streamId, chatId: id, message, error, status }, streamed) => {
      if (error) pushNotice({ level: 'error', code: error.code, message: `Generation ${status}: ${error.message}` });
      if (message) showMessage(id, message);
      else if (streamed?.text && error) {
        // Main keeps the reply and retries the write; until then it is not saved.
        save.fail({ key: `reply:${id}:${streamId}`, message: `Saving the reply: ${error.message} (kept, retried by the app)` });
        if (current.current.chatId === id) reloadOpenChat();
      }
    },
  });
}

// The user's personas as main has them, read again whenever they change (here or in another window).
import { useCallback, useEffect, useState } from 'react';
import type { CardsharkApi, ChatPersonaOut, PersonasOut } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

export function usePersonas(api: CardsharkApi): { list: PersonasOut | null; reload(): void } {
  const [list, setList] = useState<PersonasOut | null>(null);
  const reload = useCallback(() => {
    void api.listPersonas({}).then((r) => {
      if (r.ok) setList(r.data);
      else pushNotice({ level: 'error', message: `The personas could not be read: ${r.error.message}` });
    });
  }, [api]);
  useEffect(() => {
    reload();
    return api.on('personas:changed', reload);
  }, [api, reload]);
  return { list, reload };
}

/**
 * Who the user is in the open chat: its chosen persona, else the default, else the name in
 * Generation settings. Read again when another chat opens (Settings may have changed the name)
 * and when personas change.
 */
export function useChatPersona(api: CardsharkApi, chatId: string | null): ChatPersonaOut | null {
  const [state, setState] = useState<{ chatId: string; value: ChatPersonaOut } | null>(null);
  useEffect(() => {
    if (!chatId) return;
    let live = true;
    const read = () =>
      void api.getChatPersona({ chatId }).then((r) => {
        if (live && r.ok) setState({ chatId, value: r.data });
      });
    read();
    const off = api.on('personas:changed', read);
    return () => {
      live = false;
      off();
    };
  }, [api, chatId]);
  return state && state.chatId === chatId ? state.value : null;
}

// The persona's name, shown on the user's messages that do not carry one of their own (sent
// before names were stored). Read again whenever another chat opens (Settings may have changed it).
import { useEffect, useState } from 'react';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';

export function usePersonaName(api: CardsharkApi, chatId: string | null): string {
  const [name, setName] = useState('User');
  useEffect(() => {
    let live = true;
    void api.getGenerationSettings({}).then((r) => {
      if (live && r.ok && r.data.personaName.trim()) setName(r.data.personaName);
    });
    return () => {
      live = false;
    };
  }, [api, chatId]);
  return name;
}

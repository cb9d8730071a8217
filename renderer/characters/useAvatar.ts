// Small character avatars (data: URLs from getCharacterAvatar), fetched once per character
// version and shared by every component that shows one (the character list, message rows).
import { useEffect, useState } from 'react';
import type { CardsharkApi, Character } from '../../shared/ipc-contract.ts';

const cache = new Map<string, Promise<string | null>>();
const keyOf = (c: Pick<Character, 'id' | 'updated' | 'hasAvatar'>) => `${c.id}@${c.updated ?? 0}`;

export function loadAvatar(api: CardsharkApi, c: Pick<Character, 'id' | 'updated' | 'hasAvatar'>): Promise<string | null> {
  if (!c.hasAvatar) return Promise.resolve(null);
  const key = keyOf(c);
  let p = cache.get(key);
  if (!p) {
    p = api.getCharacterAvatar({ id: c.id }).then((r) => (r.ok ? r.data.dataUrl : null));
    cache.set(key, p);
    p.then((url) => url === null && cache.delete(key)); // a failure is retried next time
  }
  return p;
}

/** The avatar data URL of `c`, or null (none, or not loaded yet). */
export function useCharacterAvatar(api: CardsharkApi, c: Pick<Character, 'id' | 'updated' | 'hasAvatar'> | undefined): string | null {
  const [url, setUrl] = useState<string | null>(null);
  const key = c ? keyOf(c) + String(c.hasAvatar) : '';
  useEffect(() => {
    let live = true;
    setUrl(null);
    if (c) void loadAvatar(api, c).then((u) => live && setUrl(u));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, key]);
  return url;
}

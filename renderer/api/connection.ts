// The browser host's connection state, for the UI: the save badge must not say "Saved" while
// disconnected, and a missing or wrong token gets an explanation page. Electron never disconnects.
import { useSyncExternalStore } from 'react';

export type Connection = { state: 'connected' } | { state: 'disconnected' } | { state: 'unauthorized'; reason: 'missing' | 'wrong' };

let current: Connection = { state: 'connected' };
const subs = new Set<() => void>();

export function setConnection(c: Connection): void {
  if (current.state === 'unauthorized') return; // final: retrying cannot fix a token
  if (c.state === current.state) return;
  current = c;
  subs.forEach((f) => f());
}

export function getConnection(): Connection {
  return current;
}

export function useConnection(): Connection {
  return useSyncExternalStore(
    (f) => {
      subs.add(f);
      return () => subs.delete(f);
    },
    () => current,
  );
}

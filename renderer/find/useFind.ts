// Find in chat: main searches the whole chat file; the UI steps through the matches (newest
// first, like reading a chat upwards) and asks the app to show each one.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CardsharkApi, SearchResultOut } from '../../shared/ipc-contract.ts';

export function useFind(api: CardsharkApi, chatId: string | null, show: (messageId: string) => void) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<(SearchResultOut & { query: string }) | null>(null);
  const [index, setIndex] = useState(-1);
  const [error, setError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const seq = useRef(0);
  const showRef = useRef(show);
  showRef.current = show;

  const close = useCallback(() => {
    seq.current++;
    setOpen(false);
    setResult(null);
    setIndex(-1);
    setError(null);
  }, []);
  useEffect(close, [chatId, close]);
  useEffect(() => {
    if (!chatId) return;
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'f') {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [chatId]);

  const go = useCallback((r: SearchResultOut, i: number) => {
    setIndex(i);
    const m = r.matches[i];
    if (m) showRef.current(m.id);
  }, []);

  const search = useCallback(async () => {
    const q = query;
    if (!chatId || !q.trim()) return;
    if (result && result.query === q) return; // same query: Enter steps instead (see next)
    const mine = ++seq.current;
    setSearching(true);
    setError(null);
    const r = await api.searchChat({ chatId, query: q });
    if (mine !== seq.current) return;
    setSearching(false);
    if (!r.ok) {
      setError(r.error.message);
      return;
    }
    setResult({ ...r.data, query: q });
    if (r.data.matches.length) go(r.data, r.data.matches.length - 1);
    else setIndex(-1);
  }, [api, chatId, query, result, go]);

  /** Older match (up the chat). */
  const previous = useCallback(() => {
    if (result?.matches.length) go(result, (index - 1 + result.matches.length) % result.matches.length);
  }, [result, index, go]);
  /** Newer match (down the chat). */
  const next = useCallback(() => {
    if (result?.matches.length) go(result, (index + 1) % result.matches.length);
  }, [result, index, go]);

  const current = result && index >= 0 ? result.matches[index] : undefined;
  const matchIds = new Set(result?.matches.map((m) => m.id));
  return { open, setOpen, close, query, setQuery, search, result, index, previous, next, current, matchIds, error, searching };
}

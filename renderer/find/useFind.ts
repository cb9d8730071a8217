// Find in chat: main searches the whole chat file and hands back the total and one page of
// matches; the UI steps through ALL of them (newest first, like reading a chat upwards), asking
// main for the next page when a step leaves the one it has, and asks the app to show each match.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CardsharkApi, SearchResultOut } from '../../shared/ipc-contract.ts';

/** Matches fetched at once (the most the contract allows). */
export const FIND_PAGE = 500;

type Found = SearchResultOut & { query: string };

export function useFind(api: CardsharkApi, chatId: string | null, show: (messageId: string) => void) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<Found | null>(null);
  /** The current match among all `total`, in chat order (0: the oldest). */
  const [index, setIndex] = useState(-1);
  const [error, setError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const seq = useRef(0);
  // What the next step starts from, current even between renders (keys pressed quickly).
  const at = useRef<{ result: Found | null; index: number }>({ result: null, index: -1 });
  const showRef = useRef(show);
  showRef.current = show;

  const close = useCallback(() => {
    seq.current++;
    at.current = { result: null, index: -1 };
    setOpen(false);
    setResult(null);
    setIndex(-1);
    setError(null);
    setSearching(false);
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

  const adopt = useCallback((r: Found) => {
    at.current.result = r;
    setResult(r);
  }, []);

  /** Shows match `i` (wrapping around), fetching the page that holds it if need be. */
  const go = useCallback(
    async (i: number) => {
      const r = at.current.result;
      if (!chatId || !r || r.total === 0) return;
      const target = ((i % r.total) + r.total) % r.total;
      at.current.index = target;
      setIndex(target);
      let page = r;
      if (target < page.offset || target >= page.offset + page.matches.length) {
        // Stepping older: the page ends at the target; newer: it starts there (wrapping lands on the newest or oldest page).
        const offset = target < page.offset ? Math.max(0, target - FIND_PAGE + 1) : Math.min(target, Math.max(0, r.total - FIND_PAGE));
        const mine = ++seq.current;
        setSearching(true);
        const res = await api.searchChat({ chatId, query: r.query, limit: FIND_PAGE, offset });
        if (mine !== seq.current) return;
        setSearching(false);
        if (!res.ok) {
          setError(res.error.message);
          return;
        }
        page = { ...res.data, query: r.query };
        adopt(page);
        if (at.current.index !== target) return; // stepped on while this page came
      }
      // The chat may have changed since the count: show the nearest match the page has.
      const m = page.matches[Math.min(target - page.offset, page.matches.length - 1)];
      if (m) showRef.current(m.id);
    },
    [api, chatId, adopt],
  );

  const search = useCallback(async () => {
    const q = query;
    if (!chatId || !q.trim()) return;
    if (result && result.query === q) return; // same query: Enter steps instead (see previous)
    const mine = ++seq.current;
    setSearching(true);
    setError(null);
    const r = await api.searchChat({ chatId, query: q, limit: FIND_PAGE });
    if (mine !== seq.current) return;
    setSearching(false);
    if (!r.ok) {
      setError(r.error.message);
      return;
    }
    const found = { ...r.data, query: q };
    adopt(found);
    if (found.matches.length) void go(found.offset + found.matches.length - 1);
    else {
      at.current.index = -1;
      setIndex(-1);
    }
  }, [api, chatId, query, result, go, adopt]);

  /** Older match (up the chat); from the oldest, the newest. */
  const previous = useCallback(() => void go(at.current.index - 1), [go]);
  /** Newer match (down the chat); from the newest, the oldest. */
  const next = useCallback(() => void go(at.current.index + 1), [go]);

  const current = result && index >= result.offset ? result.matches[index - result.offset] : undefined;
  const matchIds = new Set(result?.matches.map((m) => m.id));
  return { open, setOpen, close, query, setQuery, search, result, index, previous, next, current, matchIds, error, searching };
}

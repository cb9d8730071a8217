// Search across the library: a box in the sidebar; main searches every chat, title and character
// name (its full-text index) and answers with chats and their matching messages. Choosing a
// message opens its chat at it; choosing a chat opens it. Matches are marked from the ranges main
// gives (plain text: nothing from a chat is ever rendered as HTML).
import { useRef, useState, type ReactNode } from 'react';
import type { CardsharkApi, LibrarySearchOut, MarkedTextOut } from '../../shared/ipc-contract.ts';

/** The text with its highlighted ranges in <mark>. */
export function Marked({ value }: { value: MarkedTextOut }) {
  const parts: ReactNode[] = [];
  let at = 0;
  for (const [i, h] of [...value.highlights].sort((a, b) => a.start - b.start).entries()) {
    if (h.start < at || h.end > value.text.length) continue;
    if (h.start > at) parts.push(value.text.slice(at, h.start));
    parts.push(<mark key={i}>{value.text.slice(h.start, h.end)}</mark>);
    at = h.end;
  }
  parts.push(value.text.slice(at));
  return <>{parts}</>;
}

export function LibrarySearch(props: { api: CardsharkApi; onOpen(characterId: string, chatId: string, messageId?: string): void }) {
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<(LibrarySearchOut & { query: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const seq = useRef(0);

  async function search() {
    const q = query;
    if (!q.trim()) return clear();
    const mine = ++seq.current;
    setSearching(true);
    setError(null);
    const r = await props.api.searchLibrary({ query: q });
    if (mine !== seq.current) return;
    setSearching(false);
    if (!r.ok) {
      setResult(null);
      setError(r.error.message);
      return;
    }
    setResult({ ...r.data, query: q });
  }
  function clear() {
    seq.current++;
    setQuery('');
    setResult(null);
    setError(null);
    setSearching(false);
  }

  return (
    <section className="panel library-search" aria-label="Search all chats">
      <form
        className="row"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          void search();
        }}
      >
        <input
          type="search"
          aria-label="Search all chats"
          placeholder='Search all chats (word, "a phrase", pre*)'
          value={query}
          maxLength={200}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') clear();
          }}
        />
        <button type="submit" disabled={searching}>
          Search
        </button>
      </form>
      {error && (
        <p className="library-search-note" role="alert">
          {error}
        </p>
      )}
      {result && (
        <div data-testid="library-results">
          <p className="library-search-note" aria-live="polite">
            {result.chats.length === 0 ? `No chat holds “${result.query}”.` : `${result.chats.length}${result.truncated ? '+' : ''} chat${result.chats.length === 1 ? '' : 's'}`}
            {result.indexing && ' · still indexing, some chats may be missing'}
          </p>
          <ul className="list">
            {result.chats.map((c) => (
              <li key={c.chatId} className="library-chat" data-testid="library-chat" data-chat-id={c.chatId}>
                <button className="item" onClick={() => props.onOpen(c.characterId, c.chatId)}>
                  <span className="chat-title">
                    <Marked value={c.title} />
                  </span>
                  <small className="chat-meta">
                    <Marked value={c.characterName.text ? c.characterName : { text: c.characterId, highlights: [] }} />
                    {c.matchCount > 0 && ` · ${c.matchCount}${result.truncated ? '+' : ''} match${c.matchCount === 1 ? '' : 'es'}`}
                  </small>
                </button>
                {c.hits.map((h) => (
                  <button key={h.messageId} className="item library-hit" data-testid="library-hit" data-message-id={h.messageId} onClick={() => props.onOpen(c.characterId, c.chatId, h.messageId)}>
                    <small>
                      <Marked value={h.snippet} />
                    </small>
                  </button>
                ))}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

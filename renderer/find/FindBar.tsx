// The find bar: a query box, the match counter, and previous/next. Sits above the message list.
import type { useFind } from './useFind.ts';

export function FindBar({ find }: { find: ReturnType<typeof useFind> }) {
  if (!find.open) return null;
  const r = find.result;
  const stale = r && r.query !== find.query;
  const counter = find.searching && !(r && !stale)
    ? 'Searching…'
    : find.error
      ? find.error
      : r && !stale
        ? r.total === 0
          ? 'No matches'
          : `${(find.index + 1).toLocaleString('en-US')} of ${r.total.toLocaleString('en-US')}`
        : '';
  return (
    <form
      className="find-bar"
      role="search"
      data-testid="find-bar"
      onSubmit={(e) => {
        e.preventDefault();
        if (r && !stale) find.previous();
        else void find.search();
      }}
    >
      <input
        aria-label="Find in chat"
        placeholder="Find in chat (Enter: search, then older match)"
        autoFocus
        value={find.query}
        maxLength={200}
        onChange={(e) => find.setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.preventDefault();
            find.close();
          } else if (e.key === 'Enter' && e.shiftKey) {
            e.preventDefault();
            find.next();
          }
        }}
      />
      <span className="find-count" data-testid="find-count" aria-live="polite">
        {counter}
      </span>
      <button type="button" aria-label="Previous match" title="Older match (Enter)" disabled={!r?.total || Boolean(stale)} onClick={find.previous}>
        ↑
      </button>
      <button type="button" aria-label="Next match" title="Newer match (Shift+Enter)" disabled={!r?.total || Boolean(stale)} onClick={find.next}>
        ↓
      </button>
      <button type="button" aria-label="Close find" onClick={find.close}>
        ×
      </button>
    </form>
  );
}

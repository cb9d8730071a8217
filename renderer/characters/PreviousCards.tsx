// In the character editor: the cards an import replaced (kept whole, picture included), newest
// first, each with Restore. Restoring keeps the current card as a previous card in turn.
import { useEffect, useState } from 'react';
import type { CardsharkApi, PreviousCard } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

export function PreviousCards({ api, id, version, onRestored }: { api: CardsharkApi; id: string; version: number | undefined; onRestored(): void }) {
  const [items, setItems] = useState<PreviousCard[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    void api.listPreviousCards({ id }).then((r) => {
      if (!live) return;
      if (r.ok) setItems(r.data);
      else pushNotice({ level: 'error', code: r.error.code, message: `Listing previous cards: [${r.error.code}] ${r.error.message}` });
    });
    return () => {
      live = false;
    };
  }, [api, id, version]);
  if (items.length === 0) return null;
  return (
    <details className="previous-cards" data-testid="previous-cards">
      <summary>Previous cards ({items.length})</summary>
      <ul className="list">
        {items.map((p) => (
          <li key={p.versionId} className="row" data-testid="previous-card">
            <span className="grow">
              {p.name} <small className="chat-meta">replaced {new Date(p.replacedAt).toLocaleString()}{p.hasAvatar ? '' : ' · no picture'}</small>
            </span>
            <button
              type="button"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                const r = await api.restorePreviousCard({ id, versionId: p.versionId });
                setBusy(false);
                if (!r.ok) pushNotice({ level: 'error', code: r.error.code, message: `Restoring the previous card: [${r.error.code}] ${r.error.message}` });
                else {
                  pushNotice({ level: 'info', message: r.data.kind === 'unchanged' ? `${p.name} is the current card already` : `Restored the previous card of ${p.name}` });
                  onRestored();
                }
              }}
            >
              Restore
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}

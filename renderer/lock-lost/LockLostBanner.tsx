// Shown for good once main says this app lost its data-folder lock (another CardShark took the
// folder over while this one was paused or asleep): nothing more is saved, so the user must know.
import { useEffect, useState } from 'react';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';

export function LockLostBanner({ api }: { api: CardsharkApi }) {
  const [detail, setDetail] = useState<string | null>(null);
  useEffect(() => api.on('store:lock-lost', (e) => setDetail(e.message)), [api]);
  if (detail === null) return null;
  return (
    <div className="lock-lost" role="alert" data-testid="lock-lost">
      <strong>Another CardShark took over this data folder. This window has stopped saving: nothing you do here from now on is kept.</strong>{' '}
      Copy anything you still need, then restart CardShark.
      <div className="lock-lost-detail">{detail}</div>
    </div>
  );
}

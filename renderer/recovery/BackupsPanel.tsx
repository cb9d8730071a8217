// A chat's backups: time, size, message count; restore behind a confirmation. The store backs up
// the current state before restoring, so a restore can itself be undone from this list.
import { useEffect, useState } from 'react';
import type { BackupOut, CardsharkApi } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

const size = (n: number) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);

export function BackupsPanel({ api, chatId, onRestored, onClose }: { api: CardsharkApi; chatId: string; onRestored: () => void; onClose: () => void }) {
  const [backups, setBackups] = useState<BackupOut[] | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let live = true;
    void api.listBackups({ chatId }).then((r) => {
      if (!live) return;
      if (r.ok) setBackups(r.data);
      else pushNotice({ level: 'error', code: r.error.code, message: `Listing backups: [${r.error.code}] ${r.error.message}` });
    });
    return () => {
      live = false;
    };
  }, [api, chatId]);

  async function restore(backupId: string) {
    setBusy(true);
    try {
      const r = await api.restoreBackup({ chatId, backupId });
      if (!r.ok) {
        pushNotice({ level: 'error', code: r.error.code, message: `Restoring the backup: [${r.error.code}] ${r.error.message}` });
        return;
      }
      pushNotice({ level: 'info', message: `Restored the backup of ${new Date(Number(backupId.slice(0, 13))).toLocaleString()}.${r.data.undoBackupId ? ' The state before it was backed up first, so this can be undone from the backups list.' : ''}` });
      onRestored();
    } finally {
      setBusy(false);
      setConfirming(null);
    }
  }

  return (
    <section className="backups-panel" aria-label="Backups" data-testid="backups-panel">
      <header>
        <strong>Backups of this chat</strong>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </header>
      {backups === null ? (
        <div>Loading…</div>
      ) : backups.length === 0 ? (
        <div data-testid="no-backups">This chat has no backups: one is taken before every rewrite (compaction, repair, restore), and this chat has not been rewritten yet. A repair keeps the original file as its first backup.</div>
      ) : (
        <ul>
          {backups.map((b) => (
            <li key={b.backupId} data-testid="backup">
              <span>{`${new Date(b.takenAt).toLocaleString()} · ${size(b.sizeBytes)} · ${b.messageCount ?? '?'} message(s)`}</span>
              {b.label && (
                <span className="backup-label" data-testid="backup-label">
                  {b.label}
                </span>
              )}
              {confirming === b.backupId ? (
                <>
                  <span> Replace the chat with this backup? The current state is backed up first. </span>
                  <button type="button" disabled={busy} onClick={() => void restore(b.backupId)}>
                    Confirm restore
                  </button>
                  <button type="button" onClick={() => setConfirming(null)}>
                    Cancel
                  </button>
                </>
              ) : (
                <button type="button" disabled={busy} onClick={() => setConfirming(b.backupId)}>
                  Restore
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

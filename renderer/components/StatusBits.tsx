// The save-state indicator and the notice stack.
import type { SaveStatus } from '../save-state.ts';
import { dismissNotice, useNotices } from '../notices.ts';

const LABEL: Record<SaveStatus, string> = { saved: 'Saved', saving: 'Saving…', streaming: 'Saving reply…', error: 'Error', offline: 'Offline: not saving' };

export function SaveIndicator({ status, onRetry, title }: { status: SaveStatus; onRetry?: () => void; title?: string }) {
  return (
    <span className={`save save-${status}`} data-testid="save-state" data-state={status} role="status" {...(title ? { title } : {})}>
      {LABEL[status]}
      {status === 'error' && onRetry && (
        <button className="retry" onClick={onRetry}>
          Retry
        </button>
      )}
    </span>
  );
}

export function Notices() {
  const notices = useNotices();
  return (
    <div className="notices" aria-live="polite">
      {notices.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`} data-testid="notice" role={n.level === 'error' ? 'alert' : 'status'}>
          <span>{n.message}</span>
          <button aria-label="Dismiss" onClick={() => dismissNotice(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

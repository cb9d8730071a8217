// The save-state indicator and the notice stack.
import type { SaveStatus } from '../save-state.ts';
import { dismissAllNotices, dismissNotice, SHOWN_NOTICES, useNotices } from '../notices.ts';

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
  // Only the newest few: the rest are summed up in one line, so notices never cover the chat.
  const shown = notices.slice(-SHOWN_NOTICES);
  const more = notices.length - shown.length;
  return (
    <div className="notices" aria-live="polite">
      {more > 0 && (
        <div className="notice notice-more" data-testid="notices-more">
          <span>{`${more} earlier notice(s)`}</span>
          <button onClick={dismissAllNotices}>Dismiss all</button>
        </div>
      )}
      {shown.map((n) => (
        <div key={n.id} className={`notice notice-${n.level}`} data-testid="notice" role={n.level === 'error' ? 'alert' : 'status'}>
          <span>
            {n.message}
            {(n.count ?? 1) > 1 && <span className="notice-count">{` ×${n.count}`}</span>}
          </span>
          <button aria-label="Dismiss" onClick={() => dismissNotice(n.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

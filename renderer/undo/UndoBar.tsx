// The undo offer after a delete: in the page flow above the composer, never over the text.
import type { PendingDelete } from './usePendingDeletes.ts';

export function UndoBar({ pending, onUndo }: { pending: PendingDelete | null; onUndo(): void }) {
  if (!pending) return null;
  const preview = pending.m.content.replace(/\s+/g, ' ').slice(0, 60);
  return (
    <div className="undo-bar" data-testid="undo-delete" role="status">
      <span>
        Message deleted{preview ? `: “${preview}${pending.m.content.length > 60 ? '…' : ''}”` : ''}
      </span>
      <button onClick={onUndo} autoFocus>
        Undo
      </button>
    </div>
  );
}

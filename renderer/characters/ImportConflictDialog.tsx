// Asked when an imported card names the id of a character already here whose card differs (a
// re-imported export after edits, or a stranger's card reusing an id): replace that character's
// card (the current one stays restorable under Edit → Previous cards), or import it as a new one.
import type { ImportCharacterResult } from '../../shared/ipc-contract.ts';

type Conflict = Extract<ImportCharacterResult, { kind: 'conflict' }>;

const FIELD_LABELS: Record<string, string> = {
  first_mes: 'first message',
  mes_example: 'example dialogue',
  system_prompt: 'system prompt',
  post_history_instructions: 'post-history instructions',
  creator_notes: 'creator notes',
  alternate_greetings: 'alternate greetings',
  character_version: 'version',
  character_book: 'lorebook',
};

export function describeChanges(changed: string[]): string {
  const shown = changed.slice(0, 8).map((k) => FIELD_LABELS[k] ?? k.replace(/_/g, ' '));
  return shown.join(', ') + (changed.length > shown.length ? ` and ${changed.length - shown.length} more` : '');
}

export function ImportConflictDialog(props: { fileName: string; conflict: Conflict; busy: boolean; onChoose(choice: 'replace' | 'new'): void; onCancel(): void }) {
  const { existing, incoming } = props.conflict;
  return (
    <div className="modal-backdrop" onClick={(e) => e.target === e.currentTarget && props.onCancel()}>
      <div className="modal import-conflict" role="dialog" aria-modal="true" aria-label="This character is already here" onKeyDown={(e) => e.key === 'Escape' && props.onCancel()}>
        <h3>This character is already here</h3>
        <p>
          {props.fileName} is a card for <strong>{incoming.name}</strong>, and it names the same character as <strong>{existing.name}</strong>, whose card differs:{' '}
          {describeChanges(incoming.changed)}.
        </p>
        <p className="chat-meta">Replacing keeps {existing.name}'s chats; its current card can be restored from Edit → Previous cards.</p>
        <footer className="row editor-actions">
          <button type="button" disabled={props.busy} onClick={() => props.onChoose('replace')}>
            Replace the existing character
          </button>
          <button type="button" disabled={props.busy} onClick={() => props.onChoose('new')} autoFocus>
            Import as a new character
          </button>
          <button type="button" className="close" disabled={props.busy} onClick={props.onCancel}>
            Cancel
          </button>
        </footer>
      </div>
    </div>
  );
}

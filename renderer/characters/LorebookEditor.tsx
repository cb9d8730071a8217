// The card's lorebook (character_book) in the character editor: one row per entry with its keys,
// text, and the Enabled / Always on switches. Every other field of an entry (secondary keys,
// SillyTavern's position, depth, order...) is kept as it came and saved back untouched.
import type { CharacterBookEntry } from '../../shared/character-card.ts';

export const splitKeys = (text: string): string[] => text.split(',').map((k) => k.trim()).filter(Boolean);

export function newEntry(entries: readonly CharacterBookEntry[]): CharacterBookEntry {
  const order = entries.reduce((n, e) => Math.max(n, e.insertion_order), 0);
  return { keys: [], content: '', enabled: true, constant: false, insertion_order: entries.length ? order + 1 : 100, extensions: {} };
}

/** Keys are edited as text (a trailing comma stays while typing); `keyText` holds it per entry. */
export interface EditedEntry {
  entry: CharacterBookEntry;
  keyText: string;
}

export const editedOf = (entries: readonly CharacterBookEntry[]): EditedEntry[] => entries.map((entry) => ({ entry, keyText: entry.keys.join(', ') }));
export const entriesOf = (edited: readonly EditedEntry[]): CharacterBookEntry[] => edited.map((e) => ({ ...e.entry, keys: splitKeys(e.keyText) }));

export function LorebookEditor({ entries, onChange }: { entries: EditedEntry[]; onChange(next: EditedEntry[]): void }) {
  const update = (i: number, patch: Partial<CharacterBookEntry>) => onChange(entries.map((e, j) => (j !== i ? e : { ...e, entry: { ...e.entry, ...patch } })));
  const setKeys = (i: number, keyText: string) => onChange(entries.map((e, j) => (j !== i ? e : { ...e, keyText })));
  return (
    <fieldset className="lorebook-editor">
      <legend>Lorebook ({entries.length} {entries.length === 1 ? 'entry' : 'entries'})</legend>
      <p className="chat-meta">An entry is sent to the model when a recent message mentions one of its keys (or always, when it is always on).</p>
      {entries.map((e, i) => (
        <div className="lore-entry" key={i} data-testid="lore-entry">
          <div className="row">
            <label className="grow">
              Keys (comma-separated)
              <input aria-label={`Entry ${i + 1} keys`} value={e.keyText} onChange={(ev) => setKeys(i, ev.target.value)} />
            </label>
            <label className="check">
              <input type="checkbox" aria-label={`Entry ${i + 1} enabled`} checked={e.entry.enabled} onChange={(ev) => update(i, { enabled: ev.target.checked })} />
              Enabled
            </label>
            <label className="check">
              <input type="checkbox" aria-label={`Entry ${i + 1} always on`} checked={e.entry.constant === true} onChange={(ev) => update(i, { constant: ev.target.checked })} />
              Always on
            </label>
            <button type="button" onClick={() => onChange(entries.filter((_, j) => j !== i))}>
              Remove
            </button>
          </div>
          <textarea aria-label={`Entry ${i + 1} content`} rows={3} value={e.entry.content} onChange={(ev) => update(i, { content: ev.target.value })} />
        </div>
      ))}
      <button type="button" onClick={() => onChange([...entries, { entry: newEntry(entriesOf(entries)), keyText: '' }])}>
        Add entry
      </button>
    </fieldset>
  );
}

// Edit one character's card (the V2 fields), export it, restore a card an import replaced, or
// delete it to the trash.
// Extensions and unknown fields are not edited here; main keeps them whole on save.
import { useEffect, useState } from 'react';
import { CharacterBook, type CardData, type CardDataPatch, type CharacterCard } from '../../shared/character-card.ts';
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';
import { downloadBase64 } from './card-files.ts';
import { Avatar } from './CharacterPanel.tsx';
import { PreviousCards } from './PreviousCards.tsx';
import { editedOf, entriesOf, LorebookEditor, type EditedEntry } from './LorebookEditor.tsx';

/** The card's lorebook if it reads as one the editor can save back; else null (then it is kept as it is, not edited). */
function bookOf(card: CardData): CharacterBook | null {
  if (card.character_book === undefined || card.character_book === null) return { extensions: {}, entries: [] };
  const r = CharacterBook.safeParse(card.character_book);
  return r.success ? r.data : null;
}

const TEXT_FIELDS: [keyof CardData & keyof CardDataPatch, string, number][] = [
  ['description', 'Description', 5],
  ['personality', 'Personality', 2],
  ['scenario', 'Scenario', 2],
  ['first_mes', 'First message', 4],
  ['mes_example', 'Example dialogue', 4],
  ['system_prompt', 'System prompt', 2],
  ['post_history_instructions', 'Post-history instructions', 2],
  ['creator_notes', 'Creator notes', 2],
];

type Form = Required<Pick<CardDataPatch, 'name' | 'description' | 'personality' | 'scenario' | 'first_mes' | 'mes_example' | 'system_prompt' | 'post_history_instructions' | 'creator_notes' | 'alternate_greetings' | 'creator' | 'character_version'>> & { tags: string };

function formOf(card: CardData): Form {
  return {
    name: card.name,
    description: card.description,
    personality: card.personality,
    scenario: card.scenario,
    first_mes: card.first_mes,
    mes_example: card.mes_example,
    system_prompt: card.system_prompt,
    post_history_instructions: card.post_history_instructions,
    creator_notes: card.creator_notes,
    alternate_greetings: card.alternate_greetings,
    creator: card.creator,
    character_version: card.character_version,
    tags: card.tags.join(', '),
  };
}

export function CharacterEditor({ api, id, onClose, onDeleted }: { api: CardsharkApi; id: string; onClose(): void; onDeleted(id: string): void }) {
  const [loaded, setLoaded] = useState<CharacterCard | null>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [saving, setSaving] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [reloads, setReloads] = useState(0);
  const [lore, setLore] = useState<EditedEntry[]>([]);

  useEffect(() => {
    let live = true;
    void api.getCharacter({ id }).then((r) => {
      if (!live) return;
      if (!r.ok) {
        pushNotice({ level: 'error', code: r.error.code, message: `Opening the character: [${r.error.code}] ${r.error.message}` });
        onClose();
        return;
      }
      setLoaded(r.data);
      setForm(formOf(r.data.card));
      setLore(editedOf(bookOf(r.data.card)?.entries ?? []));
    });
    return () => {
      live = false;
    };
  }, [api, id, onClose, reloads]);

  if (!loaded || !form) return null;
  const set = (patch: Partial<Form>) => setForm({ ...form, ...patch });
  const extensionKeys = Object.keys(loaded.card.extensions);
  const book = bookOf(loaded.card);

  async function save() {
    if (!form) return;
    setSaving(true);
    const { tags, ...rest } = form;
    const card: CardDataPatch = { ...rest, alternate_greetings: rest.alternate_greetings.filter((g) => g.trim()), tags: tags.split(',').map((t) => t.trim()).filter(Boolean) };
    // The book is saved whole: its own settings and each entry's other fields as loaded, the edited fields changed.
    const entries = entriesOf(lore);
    if (book && (loaded?.card.character_book != null || entries.length)) card.character_book = { ...book, entries };
    const r = await api.updateCharacter({ id, card });
    setSaving(false);
    if (!r.ok) {
      pushNotice({ level: 'error', code: r.error.code, message: `Saving the character: [${r.error.code}] ${r.error.message}` });
      return;
    }
    setLoaded(r.data);
    setForm(formOf(r.data.card));
    setLore(editedOf(bookOf(r.data.card)?.entries ?? []));
    pushNotice({ level: 'info', message: `Saved ${r.data.name}` });
  }

  async function exportAs(format: 'png' | 'json') {
    const r = await api.exportCharacter({ id, format });
    if (!r.ok) pushNotice({ level: 'error', code: r.error.code, message: `Exporting: [${r.error.code}] ${r.error.message}` });
    else downloadBase64(r.data.bytesBase64, r.data.fileName, r.data.mime);
  }

  return (
    <div className="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <form
        className="modal character-editor"
        role="dialog"
        aria-label="Edit character"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        onKeyDown={(e) => e.key === 'Escape' && onClose()}
      >
        <header className="row editor-head">
          <Avatar api={api} character={loaded} size={48} />
          <label className="grow">
            Name
            <input aria-label="Name" value={form.name} maxLength={200} required onChange={(e) => set({ name: e.target.value })} />
          </label>
        </header>
        {TEXT_FIELDS.map(([key, label, rows]) => (
          <label key={key}>
            {label}
            <textarea aria-label={label} rows={rows} value={form[key as keyof Form] as string} onChange={(e) => set({ [key]: e.target.value } as Partial<Form>)} />
          </label>
        ))}
        <fieldset>
          <legend>Alternate greetings</legend>
          {form.alternate_greetings.map((g, i) => (
            <div className="row" key={i}>
              <textarea aria-label={`Alternate greeting ${i + 1}`} rows={2} value={g} onChange={(e) => set({ alternate_greetings: form.alternate_greetings.map((x, j) => (j === i ? e.target.value : x)) })} />
              <button type="button" onClick={() => set({ alternate_greetings: form.alternate_greetings.filter((_, j) => j !== i) })}>
                Remove
              </button>
            </div>
          ))}
          <button type="button" onClick={() => set({ alternate_greetings: [...form.alternate_greetings, ''] })}>
            Add greeting
          </button>
        </fieldset>
        <label>
          Tags (comma-separated)
          <input aria-label="Tags" value={form.tags} onChange={(e) => set({ tags: e.target.value })} />
        </label>
        <div className="row">
          <label className="grow">
            Creator
            <input aria-label="Creator" value={form.creator} maxLength={1000} onChange={(e) => set({ creator: e.target.value })} />
          </label>
          <label className="grow">
            Version
            <input aria-label="Version" value={form.character_version} maxLength={1000} onChange={(e) => set({ character_version: e.target.value })} />
          </label>
        </div>
        {book ? <LorebookEditor entries={lore} onChange={setLore} /> : <p className="chat-meta">This card's lorebook is kept as imported (it is not in a form the editor can save back).</p>}
        {extensionKeys.length > 0 && <p className="chat-meta">Kept as imported: extensions {extensionKeys.join(', ')}.</p>}
        <PreviousCards api={api} id={id} version={loaded.updated} onRestored={() => setReloads((n) => n + 1)} />
        <footer className="row editor-actions">
          <button type="submit" disabled={saving || !form.name.trim()}>
            {saving ? 'Saving…' : 'Save'}
          </button>
          <button type="button" onClick={() => void exportAs('png')}>
            Export PNG
          </button>
          <button type="button" onClick={() => void exportAs('json')}>
            Export JSON
          </button>
          {confirmDelete ? (
            <button
              type="button"
              className="danger"
              onClick={async () => {
                const r = await api.deleteCharacter({ id });
                if (!r.ok) pushNotice({ level: 'error', code: r.error.code, message: `Deleting: [${r.error.code}] ${r.error.message}` });
                else onDeleted(id);
              }}
            >
              Confirm: move to trash with its chats
            </button>
          ) : (
            <button type="button" onClick={() => setConfirmDelete(true)}>
              Delete
            </button>
          )}
          <button type="button" className="close" onClick={onClose}>
            Close
          </button>
        </footer>
      </form>
    </div>
  );
}

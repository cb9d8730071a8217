// Personas: who the user is in a chat. Each has a name, a description (sent with the card) and an
// avatar (shown on the user's messages); one is the default for chats that choose none. Without
// any, the name in Generation settings is used. A chat chooses its own in the chat header.
import { useState } from 'react';
import type { CardsharkApi, PersonaOut } from '../../shared/ipc-contract.ts';
import { Avatar } from '../components/Avatar.tsx';
import { pushNotice } from '../notices.ts';
import { pictureToPngBase64 } from './avatar-file.ts';
import { usePersonas } from './usePersonas.ts';

type Draft = { id: string | null; name: string; description: string; picture: File | null; clearPicture: boolean };
const EMPTY: Draft = { id: null, name: '', description: '', picture: null, clearPicture: false };

export function PersonasPanel({ api }: { api: CardsharkApi }) {
  const { list } = usePersonas(api);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save(d: Draft) {
    setSaving(true);
    setError(null);
    try {
      const avatar = d.picture ? { avatarPngBase64: await pictureToPngBase64(d.picture) } : d.clearPicture ? { avatarPngBase64: '' } : {};
      const r = d.id
        ? await api.updatePersona({ id: d.id, name: d.name, description: d.description, ...avatar })
        : await api.createPersona({ name: d.name, description: d.description, ...avatar });
      if (r.ok) setDraft(null);
      else setError(r.error.message);
    } catch (e) {
      setError(`The picture could not be read: ${String(e)}`);
    } finally {
      setSaving(false);
    }
  }
  const act = (what: string, p: Promise<{ ok: boolean; error?: { message: string } }>) =>
    void p.then((r) => {
      if (!r.ok) pushNotice({ level: 'error', message: `${what} failed: ${r.error?.message ?? 'unknown error'}` });
    });
  const edit = (p: PersonaOut) => setDraft({ id: p.id, name: p.name, description: p.description, picture: null, clearPicture: false });

  return (
    <details className="panel personas" data-testid="personas-panel">
      <summary>Personas</summary>
      {list && (
        <>
          {list.personas.length === 0 && <p className="hint">No personas yet: you are “{list.settingsPersona.name}” (Generation settings).</p>}
          <ul className="persona-list">
            {list.personas.map((p) => (
              <li key={p.id} data-testid="persona" data-id={p.id}>
                <Avatar name={p.name} src={p.avatar ?? undefined} size={28} />
                <span className="persona-name" title={p.name}>
                  {p.name}
                </span>
                {list.defaultId === p.id ? (
                  <span className="persona-default">default</span>
                ) : (
                  <button type="button" onClick={() => act('Making it the default', api.setDefaultPersona({ id: p.id }))}>
                    Make default
                  </button>
                )}
                <button type="button" onClick={() => edit(p)}>
                  Edit
                </button>
                <button type="button" onClick={() => window.confirm(`Delete the persona “${p.name}”? Chats that chose it use the default again.`) && act('Deleting the persona', api.deletePersona({ id: p.id }))}>
                  Delete
                </button>
              </li>
            ))}
          </ul>
          {draft ? (
            <form
              className="persona-form"
              onSubmit={(e) => {
                e.preventDefault();
                void save(draft);
              }}
            >
              <label>
                Persona name
                <input value={draft.name} maxLength={100} required onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
              </label>
              <label>
                Persona description
                <textarea value={draft.description} rows={3} onChange={(e) => setDraft({ ...draft, description: e.target.value })} />
                <small>sent with the card ({'{{user}}'}: the persona&apos;s name)</small>
              </label>
              <label>
                Persona picture
                <input type="file" accept="image/*" onChange={(e) => setDraft({ ...draft, picture: e.target.files?.[0] ?? null, clearPicture: false })} />
              </label>
              {draft.id && (
                <label className="inline">
                  <input type="checkbox" checked={draft.clearPicture} onChange={(e) => setDraft({ ...draft, clearPicture: e.target.checked, picture: null })} /> Remove the picture
                </label>
              )}
              {error && (
                <small className="field-error" role="alert">
                  {error}
                </small>
              )}
              <button type="submit" disabled={saving || !draft.name.trim()}>
                {draft.id ? 'Save persona' : 'Add persona'}
              </button>
              <button type="button" onClick={() => setDraft(null)}>
                Cancel
              </button>
            </form>
          ) : (
            <button type="button" onClick={() => setDraft(list.personas.length ? EMPTY : { ...EMPTY, name: list.settingsPersona.name, description: list.settingsPersona.description })}>
              New persona
            </button>
          )}
        </>
      )}
    </details>
  );
}

/** The chat header's choice of who the user is in this chat. */
export function ChatPersonaPicker({ api, chatId, chosenId }: { api: CardsharkApi; chatId: string; chosenId: string | null }) {
  const { list } = usePersonas(api);
  if (!list || list.personas.length === 0) return null;
  const fallback = list.personas.find((p) => p.id === list.defaultId)?.name ?? list.settingsPersona.name;
  return (
    <label className="persona-picker" title="Who you are in this chat (remembered for it)">
      <span className="visually-hidden">Persona for this chat</span>
      <select
        aria-label="Persona for this chat"
        value={chosenId ?? ''}
        onChange={(e) =>
          void api.setChatPersona({ chatId, personaId: e.target.value || null }).then((r) => {
            if (!r.ok) pushNotice({ level: 'error', message: `Choosing the persona failed: ${r.error.message}` });
          })
        }
      >
        <option value="">Default ({fallback})</option>
        {list.personas.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}
          </option>
        ))}
      </select>
    </label>
  );
}

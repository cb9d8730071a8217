// The character list: avatars and names, a filter box, import by file picker or drag-and-drop,
// add by name, an empty state, and the trash (deleted characters, restorable). A single card whose
// id belongs to a character with another card asks (ImportConflictDialog); several files at once
// cannot ask, so such a card comes in as a new character.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { CardsharkApi, Character, DeletedCharacter, ImportCharacterResult, OnCardConflict } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';
import { fileToBase64, isCardFile } from './card-files.ts';
import { useCharacterAvatar } from './useAvatar.ts';
import { useFileDrop } from '../files/useFileDrop.ts';
import { ImportConflictDialog } from './ImportConflictDialog.tsx';

type PendingConflict = { fileName: string; bytesBase64: string; conflict: Extract<ImportCharacterResult, { kind: 'conflict' }> };

export function Avatar({ api, character, size = 28 }: { api: CardsharkApi; character: Character | undefined; size?: number }) {
  const url = useCharacterAvatar(api, character);
  const initial = (character?.name ?? '?').slice(0, 1).toUpperCase();
  return url ? (
    <img className="avatar" src={url} alt="" width={size} height={size} data-testid="avatar" />
  ) : (
    // The initial is drawn by CSS (attr): it stays out of the row's text (its accessible name is the character's).
    <span className="avatar avatar-blank" style={{ width: size, height: size }} aria-hidden="true" data-initial={initial} />
  );
}

export function CharacterPanel(props: {
  api: CardsharkApi;
  characters: Character[];
  selected: string | null;
  onSelect(id: string): void;
  onCreate(name: string): void;
  onImported(c: Character): void;
  onEdit(id: string): void;
}) {
  const { api } = props;
  const [name, setName] = useState('');
  const [filter, setFilter] = useState('');
  const [importing, setImporting] = useState(0);
  const [pending, setPending] = useState<PendingConflict | null>(null);
  const input = useRef<HTMLInputElement>(null);

  // A file dropped beside the panel must not make the window navigate to it (and leave the app).
  useEffect(() => {
    const stop = (e: DragEvent) => {
      if (e.dataTransfer && [...e.dataTransfer.types].includes('Files')) e.preventDefault();
    };
    window.addEventListener('dragover', stop);
    window.addEventListener('drop', stop);
    return () => {
      window.removeEventListener('dragover', stop);
      window.removeEventListener('drop', stop);
    };
  }, []);

  const shown = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const list = [...props.characters].sort((a, b) => a.name.localeCompare(b.name));
    return q ? list.filter((c) => c.name.toLowerCase().includes(q) || c.tags?.some((t) => t.toLowerCase().includes(q))) : list;
  }, [props.characters, filter]);

  /** One card file to main; the answer becomes a notice, a selection, or the question. */
  const importOne = useCallback(
    async (fileName: string, bytesBase64: string, onConflict: OnCardConflict) => {
      const r = await api.importCharacter({ fileName: fileName.slice(0, 500), bytesBase64, onConflict });
      if (!r.ok) {
        pushNotice({ level: 'error', code: r.error.code, message: `Importing ${fileName}: [${r.error.code}] ${r.error.message}` });
        return;
      }
      const a = r.data;
      if (a.kind === 'conflict') {
        setPending({ fileName, bytesBase64, conflict: a });
        return;
      }
      const message =
        a.kind === 'unchanged'
          ? `${a.character.name} is already imported (the same card); nothing changed`
          : a.kind === 'replaced'
            ? `Replaced the card of ${a.character.name}; the previous card can be restored from Edit → Previous cards`
            : a.idTakenBy
              ? `Imported ${a.character.name} as a new character (${fileName} names the same character as ${a.idTakenBy.name}, which is kept as it is)`
              : `Imported ${a.character.name}`;
      pushNotice({ level: 'info', message });
      for (const warning of a.warnings ?? []) pushNotice({ level: 'warning', message: `${fileName}: ${warning}` });
      props.onImported(a.character);
    },
    [api, props.onImported],
  );

  const importFiles = useCallback(
    async (files: File[]) => {
      // The user can be asked about one file; a batch cannot stop at each file to ask.
      const onConflict: OnCardConflict = files.length === 1 ? 'ask' : 'new';
      for (const file of files) {
        if (!isCardFile(file)) {
          pushNotice({ level: 'error', code: 'INVALID_INPUT', message: `Importing ${file.name}: not a card file (PNG or JSON)` });
          continue;
        }
        setImporting((n) => n + 1);
        try {
          await importOne(file.name, await fileToBase64(file), onConflict);
        } catch (e) {
          pushNotice({ level: 'error', message: `Importing ${file.name}: ${(e as Error).message}` });
        } finally {
          setImporting((n) => n - 1);
        }
      }
    },
    [importOne],
  );

  async function resolveConflict(choice: 'replace' | 'new') {
    if (!pending) return;
    setImporting((n) => n + 1);
    try {
      await importOne(pending.fileName, pending.bytesBase64, choice);
    } catch (e) {
      pushNotice({ level: 'error', message: `Importing ${pending.fileName}: ${(e as Error).message}` });
    } finally {
      setImporting((n) => n - 1);
      setPending(null);
    }
  }

  const { dragging, dropProps } = useFileDrop((files) => void importFiles(files));

  return (
    <>
      <section
        className={dragging ? 'panel characters dropping' : 'panel characters'}
        aria-label="Characters"
        data-testid="character-panel"
        {...dropProps}
      >
        <h2>
          Characters
          <button type="button" onClick={() => input.current?.click()} disabled={importing > 0}>
            {importing > 0 ? 'Importing…' : 'Import'}
          </button>
        </h2>
        <input
          ref={input}
          type="file"
          accept=".png,.json,image/png,application/json"
          multiple
          hidden
          data-testid="import-input"
          onChange={(e) => {
            void importFiles([...(e.target.files ?? [])]);
            e.target.value = '';
          }}
        />
        {props.characters.length > 0 && (
          <input className="filter" type="search" aria-label="Filter characters" placeholder="Filter by name or tag" value={filter} onChange={(e) => setFilter(e.target.value)} />
        )}
        {props.characters.length === 0 ? (
          <p className="empty-list" data-testid="characters-empty">
            No characters yet. Import a card (PNG or JSON), drop one here, or add one by name.
          </p>
        ) : shown.length === 0 ? (
          <p className="empty-list">No character matches “{filter}”.</p>
        ) : (
          <ul className="list character-list">
            {shown.map((c) => (
              <li key={c.id} className="character-row">
                <button className={c.id === props.selected ? 'item active' : 'item'} aria-current={c.id === props.selected} data-testid="character" data-character-id={c.id} onClick={() => props.onSelect(c.id)}>
                  <Avatar api={api} character={c} />
                  <span className="character-name">{c.name}</span>
                </button>
                <button className="edit" title={`Edit ${c.name}`} aria-label={`Edit ${c.name}`} onClick={() => props.onEdit(c.id)}>
                  Edit
                </button>
              </li>
            ))}
          </ul>
        )}
        {dragging && <div className="drop-hint">Drop a card to import it</div>}
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) props.onCreate(name.trim());
            setName('');
          }}
        >
          <input aria-label="New character name" placeholder="New character name" value={name} onChange={(e) => setName(e.target.value)} maxLength={200} />
          <button type="submit">Add</button>
        </form>
        <Trash api={api} characters={props.characters} />
      </section>
      {pending && (
        <ImportConflictDialog fileName={pending.fileName} conflict={pending.conflict} busy={importing > 0} onChoose={(c) => void resolveConflict(c)} onCancel={() => setPending(null)} />
      )}
    </>
  );
}

/** Deleted characters; reloaded whenever the list of characters changes. */
function Trash({ api, characters }: { api: CardsharkApi; characters: Character[] }) {
  const [items, setItems] = useState<DeletedCharacter[]>([]);
  const [busy, setBusy] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void api.listDeletedCharacters({}).then((r) => live && r.ok && setItems(r.data));
    return () => {
      live = false;
    };
  }, [api, characters]);
  if (items.length === 0) return null;
  return (
    <details className="trash" data-testid="trash">
      <summary>Deleted characters ({items.length})</summary>
      <ul className="list">
        {items.map((t) => (
          <li key={t.trashId} className="row trash-row" data-testid="deleted-character">
            <span className="character-name">
              {t.name} <small className="chat-meta">{t.chatCount} chat{t.chatCount === 1 ? '' : 's'} · {new Date(t.deletedAt).toLocaleString()}</small>
            </span>
            <button
              disabled={busy !== null}
              onClick={async () => {
                setBusy(t.trashId);
                const r = await api.restoreCharacter({ trashId: t.trashId });
                setBusy(null);
                if (!r.ok) pushNotice({ level: 'error', code: r.error.code, message: `Restoring ${t.name}: [${r.error.code}] ${r.error.message}` });
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

// Import of chat files (SillyTavern, legacy CardShark, v1) by file picker or drag-and-drop, with a
// progress bar across the files, into the selected character; export of the open chat. Where main
// can open the file dialog itself (Electron), the button asks it to: main reads the picked file
// from its path; files dropped on the page are sent in chunks everywhere.
import { useRef, useState } from 'react';
import type { CardsharkApi, ChatImportResult } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';
import { downloadBase64 } from '../characters/card-files.ts';
import { importPickedChatFile, UploadCancel, uploadChatFile, type ImportOutcome, type UploadProgress } from './upload.ts';
import { useFileDrop } from '../files/useFileDrop.ts';

/** `nameOf`: a character's name by id, so "already imported" says where the chat already is. */
export function importSummary(name: string, r: ChatImportResult, nameOf: (characterId: string) => string | undefined): string {
  const created = r.chats.filter((c) => c.status === 'created');
  const skippedLines = r.chats.reduce((n, c) => n + c.linesNotImported, 0);
  const parts = [`${name}: ${created.length} chat(s) imported, ${created.reduce((n, c) => n + c.messageCount, 0)} messages`];
  const already = r.chats.filter((c) => c.status !== 'created');
  const where = (c: ChatImportResult['chats'][number]) => `“${c.title}” of ${nameOf(c.characterId) ?? c.characterId}`;
  if (already.length) parts.push(`already imported as ${already.slice(0, 3).map(where).join(', ')}${already.length > 3 ? ` and ${already.length - 3} more` : ''}`);
  if (skippedLines) parts.push(`${skippedLines} damaged line(s) not imported`);
  return parts.join('; ');
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

/** What the import of one file is doing, in words. */
function describe(p: UploadProgress): string {
  const bytes = `${mib(p.bytesRead)} of ${mib(p.bytesTotal)}`;
  if (p.phase === 'upload') return `sending ${bytes}`;
  return `${p.phase === 'write' || p.messagesWritten > 0 ? 'writing' : 'reading'} ${bytes}${p.messagesWritten ? `, ${p.messagesWritten.toLocaleString()} messages` : ''}`;
}

export function ChatFiles(props: { api: CardsharkApi; characterId: string; chatId: string | null; characterName(id: string): string | undefined; onImported(chatId: string): void }) {
  const { api } = props;
  const [progress, setProgress] = useState<{ done: number; total: number; name: string } | null>(null);
  const [within, setWithin] = useState<UploadProgress | null>(null);
  const cancel = useRef<UploadCancel | null>(null);

  /** Tells the outcome of one file's import; false when the batch stops (Cancel). */
  function told(name: string, r: ImportOutcome, opened: { done: boolean }): boolean {
    if ('cancelled' in r) {
      pushNotice({ level: 'info', message: `Import of ${name} cancelled; nothing of it was kept.` });
      return false; // Cancel stops the whole batch
    }
    if (!r.ok) {
      pushNotice({ level: 'error', code: r.error.code, message: `Importing ${name}: [${r.error.code}] ${r.error.message}` });
      return true;
    }
    pushNotice({ level: r.data.failed.length ? 'warning' : 'info', message: [importSummary(name, r.data, props.characterName), ...r.data.failed].join('\n') });
    const first = r.data.chats.find((c) => c.characterId === props.characterId);
    if (first && !opened.done) {
      opened.done = true;
      props.onImported(first.chatId);
    }
    return true;
  }

  function ended() {
    cancel.current = null;
    setWithin(null);
    setProgress(null);
  }

  async function importFiles(files: File[]) {
    if (!files.length || progress) return;
    const opened = { done: false };
    for (const [i, file] of files.entries()) {
      setProgress({ done: i, total: files.length, name: file.name });
      setWithin(null);
      const stop = (cancel.current = new UploadCancel());
      try {
        if (!told(file.name, await uploadChatFile(api, file, props.characterId, setWithin, stop), opened)) break;
      } catch (e) {
        pushNotice({ level: 'error', message: `Importing ${file.name}: ${(e as Error).message}` });
      }
    }
    ended();
  }

  /** Main's own dialog: it reads the file picked from its path (no bytes cross to main). */
  async function importPicked() {
    if (progress) return;
    setProgress({ done: 0, total: 1, name: 'choosing a file…' });
    let name = 'the chat file';
    const stop = (cancel.current = new UploadCancel());
    try {
      const r = await importPickedChatFile(api, props.characterId, (fileName) => setProgress({ done: 0, total: 1, name: (name = fileName) }), setWithin, stop);
      if (r) told(name, r, { done: false });
    } catch (e) {
      pushNotice({ level: 'error', message: `Importing ${name}: ${(e as Error).message}` });
    }
    ended();
  }

  const { dragging, dropProps } = useFileDrop((files) => void importFiles(files));

  async function exportOpen(format: 'st' | 'v1') {
    if (!props.chatId) return;
    const r = await api.exportChat({ chatId: props.chatId, format });
    if (!r.ok) pushNotice({ level: 'error', code: r.error.code, message: `Exporting: [${r.error.code}] ${r.error.message}` });
    else downloadBase64(r.data.bytesBase64, r.data.fileName, r.data.mime);
  }

  return (
    <section
      className={dragging ? 'panel chat-files dropping' : 'panel chat-files'}
      aria-label="Chat files"
      data-testid="chat-files"
      {...dropProps}
    >
      {api.capabilities?.pickChatFile ? (
        <button type="button" data-testid="chat-import-pick" disabled={progress !== null} onClick={() => void importPicked()}>
          Import chats…
        </button>
      ) : (
        <label className="button-like">
          Import chats…
          <input
            type="file"
            accept=".jsonl,application/jsonl,application/x-ndjson,text/plain"
            multiple
            hidden
            data-testid="chat-import-input"
            disabled={progress !== null}
            onChange={(e) => {
              void importFiles([...(e.target.files ?? [])]);
              e.target.value = '';
            }}
          />
        </label>
      )}
      {props.chatId && (
        <>
          <button type="button" onClick={() => void exportOpen('st')}>
            Export (SillyTavern)
          </button>
          <button type="button" onClick={() => void exportOpen('v1')}>
            Export (CardShark)
          </button>
        </>
      )}
      {progress && (
        <div className="import-progress" role="status">
          <progress data-testid="import-progress" value={progress.done} max={progress.total} />
          <span>
            Importing {progress.done + 1} of {progress.total}: {progress.name}
          </span>
          {within && (
            <>
              <progress data-testid="import-file-progress" value={within.bytesRead} max={Math.max(1, within.bytesTotal)} />
              <span data-testid="import-file-status">{describe(within)}</span>
            </>
          )}
          <button type="button" data-testid="import-cancel" onClick={() => cancel.current?.cancel()}>
            Cancel
          </button>
        </div>
      )}
      <p className="hint">Drop SillyTavern or CardShark .jsonl chats here.</p>
    </section>
  );
}

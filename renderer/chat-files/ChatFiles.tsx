// Import of chat files (SillyTavern, legacy CardShark, v1) by file picker or drag-and-drop, with a
// progress bar across the files, into the selected character; export of the open chat.
import { useState } from 'react';
import type { CardsharkApi, ChatImportResult } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';
import { downloadBase64, fileToBase64 } from '../characters/card-files.ts';
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

export function ChatFiles(props: { api: CardsharkApi; characterId: string; chatId: string | null; characterName(id: string): string | undefined; onImported(chatId: string): void }) {
  const { api } = props;
  const [progress, setProgress] = useState<{ done: number; total: number; name: string } | null>(null);

  async function importFiles(files: File[]) {
    if (!files.length || progress) return;
    let opened = false;
    for (const [i, file] of files.entries()) {
      setProgress({ done: i, total: files.length, name: file.name });
      try {
        const r = await api.importChatFile({ fileName: file.name.slice(0, 500) || 'chat.jsonl', bytesBase64: await fileToBase64(file), characterId: props.characterId });
        if (!r.ok) {
          pushNotice({ level: 'error', code: r.error.code, message: `Importing ${file.name}: [${r.error.code}] ${r.error.message}` });
          continue;
        }
        pushNotice({ level: r.data.failed.length ? 'warning' : 'info', message: [importSummary(file.name, r.data, props.characterName), ...r.data.failed].join('\n') });
        const first = r.data.chats.find((c) => c.characterId === props.characterId);
        if (first && !opened) {
          opened = true;
          props.onImported(first.chatId);
        }
      } catch (e) {
        pushNotice({ level: 'error', message: `Importing ${file.name}: ${(e as Error).message}` });
      }
    }
    setProgress(null);
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
        </div>
      )}
      <p className="hint">Drop SillyTavern or CardShark .jsonl chats here.</p>
    </section>
  );
}

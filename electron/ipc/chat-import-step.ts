// The app's import of one chat file from a path, whichever way it came: an upload's temp file
// (browser host) or the file the user picked in main's dialog (Electron). Streamed as the CLI
// imports (bounded memory), cancellable, with progress; then any new character is listed and every
// window hears of the chats made.
import type { ChatSummary } from '../../shared/chat-format.ts';
import type { ChatImportResult } from '../../shared/ipc-contract.ts';
import type { CharacterRegistry } from '../app-data/characters.ts';
import type { Emit } from '../generation/manager.ts';
import { importFileAs, registerImportedCharacters } from '../import/index.ts';
import type { ChatStore } from '../store/types.ts';
import { importResult } from './chat-files.ts';

export interface ImportStepDeps {
  store: ChatStore;
  characters: CharacterRegistry;
  emit: Emit;
}

export interface ImportStepProgress {
  phase: string;
  bytesRead: number;
  bytesTotal: number;
  messagesWritten: number;
}

export async function importChatFileAt(
  d: ImportStepDeps,
  file: { path: string; name: string; size: number },
  opts: { characterId?: string | undefined; signal: AbortSignal; onProgress: (p: ImportStepProgress) => void },
): Promise<ChatImportResult> {
  const created: ChatSummary[] = [];
  const report = await importFileAs(
    d.store,
    { path: file.path, name: file.name },
    {
      ...(opts.characterId !== undefined ? { characterId: opts.characterId } : {}),
      signal: opts.signal,
      onCreated: (s) => created.push(s),
      onProgress: (p) => opts.onProgress({ phase: p.phase ?? 'scan', bytesRead: p.bytesRead ?? 0, bytesTotal: p.bytesTotal ?? file.size, messagesWritten: p.messagesWritten ?? 0 }),
    },
  );
  if ((await registerImportedCharacters(d.characters, report.chats)).length) d.emit('characters:changed', {});
  for (const summary of created) d.emit('chat:changed', { chatId: summary.chatId, characterId: summary.characterId, summary });
  return importResult(report);
}

// The app's Import and Export of chat files. The renderer sends a picked or dropped file's bytes
// (never a path); main imports them like the CLI does, lists any character the app did not know,
// and tells every window. Export hands back the file's bytes for a download.
import { basename } from 'node:path';
import { StoreError } from '../../shared/errors.ts';
import { MAX_CARD_BYTES } from '../../shared/character-card.ts';
import type { ChatSummary } from '../../shared/chat-format.ts';
import type { ChatImportResult } from '../../shared/ipc-contract.ts';
import type { ChatStore } from '../store/types.ts';
import type { CharacterRegistry } from '../app-data/characters.ts';
import type { Emit } from '../generation/manager.ts';
import type { Personas } from '../app-data/personas.ts';
import { personaForChat } from './personas.ts';
import { decodeBase64Sliced, exportChatText, importBytes, registerImportedCharacters, type ExportFormat, type ImportReport } from '../import/index.ts';

/** Lines not imported that are logged one by one (a hostile file can have a million). */
const LOGGED_PROBLEMS = 20;

interface Deps {
  store: ChatStore;
  characters: CharacterRegistry;
  emit: Emit;
  /** The chat's persona: export names the user's messages that do not name themselves. */
  settings: { get(): Promise<{ personaName: string; personaDescription: string }> };
  personas: Personas;
}

/** What the renderer hears of an import: per chat, and each source that failed. */
export function importResult(report: ImportReport): ChatImportResult {
  return {
    chats: report.chats.map((c) => ({ chatId: c.chatId, characterId: c.characterId, title: c.title, messageCount: c.messageCount, status: c.status, linesNotImported: c.problems.length })),
    failed: report.failed.map((f) => `${f.source}: ${f.reason}`),
  };
}

export function chatFileHandlers(d: Deps) {
  return {
    async importChatFile({ fileName, bytesBase64, characterId }: { fileName: string; bytesBase64: string; characterId?: string | undefined }): Promise<ChatImportResult> {
      const bytes = await decodeBase64Sliced(bytesBase64);
      if (bytes.length > MAX_CARD_BYTES) throw new StoreError('TOO_LARGE', 'the chat file is larger than 20 MiB; import it with the CLI (npm run cli -- import FILE)', { reason: 'size' });
      if (characterId !== undefined && !(await d.characters.get(characterId))) throw new StoreError('NOT_FOUND', `no character with id ${characterId}`);
      // A name only: the renderer's file name never becomes a path here.
      const name = basename(fileName.replaceAll('\\', '/')) || 'chat.jsonl';
      // The summaries the import wrote: reading a 20 MiB chat back to list it would be seconds of work.
      const created: ChatSummary[] = [];
      const report = await importBytes(d.store, { name, bytes, mtimeMs: Date.now() }, { ...(characterId !== undefined ? { characterId } : {}), onCreated: (s) => created.push(s) });
      if ((await registerImportedCharacters(d.characters, report.chats)).length) d.emit('characters:changed', {});
      for (const summary of created) d.emit('chat:changed', { chatId: summary.chatId, characterId: summary.characterId, summary });
      for (const c of report.chats) {
        for (const p of c.problems.slice(0, LOGGED_PROBLEMS)) console.error(`import ${name}: line ${p.line} not imported: ${p.reason}`);
        if (c.problems.length > LOGGED_PROBLEMS) console.error(`import ${name}: ${c.problems.length - LOGGED_PROBLEMS} more lines not imported`);
      }
      return importResult(report);
    },
    async exportChat({ chatId, format }: { chatId: string; format: ExportFormat }) {
      const { characterId } = await d.store.getChat(chatId);
      const names = { persona: (await personaForChat(d, chatId)).name, character: (await d.characters.get(characterId))?.name };
      const { text, title } = await exportChatText(d.store, chatId, format, names);
      const stem = title.replace(/[^\p{L}\p{N} _.-]+/gu, '_').trim().slice(0, 80) || chatId;
      return { fileName: `${stem}${format === 'v1' ? '.cardshark' : ''}.jsonl`, mime: 'application/jsonl' as const, bytesBase64: Buffer.from(text).toString('base64') };
    },
  };
}

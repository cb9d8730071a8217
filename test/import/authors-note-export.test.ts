// The author's note travels with an exported chat (issue 18): SillyTavern keeps it in the header's
// chat_metadata (note_prompt, note_depth, note_role as 0/1/2), so export writes it there and an
// import reads it back; a v1 file carries it in its header's metadata.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportChat, importPath } from '../../electron/import/index.ts';
import { AUTHORS_NOTE_KEY, authorsNoteOf } from '../../electron/generation/prompt/authors-note.ts';
import { jsonl, tempDir, withStore, writeSource } from './helpers.ts';

const firstLine = (file: string) => JSON.parse(readFileSync(file, 'utf8').split('\n')[0]!) as Record<string, any>;

describe("the author's note on export and import", () => {
  it('a note set in the app is written to chat_metadata and comes back from the SillyTavern file and from a v1 file', async () => {
    const dir = tempDir();
    await withStore(async (store) => {
      const { chatId } = await store.createChat({ characterId: 'mira', title: 'Noted' });
      await store.appendMessages(chatId, [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }]);
      const note = { text: 'Rain falls on {{user}}.', depth: 2, role: 'user' as const };
      await store.updateChatMetadata(chatId, { [AUTHORS_NOTE_KEY]: note });

      const st = join(dir, 'noted.jsonl');
      await exportChat(store, chatId, 'st', st, { persona: 'Ann', character: 'Mira' });
      expect(firstLine(st).chat_metadata).toEqual({ note_prompt: 'Rain falls on {{user}}.', note_depth: 2, note_role: 1, note_position: 1, note_interval: 1 });
      const back = (await importPath(store, st)).chats[0]!;
      expect(back.status).toBe('created');
      expect(authorsNoteOf(await store.getChatMetadata(back.chatId))).toEqual(note);

      const v1 = join(dir, 'noted.v1.jsonl');
      await exportChat(store, chatId, 'v1', v1);
      expect(firstLine(v1).metadata[AUTHORS_NOTE_KEY]).toEqual(note);
      const viaV1 = (await importPath(store, v1)).chats[0]!;
      expect(authorsNoteOf(await store.getChatMetadata(viaV1.chatId))).toEqual(note);
    });
  });

  it("an imported SillyTavern chat keeps its own chat_metadata; a note changed in the app replaces only the note's text, depth and role", async () => {
    const dir = tempDir();
    const header = { user_name: 'Ann', character_name: 'Mira', create_date: '2024-10-18@20h52m30s', chat_metadata: { integrity: 'abc', note_prompt: 'old note', note_depth: 4, note_role: 0, note_position: 0, note_interval: 3, variables: { a: 1 } } };
    const src = writeSource(join(dir, 'in', 'Mira - chat.jsonl'), jsonl(header, { name: 'Ann', is_user: true, is_system: false, send_date: 1700000000000, mes: 'hi', extra: {} }));
    await withStore(async (store) => {
      const { chatId } = (await importPath(store, src)).chats[0]!;
      // Untouched: exported as it came in.
      const same = join(dir, 'same.jsonl');
      await exportChat(store, chatId, 'st', same);
      expect(firstLine(same).chat_metadata).toEqual(header.chat_metadata);

      await store.updateChatMetadata(chatId, { [AUTHORS_NOTE_KEY]: { text: 'new note', depth: 1, role: 'assistant' } });
      const changed = join(dir, 'changed.jsonl');
      await exportChat(store, chatId, 'st', changed);
      expect(firstLine(changed).chat_metadata).toEqual({ ...header.chat_metadata, note_prompt: 'new note', note_depth: 1, note_role: 2 });
      // A note emptied in the app is exported empty (not the imported one again).
      await store.updateChatMetadata(chatId, { [AUTHORS_NOTE_KEY]: { text: '', depth: 1, role: 'system' } });
      const emptied = join(dir, 'emptied.jsonl');
      await exportChat(store, chatId, 'st', emptied);
      expect(firstLine(emptied).chat_metadata).toMatchObject({ note_prompt: '', integrity: 'abc' });
    });
  });
});

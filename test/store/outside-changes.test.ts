// A chat file changed behind the store's back (an editor or sync tool saving over it, a delete):
// no write may be acknowledged into a file that the path no longer names.
import { execFileSync } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from './helpers.ts';

/** Another program saves the file the way editors do: a copy, then a rename over the original. */
function saveOverFromOutside(path: string, extraLine = ''): void {
  execFileSync('sh', ['-c', 'cp "$1" "$1.tmp" && printf %s "$2" >> "$1.tmp" && mv "$1.tmp" "$1"', 'sh', path, extraLine]);
}
function deleteFromOutside(path: string): void {
  execFileSync('rm', [path]);
}

async function chatWithFirst() {
  const dir = tempDir();
  const s = await openChatStore({ dataDir: dir });
  const { chatId } = await s.createChat({ characterId: 'c' });
  await s.appendMessage(chatId, { id: 'first', role: 'user', content: 'first' });
  return { dir, s, chatId, path: chatPath(dir, 'c', chatId) };
}

describe('the chat file is replaced or deleted while the store has it open', () => {
  it('an append after a rename over the file is refused with CONFLICT, nothing is lost, the next append lands in the new file', async () => {
    const { dir, s, chatId, path } = await chatWithFirst();
    saveOverFromOutside(path);
    const err = await s.appendMessage(chatId, { id: 'reply', role: 'assistant', content: 'ACKNOWLEDGED REPLY' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFLICT' });
    expect((err as Error).message).toMatch(/replaced.*outside the app/);
    expect((await readFile(path, 'utf8')).includes('ACKNOWLEDGED REPLY')).toBe(false);
    // The next call works on what is at the path now.
    await s.appendMessage(chatId, { id: 'reply', role: 'assistant', content: 'ACKNOWLEDGED REPLY' });
    expect((await s.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['first', 'ACKNOWLEDGED REPLY']);
    await s.close();
    const again = await openChatStore({ dataDir: dir });
    expect((await again.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['first', 'ACKNOWLEDGED REPLY']);
    await again.close();
  });

  it('edits, renames and deletes of messages are refused the same way after a replace', async () => {
    const { s, chatId, path } = await chatWithFirst();
    saveOverFromOutside(path);
    await expect(s.updateMessage(chatId, 'first', { content: 'edited' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await s.loadChat(chatId); // the log is open again
    saveOverFromOutside(path);
    await expect(s.renameChat(chatId, 'new title')).rejects.toMatchObject({ code: 'CONFLICT' });
    await s.loadChat(chatId);
    saveOverFromOutside(path);
    await expect(s.deleteMessage(chatId, 'first')).rejects.toMatchObject({ code: 'CONFLICT' });
    await s.deleteMessage(chatId, 'first');
    expect((await s.loadChat(chatId)).messages).toEqual([]);
    await s.close();
  });

  it('appends to a deleted file are refused with NOT_FOUND and the chat leaves the list', async () => {
    const { dir, s, chatId, path } = await chatWithFirst();
    deleteFromOutside(path);
    for (let i = 0; i < 3; i++) {
      const err = await s.appendMessage(chatId, { role: 'user', content: `reply ${i}` }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'NOT_FOUND' });
    }
    expect(await s.listChats('c')).toEqual([]);
    await expect(s.deleteChat(chatId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await s.close();
    const again = await openChatStore({ dataDir: dir });
    expect(await again.listChats('c')).toEqual([]);
    await again.close();
  });

  it('reads after an outside save show the file as it is now, not what memory held', async () => {
    const { s, chatId, path } = await chatWithFirst();
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['first']);
    saveOverFromOutside(path, `${JSON.stringify({ id: 'outside', role: 'user', content: 'added by a sync tool', timestamp: 5 })}\n`);
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['first', 'outside']);
    expect((await s.getChat(chatId)).messageCount).toBe(2);
    // Another program appending in place (same file, new size) is seen as well.
    await appendFile(path, `${JSON.stringify({ id: 'appended', role: 'user', content: 'x', timestamp: 6 })}\n`);
    expect((await s.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['first', 'outside', 'appended']);
    deleteFromOutside(path);
    await expect(s.loadChat(chatId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(s.deleteChat(chatId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await s.listChats('c')).toEqual([]);
    await s.close();
  });

  it('a chat deleted while its log is not open leaves the list instead of showing as unreadable', async () => {
    const { dir, s, chatId, path } = await chatWithFirst();
    await s.close();
    const again = await openChatStore({ dataDir: dir });
    deleteFromOutside(path);
    expect(await again.listChats('c')).toEqual([]);
    await expect(again.loadChat(chatId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await again.close();
  });
});

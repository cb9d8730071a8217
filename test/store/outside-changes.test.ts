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
  it('an append after a rename over the file is written to the new file (issue 17: it commutes), nothing is lost', async () => {
    const { dir, s, chatId, path } = await chatWithFirst();
    saveOverFromOutside(path, `${JSON.stringify({ id: 'theirs', role: 'user', content: 'from the other computer', timestamp: 1 })}\n`);
    await s.appendMessage(chatId, { id: 'reply', role: 'assistant', content: 'ACKNOWLEDGED REPLY' });
    expect((await readFile(path, 'utf8')).includes('ACKNOWLEDGED REPLY')).toBe(true);
    expect((await s.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['first', 'from the other computer', 'ACKNOWLEDGED REPLY']);
    await s.close();
    const again = await openChatStore({ dataDir: dir });
    expect((await again.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['first', 'from the other computer', 'ACKNOWLEDGED REPLY']);
    await again.close();
  });

  it('after a replace, edits and deletes of a message it left as it was, and a rename of a chat it left titled as it was, are written; a rename of a chat it renamed, or an edit of a message it changed, is refused (CONFLICT)', async () => {
    const { s, chatId, path } = await chatWithFirst();
    saveOverFromOutside(path);
    expect((await s.updateMessage(chatId, 'first', { content: 'edited' })).content).toBe('edited');
    await s.loadChat(chatId); // the log is open again
    saveOverFromOutside(path);
    expect((await s.renameChat(chatId, 'new title')).title).toBe('new title');
    expect((await s.getChat(chatId)).title).toBe('new title');
    await s.loadChat(chatId);
    saveOverFromOutside(path, `${JSON.stringify({ op: 'meta', timestamp: 3, title: 'their title' })}\n`);
    await expect(s.renameChat(chatId, 'my title')).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'changed_outside' } });
    expect((await s.getChat(chatId)).title).toBe('their title');
    await s.loadChat(chatId);
    saveOverFromOutside(path, `${JSON.stringify({ op: 'edit', id: 'first', timestamp: 2, content: 'edited there' })}\n`);
    await expect(s.updateMessage(chatId, 'first', { content: 'edited here' })).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'changed_outside' } });
    expect((await readFile(path, 'utf8')).includes('edited here')).toBe(false);
    expect((await s.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['edited there']);
    saveOverFromOutside(path);
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

// Chat metadata set after creation (the author's note lives there): meta records, newest value of
// each key wins, kept across a reopen and through compaction; a bad patch writes nothing.
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, sizeOf, tempDir } from './helpers.ts';

describe('updateChatMetadata', () => {
  it('merges keys over the header metadata, newest wins, across reopen and compaction', async () => {
    const dir = tempDir();
    let s = await openChatStore({ dataDir: dir });
    const chat = await s.createChat({ characterId: 'sera', title: 't', metadata: { kept: 1, note: 'header' } });
    await s.appendMessage(chat.chatId, { role: 'user', content: 'hi' });
    await s.updateChatMetadata(chat.chatId, { note: 'first' });
    await s.appendMessage(chat.chatId, { role: 'user', content: 'again' });
    const summary = await s.updateChatMetadata(chat.chatId, { note: { text: 'second', depth: 2 } });
    expect(summary.revision).toBeGreaterThan(chat.revision);
    expect(summary.messageCount).toBe(2);
    const want = { kept: 1, note: { text: 'second', depth: 2 } };
    expect(await s.getChatMetadata(chat.chatId)).toEqual(want);
    await s.close();

    s = await openChatStore({ dataDir: dir });
    expect(await s.getChatMetadata(chat.chatId)).toEqual(want); // read back from the file, newest record wins
    await s.compactChat(chat.chatId);
    expect(await s.getChatMetadata(chat.chatId)).toEqual(want);
    await s.close();
    s = await openChatStore({ dataDir: dir });
    expect(await s.getChatMetadata(chat.chatId)).toEqual(want); // folded into the header
    expect((await s.loadChat(chat.chatId)).messages.map((m) => m.content)).toEqual(['hi', 'again']);
    await s.close();
  });

  it('a bad or empty patch, or a stale revision, is a typed error and writes nothing', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const chat = await s.createChat({ characterId: 'sera', title: 't' });
    const file = chatPath(dir, 'sera', chat.chatId);
    const before = await sizeOf(file);
    await expect(s.updateChatMetadata(chat.chatId, {})).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(s.updateChatMetadata(chat.chatId, { big: 'x'.repeat(70_000) })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(s.updateChatMetadata(chat.chatId, { f: (() => 1) as unknown })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(s.updateChatMetadata(chat.chatId, { a: 1 }, { expectedRevision: chat.revision + 1 })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await sizeOf(file)).toBe(before);
    expect(await s.getChatMetadata(chat.chatId)).toEqual({});
    await s.close();
  });
});

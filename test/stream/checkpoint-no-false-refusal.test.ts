// A streamed reply's checkpoint is made only onto its message as last stored (expectedMessage):
// the app's own rewrites and another program's commuting appends must never refuse it (a false
// refusal ends the stream in error and makes a conflict copy). Swipe and continue modes too.
import { appendFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from '../store/helpers.ts';

async function fresh() {
  const dataDir = tempDir();
  const store = await openChatStore({ dataDir });
  const chat = await store.createChat({ characterId: 'ch' });
  return { dataDir, store, chatId: chat.chatId, file: chatPath(dataDir, 'ch', chat.chatId) };
}

describe('expectedMessage: no false refusal', () => {
  it('swipe mode + compaction', async () => {
    const { store, chatId } = await fresh();
    await store.appendMessage(chatId, { id: 'a1', role: 'assistant', content: 'Hello', name: 'Bot' });
    let s = await store.updateMessage(chatId, 'a1', { addSwipe: 'Hi', status: 'streaming' });
    s = await store.appendText(chatId, 'a1', ' there', 'streaming', { expectedMessage: s });
    await store.compactChat(chatId);
    s = await store.appendText(chatId, 'a1', '!', 'streaming', { expectedMessage: s });
    await store.compactChat(chatId);
    s = await store.updateMessage(chatId, 'a1', { status: 'complete' }, { expectedMessage: s });
    expect(s.content).toBe('Hi there!');
    await store.close();
  });
  it('continue mode + compaction', async () => {
    const { store, chatId } = await fresh();
    await store.appendMessage(chatId, { id: 'a1', role: 'assistant', content: 'Once', name: 'Bot', extra: { k: 1 } as never });
    let s = await store.appendText(chatId, 'a1', ' upon', 'streaming');
    await store.compactChat(chatId);
    s = await store.appendText(chatId, 'a1', ' a', 'streaming', { expectedMessage: s });
    await store.compactChat(chatId);
    s = await store.appendText(chatId, 'a1', ' time', 'complete', { expectedMessage: s });
    expect(s.content).toBe('Once upon a time');
    await store.close();
  });
  it('new mode, another program appends a message (commutes), chat re-read', async () => {
    const { store, chatId, file } = await fresh();
    let s = await store.appendMessage(chatId, { id: 'r1', role: 'assistant', content: 'Once', status: 'streaming', name: 'Bot' });
    s = await store.appendText(chatId, 'r1', ' upon', 'streaming', { expectedMessage: s });
    await appendFile(file, `${JSON.stringify({ id: 'x1', role: 'user', content: 'hey', timestamp: Date.now() })}\n`);
    await store.loadChat(chatId);
    s = await store.appendText(chatId, 'r1', ' a', 'streaming', { expectedMessage: s });
    await appendFile(file, `${JSON.stringify({ id: 'x2', role: 'user', content: 'hey2', timestamp: Date.now() })}\n`);
    s = await store.appendText(chatId, 'r1', ' time', 'complete', { expectedMessage: s });
    expect(s.content).toBe('Once upon a time');
    await store.close();
  });
  it('swipe mode on a message with an edit, reopen between', async () => {
    const { store, chatId } = await fresh();
    await store.appendMessage(chatId, { id: 'a1', role: 'assistant', content: 'Hello' });
    await store.updateMessage(chatId, 'a1', { content: 'Hello edited', hidden: true });
    let s = await store.updateMessage(chatId, 'a1', { addSwipe: 'Hi', status: 'streaming' });
    await store.compactChat(chatId);
    s = await store.appendText(chatId, 'a1', ' there', 'streaming', { expectedMessage: s });
    await store.compactChat(chatId);
    s = await store.updateMessage(chatId, 'a1', { status: 'complete' }, { expectedMessage: s });
    expect(s.content).toBe('Hi there');
    await store.close();
  });
});

describe('expectedMessage: a sync conflict copy merged mid-reply', () => {
  it('the merge (the app rewriting the chat with the copy\'s other messages) does not refuse the next checkpoint', async () => {
    const { store, chatId, file } = await fresh();
    await store.appendMessage(chatId, { id: 'u1', role: 'user', content: 'hi' });
    let s = await store.appendMessage(chatId, { id: 'r1', role: 'assistant', content: 'Once', status: 'streaming', name: 'Bot' });
    s = await store.appendText(chatId, 'r1', ' upon', 'streaming', { expectedMessage: s });
    // The other computer's version: the chat as synced after the first checkpoint, plus a message of its own.
    const { readFile, writeFile } = await import('node:fs/promises');
    const theirs = (await readFile(file, 'utf8')) + `${JSON.stringify({ id: 'o1', role: 'user', content: 'from the other computer', timestamp: Date.now() })}\n`;
    s = await store.appendText(chatId, 'r1', ' a', 'streaming', { expectedMessage: s });
    const copy = file.replace(/\.jsonl$/, '.sync-conflict-20260101-000000-ABCDEFG.jsonl');
    await writeFile(copy, theirs);
    const found = await store.discoverChat(copy);
    expect(found.kind).toBe('merged');
    s = await store.appendText(chatId, 'r1', ' time', 'complete', { expectedMessage: s });
    expect(s.content).toBe('Once upon a time');
    expect((await store.loadChat(chatId)).messages.map((m) => m.id).sort()).toEqual(['o1', 'r1', 'u1']);
    await store.close();
  });
});

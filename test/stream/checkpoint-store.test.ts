// The store side of checkpointed streams and batch writes: append_text (folded by compaction),
// a dead session's `streaming` read as `interrupted`, swipes generated in place, appendMessages
// as one all-or-nothing write.
import { appendFile, readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore, readFullState, nodeFs, type FsSeam } from '../../electron/store/index.ts';
import { chatPath, faultySeam, sizeOf, tempDir } from '../store/helpers.ts';

async function fresh(fs?: FsSeam) {
  const dataDir = tempDir();
  const store = await openChatStore({ dataDir, ...(fs ? { fs } : {}) });
  const chat = await store.createChat({ characterId: 'ch' });
  return { dataDir, store, chatId: chat.chatId, file: chatPath(dataDir, 'ch', chat.chatId) };
}

describe('append_text checkpoints', () => {
  it('appends only the new text; compaction folds it into one message line', async () => {
    const { store, chatId, file, dataDir } = await fresh();
    const m = await store.appendMessage(chatId, { id: 'r1', role: 'assistant', content: 'Once', status: 'streaming' });
    expect(m.status).toBe('streaming'); // live in this session
    const before = await sizeOf(file);
    await store.appendText(chatId, 'r1', ' upon a "time"', 'streaming');
    const after = await sizeOf(file);
    // The line holds the new text and the op's few fields, not the whole reply.
    expect(after - before).toBeLessThan(' upon a \\"time\\"'.length + 100);
    const done = await store.appendText(chatId, 'r1', '.', 'complete');
    expect(done).toMatchObject({ content: 'Once upon a "time".', status: 'complete' });
    expect((await readFile(file, 'utf8')).split('\n').filter((l) => l.startsWith('{"op":"append_text"'))).toHaveLength(2);
    await store.compactChat(chatId);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('append_text');
    const state = readFullState(Buffer.from(text));
    if ('error' in state) throw new Error(state.error);
    expect(state.messages[0]).toMatchObject({ id: 'r1', content: 'Once upon a "time".', status: 'complete' });
    await store.close();
    const again = await openChatStore({ dataDir });
    expect((await again.loadChat(chatId)).messages[0]).toMatchObject({ content: 'Once upon a "time".', status: 'complete' });
    await again.close();
  });

  it('a reply left streaming by an earlier session loads as interrupted, with every checkpoint', async () => {
    const { store, chatId, dataDir } = await fresh();
    await store.appendMessage(chatId, { id: 'r1', role: 'assistant', content: 'a', status: 'streaming' });
    await store.appendText(chatId, 'r1', 'b');
    expect((await store.loadChat(chatId)).messages[0]!.status).toBe('streaming');
    await store.close(); // as if the process died: no final status was written
    const next = await openChatStore({ dataDir });
    const m = (await next.loadChat(chatId)).messages[0]!;
    expect(m).toMatchObject({ content: 'ab', status: 'interrupted' });
    // Continuing it makes it live again in this session.
    expect((await next.appendText(chatId, 'r1', 'c', 'streaming')).status).toBe('streaming');
    expect((await next.appendText(chatId, 'r1', 'd', 'complete')).status).toBe('complete');
    await next.close();
  });

  it('a swipe being generated: swipe_add with status streaming, then text appended to that swipe only', async () => {
    const { store, chatId, dataDir } = await fresh();
    await store.appendMessage(chatId, { id: 'r1', role: 'assistant', content: 'first', status: 'complete' });
    const s = await store.updateMessage(chatId, 'r1', { addSwipe: 'sec', status: 'streaming' });
    expect(s).toMatchObject({ swipes: ['first', 'sec'], swipe_id: 1, status: 'streaming' });
    await store.appendText(chatId, 'r1', 'ond');
    await store.close();
    const next = await openChatStore({ dataDir });
    expect((await next.loadChat(chatId)).messages[0]).toMatchObject({ swipes: ['first', 'second'], swipe_id: 1, content: 'second', status: 'interrupted' });
    await next.close();
  });

  it('refuses text that would make a message too long, before writing', async () => {
    const { store, chatId, file } = await fresh();
    await store.appendMessage(chatId, { id: 'r1', role: 'assistant', content: 'x'.repeat(999_999) });
    const size = await sizeOf(file);
    await expect(store.appendText(chatId, 'r1', 'yy')).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await sizeOf(file)).toBe(size);
    await store.close();
  });

  it('with expectedMessage, only onto the message as the caller left it, even after a read took in another program\'s change to it', async () => {
    const { store, chatId, file } = await fresh();
    const first = await store.appendMessage(chatId, { id: 'r1', role: 'assistant', content: 'Once', status: 'streaming' });
    const second = await store.appendText(chatId, 'r1', ' upon', 'streaming', { expectedMessage: first });
    expect(second.content).toBe('Once upon');
    // Another program edits the reply; a read meets the changed file and reads the chat anew.
    await appendFile(file, `${JSON.stringify({ op: 'edit', id: 'r1', timestamp: Date.now(), content: 'theirs' })}\n`);
    expect((await store.loadChat(chatId)).messages[0]!.content).toBe('theirs');
    const size = await sizeOf(file);
    await expect(store.appendText(chatId, 'r1', ' a time', 'complete', { expectedMessage: second })).rejects.toMatchObject({ code: 'CONFLICT', details: { reason: 'message_changed' } });
    await expect(store.updateMessage(chatId, 'r1', { status: 'complete' }, { expectedMessage: second })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.deleteMessage(chatId, 'r1', { expectedMessage: second })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await sizeOf(file)).toBe(size); // nothing written over their change
    expect((await store.loadChat(chatId)).messages[0]!.content).toBe('theirs');
    // The message as it reads now is what a caller may write onto.
    const now = (await store.loadChat(chatId)).messages[0]!;
    expect((await store.appendText(chatId, 'r1', '!', undefined, { expectedMessage: now })).content).toBe('theirs!');
    await store.close();
  });

  it('with expectedMessage, the app\'s own rewrites between two checkpoints (compaction) do not stop the reply', async () => {
    const { store, chatId } = await fresh();
    let stored = await store.appendMessage(chatId, { id: 'r1', role: 'assistant', content: 'Once', status: 'streaming' });
    stored = await store.appendText(chatId, 'r1', ' upon', 'streaming', { expectedMessage: stored });
    await store.compactChat(chatId);
    stored = await store.appendText(chatId, 'r1', ' a time', 'streaming', { expectedMessage: stored });
    await store.compactChat(chatId);
    await store.close();
    const again = await openChatStore({ dataDir: store.dataDir });
    // A later session (the same reply's message as this one reads it) writes on after the reopen too.
    const now = (await again.loadChat(chatId)).messages[0]!;
    expect((await again.updateMessage(chatId, 'r1', { status: 'complete' }, { expectedMessage: now })).content).toBe('Once upon a time');
    await again.close();
  });
});

describe('appendMessages', () => {
  function countingSeam() {
    let syncs = 0;
    const seam: FsSeam = {
      ...nodeFs,
      open: (async (...args: Parameters<FsSeam['open']>) => {
        const fh = await nodeFs.open(...args);
        const real = fh.datasync.bind(fh);
        fh.datasync = async () => {
          syncs++;
          return real();
        };
        return fh;
      }) as FsSeam['open'],
    };
    return { seam, syncs: () => syncs };
  }

  it('stores a batch with one fdatasync, in order', async () => {
    const { seam, syncs } = countingSeam();
    const { store, chatId } = await fresh(seam);
    const before = syncs();
    const out = await store.appendMessages(chatId, Array.from({ length: 100 }, (_, i) => ({ id: `m${i}`, role: i % 2 ? ('assistant' as const) : ('user' as const), content: `message ${i}` })));
    expect(syncs() - before).toBe(1);
    expect(out.map((m) => m.id)).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    const page = await store.loadChat(chatId, { limit: 1000 });
    expect(page.messages.map((m) => m.content)).toEqual(out.map((m) => m.content));
    await store.close();
  });

  it('all or nothing: one invalid message, a reused id or a duplicate id writes nothing', async () => {
    const { store, chatId, file } = await fresh();
    await store.appendMessage(chatId, { id: 'used', role: 'user', content: 'hi' });
    const size = await sizeOf(file);
    const good = { role: 'user' as const, content: 'ok' };
    await expect(store.appendMessages(chatId, [good, { role: 'robot', content: 'x' } as never])).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('messages.1') });
    await expect(store.appendMessages(chatId, [good, { id: 'used', role: 'user', content: 'again' }])).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.appendMessages(chatId, [{ id: 'd', ...good }, { id: 'd', ...good }])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(store.appendMessages(chatId, [])).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await sizeOf(file)).toBe(size);
    expect((await store.loadChat(chatId)).messages).toHaveLength(1);
    await store.close();
  });

  it('refuses a batch over 32 MiB as a whole, before writing', async () => {
    const { store, chatId, file } = await fresh();
    const size = await sizeOf(file);
    const big = '€'.repeat(1_000_000); // 3 MB per message
    await expect(store.appendMessages(chatId, Array.from({ length: 12 }, () => ({ role: 'user' as const, content: big })))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await sizeOf(file)).toBe(size);
    await store.close();
  });

  it('a full disk mid-batch acknowledges none of it and leaves no partial line', async () => {
    const { seam, faults } = faultySeam();
    const { store, chatId, file, dataDir } = await fresh(seam);
    const size = await sizeOf(file);
    faults.write = { code: 'ENOSPC', afterBytes: 40 };
    await expect(store.appendMessages(chatId, [{ role: 'user', content: 'a'.repeat(100) }, { role: 'user', content: 'b' }])).rejects.toMatchObject({ code: 'DISK_FULL' });
    delete faults.write;
    expect(await sizeOf(file)).toBe(size);
    await store.close();
    const again = await openChatStore({ dataDir });
    const page = await again.loadChat(chatId);
    expect(page.messages).toEqual([]);
    expect(page.warnings).toEqual([]);
    await again.close();
  });
});

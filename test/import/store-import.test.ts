// store.importChat: one atomic write of a whole chat, every message validated first, all or nothing.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { readFullState } from '../../electron/store/compaction.ts';
import { chatPath, faultySeam, tempDir } from '../store/helpers.ts';

const msgs = [
  { id: 'a', role: 'user', content: 'hi', timestamp: 1000, extra: { k: 1 } },
  { id: 'b', role: 'assistant', content: 'two', timestamp: 2000, name: 'Aria', swipes: ['one', 'two'], swipe_id: 1, status: 'complete' },
];
const chatId = '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11';

describe('store.importChat', () => {
  it('writes header and messages in one file that loads, lists and survives a reopen', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const summary = await s.importChat({ chatId, characterId: 'aria', title: 'Imported', metadata: { import: { sha256: 'x' } }, created: 500, messages: msgs });
    expect(summary).toMatchObject({ chatId, characterId: 'aria', title: 'Imported', messageCount: 2, created: 500, updated: 2000, preview: 'two', status: 'ok' });
    const page = await s.loadChat(chatId);
    expect(page.warnings).toEqual([]);
    expect(page.messages).toEqual(msgs);
    // New messages append after the imported ones as usual.
    await s.appendMessage(chatId, { id: 'c', role: 'user', content: 'after' });
    await s.close();
    const text = readFileSync(chatPath(dir, 'aria', chatId), 'utf8');
    expect(text.split('\n')[1]!.startsWith('{"id":"a",')).toBe(true); // id first: the store's prefix index
    const s2 = await openChatStore({ dataDir: dir });
    const again = await s2.getChat(chatId);
    // The append moved what the append changes (size, count, preview, time, revision: which only grows).
    expect(again.revision).toBeGreaterThan(summary.revision);
    expect({ ...again, updated: 0, sizeBytes: 0, messageCount: 0, preview: null, revision: 0 }).toEqual({ ...summary, updated: 0, sizeBytes: 0, messageCount: 0, preview: null, revision: 0 });
    expect((await s2.loadChat(chatId)).messages.map((m) => m.id)).toEqual(['a', 'b', 'c']);
    await s2.close();
  });

  it('a chat of several MiB (multi-byte text across the 4 MiB write chunks) reads back byte for byte', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const big = Array.from({ length: 7 }, (_, i) => ({ id: `m${i}`, role: 'assistant', content: `${i}é🙂`.repeat(150_000 + i * 7), timestamp: i }));
    await s.importChat({ chatId, characterId: 'aria', title: 'Big', created: 0, messages: big });
    await s.close();
    const state = readFullState(readFileSync(chatPath(dir, 'aria', chatId)));
    expect('error' in state ? state.error : state.messages).toEqual(big);
  });

  it('the summary it returns is what getChat computes', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const summary = await s.importChat({ characterId: 'aria', title: 'T', created: 500, messages: msgs });
    await s.close();
    const s2 = await openChatStore({ dataDir: dir });
    expect(await s2.getChat(summary.chatId)).toEqual(summary);
    await s2.close();
  });

  it('refuses a bad message with INVALID_INPUT naming its index, and writes nothing', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const bad = [
      [...msgs, { id: 'bad id', role: 'user', content: 'x', timestamp: 1 }],
      [...msgs, { id: 'a', role: 'user', content: 'dup', timestamp: 1 }],
      [{ ...msgs[1], swipe_id: 5 }],
      [{ ...msgs[1], content: 'not the selected swipe' }],
      [{ id: 'x', role: 'narrator', content: '', timestamp: 1 }],
      [{ op: 'edit', id: 'a', role: 'user', content: '', timestamp: 1 }],
    ];
    for (const messages of bad) {
      const err = await s.importChat({ chatId, characterId: 'aria', title: 'T', created: 1, messages }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'INVALID_INPUT', details: { index: messages.length - 1 } });
    }
    await expect(s.importChat({ characterId: '../x', title: 'T', created: 1, messages: [] })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(s.importChat({ characterId: 'aria', title: 'T', created: 1, messages: [{ id: 'h', role: 'user', content: 'x', timestamp: 1, extra: { big: 'y'.repeat(250_000) }, swipes: Array(20).fill('z'.repeat(300_000)).concat(['x']), swipe_id: 20 }] })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(existsSync(join(dir, 'chats', 'aria'))).toBe(false);
    await expect(s.getChat(chatId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await s.close();
  });

  it('an existing chat id is a CONFLICT and the file is left as it was', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    await s.importChat({ chatId, characterId: 'aria', title: 'First', created: 1, messages: msgs });
    const before = readFileSync(chatPath(dir, 'aria', chatId));
    await expect(s.importChat({ chatId, characterId: 'bob', title: 'Second', created: 1, messages: [] })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(readFileSync(chatPath(dir, 'aria', chatId)).equals(before)).toBe(true);
    expect(existsSync(join(dir, 'chats', 'bob', `${chatId}.jsonl`))).toBe(false);
    await s.close();
  });

  it('a full disk during the write leaves no chat and no partial file', async () => {
    const dir = tempDir();
    const { seam, faults } = faultySeam();
    const s = await openChatStore({ dataDir: dir, fs: seam });
    faults.writeFileAtomic = 'ENOSPC';
    await expect(s.importChat({ chatId, characterId: 'aria', title: 'T', created: 1, messages: msgs })).rejects.toMatchObject({ code: 'DISK_FULL' });
    expect(existsSync(join(dir, 'chats', 'aria')) ? readdirSync(join(dir, 'chats', 'aria')) : []).toEqual([]);
    await expect(s.getChat(chatId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    faults.writeFileAtomic = undefined;
    await s.importChat({ chatId, characterId: 'aria', title: 'T', created: 1, messages: msgs });
    const state = readFullState(readFileSync(chatPath(dir, 'aria', chatId)));
    expect('error' in state ? state.error : state.messages.length).toBe(2);
    await s.close();
  });
});

// Edge cases found in review: hand-merged files, foreign key orders, oversize input, races.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore, readFullState, type ChatStore } from '../../electron/store/index.ts';
import type { Message } from '../../shared/chat-format.ts';
import { chatPath, tempDir } from './helpers.ts';

async function emptyChat() {
  const dir = tempDir();
  const s = await openChatStore({ dataDir: dir });
  const { chatId } = await s.createChat({ characterId: 'c' });
  await s.close();
  return { dir, chatId, path: chatPath(dir, 'c', chatId) };
}
const line = (o: object) => `${JSON.stringify(o)}\n`;
const msg = (id: string, content: string, timestamp = 1) => line({ id, role: 'user', content, timestamp });

async function allPaged(s: ChatStore, chatId: string, limit: number): Promise<Message[]> {
  const out: Message[] = [];
  let page = await s.loadChat(chatId, { limit });
  out.unshift(...page.messages);
  while (page.hasMore) {
    page = await s.loadChat(chatId, { limit, before: out[0]!.id });
    out.unshift(...page.messages);
  }
  return out;
}

async function expectAgreesWithFullParse(dir: string, chatId: string, path: string, limit = 3) {
  const full = readFullState(await readFile(path));
  if ('error' in full) throw new Error(full.error);
  const s = await openChatStore({ dataDir: dir });
  try {
    const paged = await allPaged(s, chatId, limit);
    expect(paged.map((m) => [m.id, m.content])).toEqual(full.messages.map((m) => [m.id, m.content]));
    return paged;
  } finally {
    await s.close();
  }
}

describe('hand-merged and foreign files', () => {
  it('a second first appearance across index blocks replaces the message, in its place, once', async () => {
    const { dir, chatId, path } = await emptyChat();
    await appendFile(path, msg('X', 'x') + msg('M1', 'm1') + msg('F', 'f'.repeat(300_000)) + msg('M1', 'm1 merged', 4) + msg('Y', 'y'));
    const paged = await expectAgreesWithFullParse(dir, chatId, path);
    expect(paged.map((m) => [m.id, m.content.slice(0, 9)])).toEqual([['X', 'x'], ['F', 'fffffffff'], ['M1', 'm1 merged'], ['Y', 'y']]);
    // Paging one at a time, each page a separate backward step, reaches every message.
    for (const limit of [1, 2]) expect((await expectAgreesWithFullParse(dir, chatId, path, limit)).map((m) => m.id)).toEqual(['X', 'F', 'M1', 'Y']);
  });

  it('changes older than a replacement, or before any first appearance, are superseded', async () => {
    const { dir, chatId, path } = await emptyChat();
    await appendFile(
      path,
      line({ op: 'edit', id: 'A', timestamp: 1, content: 'ghost' }) +
        msg('A', 'real') +
        line({ op: 'edit', id: 'A', timestamp: 2, content: 'edited before replace' }) +
        msg('A', 'replaced', 3) +
        line({ op: 'swipe_add', id: 'A', timestamp: 4, content: 'after' }),
    );
    const paged = await expectAgreesWithFullParse(dir, chatId, path);
    expect(paged[0]).toMatchObject({ id: 'A', content: 'after', swipes: ['replaced', 'after'] });
  });

  it('honours another tool\'s key order, and validates deletes before hiding anything', async () => {
    const { dir, chatId, path } = await emptyChat();
    await appendFile(
      path,
      msg('a', 'deleted by an id-first tombstone') +
        msg('b', 'kept: its delete line is invalid') +
        line({ id: 'a', op: 'delete', timestamp: 2 }) +
        line({ op: 'delete', id: 'b', timestamp: 'garbage' }) +
        line({ role: 'user', timestamp: 3, content: 'keys in another order', id: 'c' }),
    );
    const s = await openChatStore({ dataDir: dir });
    const page = await s.loadChat(chatId);
    expect(page.messages.map((m) => m.id)).toEqual(['b', 'c']);
    expect(page.warnings).toHaveLength(1);
    expect(page.warnings[0]!.kind).toBe('quarantined_line');
    await s.close();
    await expectAgreesWithFullParse(dir, chatId, path);
  });

  it('indexes a line far longer than an index block', async () => {
    const { dir, chatId, path } = await emptyChat();
    // Valid, though larger than the store would ever write itself: 20 swipes of 1M characters.
    const swipe = 'h'.repeat(1_000_000);
    await appendFile(path, msg('a', 'a') + line({ id: 'huge', role: 'assistant', content: swipe, timestamp: 1, swipes: Array(20).fill(swipe), swipe_id: 0 }) + msg('b', 'b'));
    const s = await openChatStore({ dataDir: dir });
    expect((await s.loadChat(chatId, { limit: 1 })).messages[0]!.id).toBe('b');
    expect((await s.getChat(chatId)).messageCount).toBe(3);
    expect((await s.loadChat(chatId, { limit: 1, before: 'b' })).messages[0]!.swipes).toHaveLength(20);
    expect((await s.loadChat(chatId)).warnings).toEqual([]);
    await s.close();
  });

  it('appending to a file whose last line lacks a newline keeps every call working', async () => {
    const { dir, chatId, path } = await emptyChat();
    await appendFile(path, `${msg('a', 'a')}${msg('b', 'b').trimEnd()}`);
    const s = await openChatStore({ dataDir: dir });
    await s.renameChat(chatId, 'renamed without a scan first');
    await s.appendMessage(chatId, { role: 'user', content: 'c' });
    expect((await s.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['a', 'b', 'c']);
    expect((await s.listChats('c'))[0]).toMatchObject({ title: 'renamed without a scan first', messageCount: 3 });
    await s.close();
  });
});

describe('input that would make a chat unloadable is refused', () => {
  it('a message over the record limit, by swipes or by one call', async () => {
    const { dir, chatId, path } = await emptyChat();
    const s = await openChatStore({ dataDir: dir });
    const big = 'x'.repeat(700_000);
    await expect(s.appendMessage(chatId, { role: 'assistant', content: big, swipes: Array(6).fill(big) })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await s.appendMessage(chatId, { id: 'm', role: 'assistant', content: big });
    for (let i = 0; i < 3; i++) await s.updateMessage(chatId, 'm', { addSwipe: big });
    const before = await readFile(path);
    await expect(s.updateMessage(chatId, 'm', { addSwipe: big })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await readFile(path)).toEqual(before);
    await s.compactChat(chatId);
    expect((await s.loadChat(chatId)).messages[0]!.swipes).toHaveLength(4);
    await s.close();
  });

  it('extra that only grows too large when merged', async () => {
    const { dir, chatId } = await emptyChat();
    const s = await openChatStore({ dataDir: dir });
    await s.appendMessage(chatId, { id: 'm', role: 'user', content: 'x' });
    await s.updateMessage(chatId, 'm', { extra: { a: 'a'.repeat(200_000) } });
    await expect(s.updateMessage(chatId, 'm', { extra: { b: 'b'.repeat(200_000) } })).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await s.compactChat(chatId);
    expect((await s.loadChat(chatId)).messages).toHaveLength(1);
    await s.close();
  });

  it('chat metadata too large for a header', async () => {
    const s = await openChatStore({ dataDir: tempDir() });
    await expect(s.createChat({ characterId: 'c', metadata: { blob: 'x'.repeat(2_000_000) } })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await s.listChats('c')).toEqual([]);
    await s.close();
  });
});

describe('lifecycle', () => {
  it('close releases the lock even when a chat fails during close', async () => {
    const { dir, chatId, path } = await emptyChat();
    await appendFile(path, msg('m0', 'x'.repeat(100)) + msg('m1', 'x'.repeat(100)));
    const s = await openChatStore({ dataDir: dir, compactMinBytes: 0 });
    await s.appendMessage(chatId, { id: 'new', role: 'user', content: 'n' }); // indexes all, reads no older message
    await s.deleteMessage(chatId, 'new');
    await writeFile(path, (await readFile(path)).subarray(0, 200)); // shrunk by another tool
    await s.close();
    const again = await openChatStore({ dataDir: dir });
    await again.close();
  });

  it('a listing racing a chat deletion lists the others', async () => {
    const s = await openChatStore({ dataDir: tempDir() });
    const ids = await Promise.all(Array.from({ length: 5 }, () => s.createChat({ characterId: 'c' })));
    // Depending on timing the deleted chat is listed (it still existed) or not; the others always are.
    const [list] = await Promise.all([s.listChats('c'), s.deleteChat(ids[2]!.chatId)]);
    const others = ids.filter((_, i) => i !== 2).map((c) => c.chatId);
    expect(list.map((c) => c.chatId).filter((id) => id !== ids[2]!.chatId).sort()).toEqual(others.sort());
    expect(list.every((c) => c.status === 'ok')).toBe(true);
    await s.close();
  });

  it('hands out copies: mutating a returned message changes nothing stored', async () => {
    const s = await openChatStore({ dataDir: tempDir() });
    const { chatId } = await s.createChat({ characterId: 'c' });
    const m = await s.appendMessage(chatId, { id: 'm', role: 'user', content: 'original', extra: { k: 1 } });
    m.content = 'mutated';
    (await s.loadChat(chatId)).messages[0]!.extra!.k = 2;
    expect((await s.loadChat(chatId)).messages[0]).toMatchObject({ content: 'original', extra: { k: 1 } });
    await s.close();
  });

  it('keeps at most a bounded number of chats open', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const ids: string[] = [];
    for (let i = 0; i < 80; i++) {
      const { chatId } = await s.createChat({ characterId: 'c' });
      await s.appendMessage(chatId, { role: 'user', content: `chat ${i}` });
      ids.push(chatId);
    }
    const { readdir } = await import('node:fs/promises');
    const fds = (await readdir('/proc/self/fd')).length;
    expect(fds).toBeLessThan(80 * 2);
    for (const [i, id] of ids.entries()) expect((await s.loadChat(id)).messages[0]!.content).toBe(`chat ${i}`);
    await s.close();
  });
});

describe('random workloads: paged loads always agree with a full parse', () => {
  it.each([1, 2, 3])('seed %i', async (seed0) => {
    let seed = seed0;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const dir = tempDir();
    let s = await openChatStore({ dataDir: dir, compactMinBytes: 1e12 });
    const { chatId } = await s.createChat({ characterId: 'c' });
    const path = chatPath(dir, 'c', chatId);
    const ids: string[] = [];
    const pick = () => ids[Math.floor(rnd() * ids.length)]!;
    for (let step = 0; step < 150; step++) {
      const r = rnd();
      const text = 'w'.repeat(rnd() < 0.1 ? 100_000 + Math.floor(rnd() * 200_000) : Math.floor(rnd() * 40));
      const ok = (p: Promise<unknown>) => p.catch((e: { code?: string }) => expect(e.code).toBe('NOT_FOUND'));
      if (r < 0.4 || ids.length === 0) {
        ids.push(`m${step}`);
        await s.appendMessage(chatId, { id: `m${step}`, role: 'assistant', content: text });
      } else if (r < 0.55) await ok(s.updateMessage(chatId, pick(), { content: text }));
      else if (r < 0.62) await ok(s.updateMessage(chatId, pick(), { addSwipe: `s${step}` }));
      else if (r < 0.7) await ok(s.deleteMessage(chatId, pick()));
      else if (r < 0.75) await s.compactChat(chatId);
      else if (r < 0.85) {
        await s.close();
        s = await openChatStore({ dataDir: dir, compactMinBytes: 1e12 });
      } else {
        const full = readFullState(await readFile(path));
        if ('error' in full) throw new Error(full.error);
        const paged = await allPaged(s, chatId, 1 + Math.floor(rnd() * 7));
        expect(paged.map((m) => ({ ...m, edited: 0 }))).toEqual(full.messages.map((m) => ({ ...m, edited: 0 })));
      }
    }
    await s.close();
  });
});

describe('second review', () => {
  it('a compacted chat with many deletions is not rewritten again on every close', async () => {
    const { dir, chatId, path } = await emptyChat();
    const { stat } = await import('node:fs/promises');
    let s = await openChatStore({ dataDir: dir, compactMinBytes: 0 });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await s.appendMessage(chatId, { role: 'user', content: 'y'.repeat(400) })).id);
    for (const id of ids.slice(0, 50)) await s.deleteMessage(chatId, id);
    await s.close(); // most lines are superseded: compacted, tombstones kept
    const ino = (await stat(path)).ino;
    for (let round = 0; round < 3; round++) {
      s = await openChatStore({ dataDir: dir, compactMinBytes: 0 });
      expect((await s.getChat(chatId)).messageCount).toBe(10);
      await s.close();
    }
    expect((await stat(path)).ino).toBe(ino);
  });

  it('what only memory knows survives the closing of idle chats: updated times and repair warnings', async () => {
    const dir = tempDir();
    let t = 1_000_000;
    let s = await openChatStore({ dataDir: dir, now: () => (t += 1000) });
    const chats: string[] = [];
    for (let i = 0; i < 70; i++) {
      const { chatId } = await s.createChat({ characterId: 'c', title: `c${i}` });
      await s.appendMessage(chatId, { role: 'user', content: 'hi', timestamp: t });
      chats.push(chatId);
    }
    await s.renameChat(chats[0]!, 'renamed');
    expect((await s.listChats('c'))[0]!.title).toBe('renamed');
    expect((await s.listChats('c'))[0]!.title).toBe('renamed'); // after the first listing closed it
    await s.close();
    for (const c of chats) await appendFile(chatPath(dir, 'c', c), '{"id":"torn","role":"us');
    s = await openChatStore({ dataDir: dir });
    await s.listChats('c'); // repairs every torn tail, and closes most chats again
    for (const c of chats) expect((await s.loadChat(c)).warnings.map((w) => w.kind)).toEqual(['torn_tail']);
    await s.close();
  });

  it('changes that named an id before it existed do not touch a message appended later with it', async () => {
    const { dir, chatId, path } = await emptyChat();
    await appendFile(path, line({ op: 'edit', id: 'x', timestamp: 2, content: 'ORPHAN EDIT' }) + Array.from({ length: 2100 }, (_, i) => msg(`m${i}`, `m${i}`)).join(''));
    const s = await openChatStore({ dataDir: dir });
    await s.appendMessage(chatId, { id: 'x', role: 'user', content: 'fresh' });
    let before: string | undefined = 'x';
    for (let k = 0; k < 3; k++) before = (await s.loadChat(chatId, { limit: 1000, before })).messages[0]?.id; // evicts x from the cache
    expect((await s.loadChat(chatId, { limit: 1 })).messages[0]!.content).toBe('fresh');
    await s.close();
  });

  it('compaction refuses to write a header its reader would reject', async () => {
    const { dir, chatId, path } = await emptyChat();
    await appendFile(path, msg('a', 'a') + line({ op: 'meta', timestamp: 2, metadata: { blob: 'x'.repeat(1_100_000) } }));
    const original = await readFile(path);
    const s = await openChatStore({ dataDir: dir });
    await expect(s.compactChat(chatId)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await readFile(path)).toEqual(original);
    expect((await s.loadChat(chatId)).messages).toHaveLength(1);
    await s.close();
  });

  it('a second close waits for the first, lock released', async () => {
    const { dir, chatId } = await emptyChat();
    const s = await openChatStore({ dataDir: dir, compactMinBytes: 0 });
    await s.appendMessage(chatId, { id: 'm', role: 'user', content: 'x' });
    for (let i = 0; i < 20; i++) await s.updateMessage(chatId, 'm', { content: `v${i}` });
    await s.getChat(chatId);
    void s.close();
    await s.close();
    const again = await openChatStore({ dataDir: dir });
    await again.close();
  });
});

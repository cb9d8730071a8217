import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChatStore, type ChatStore } from '../../electron/store/index.ts';
import { chatPath, sizeOf, tempDir } from './helpers.ts';

async function withStore<T>(fn: (s: ChatStore, dir: string) => Promise<T>, dir = tempDir()): Promise<T> {
  const s = await openChatStore({ dataDir: dir });
  try {
    return await fn(s, dir);
  } finally {
    await s.close();
  }
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('chats', () => {
  it('creates a chat with a UUID v4 id and a versioned header', () =>
    withStore(async (s, dir) => {
      const c = await s.createChat({ characterId: 'seraphina', title: 'Forest' });
      expect(c).toMatchObject({ characterId: 'seraphina', title: 'Forest', messageCount: 0, preview: null, status: 'ok' });
      expect(c.chatId).toMatch(UUID_V4);
      const header = JSON.parse((await readFile(chatPath(dir, 'seraphina', c.chatId), 'utf8')).split('\n')[0]!);
      expect(header).toMatchObject({ format: 'cardshark-chat', version: 1, chat_id: c.chatId, character_id: 'seraphina', title: 'Forest' });
    }));

  it('lists summaries per character, newest first, with count and preview', () =>
    withStore(async (s) => {
      const a = await s.createChat({ characterId: 'alice' });
      const b = await s.createChat({ characterId: 'alice' });
      await s.createChat({ characterId: 'bob' });
      await s.appendMessage(a.chatId, { role: 'user', content: 'first', timestamp: 10 });
      await s.appendMessage(a.chatId, { role: 'assistant', content: 'second reply', timestamp: 20 });
      const list = await s.listChats('alice');
      expect(list.map((c) => c.chatId).sort()).toEqual([a.chatId, b.chatId].sort());
      const sa = list.find((c) => c.chatId === a.chatId)!;
      expect(sa).toMatchObject({ messageCount: 2, preview: 'second reply' });
      expect(sa.updated).toBeGreaterThanOrEqual(sa.created);
      expect(await s.listChats('nobody')).toEqual([]);
    }));

  it('renames without rewriting, and the title survives reopening', async () => {
    const dir = tempDir();
    const id = await withStore(async (s) => {
      const c = await s.createChat({ characterId: 'alice', title: 'Old' });
      const path = chatPath(dir, 'alice', c.chatId);
      const before = await readFile(path, 'utf8');
      expect((await s.renameChat(c.chatId, 'New')).title).toBe('New');
      expect((await readFile(path, 'utf8')).startsWith(before)).toBe(true);
      return c.chatId;
    }, dir);
    await withStore(async (s) => {
      expect((await s.getChat(id)).title).toBe('New');
      // loadChat returns the header record as written; the current title lives in the summary.
      expect((await s.loadChat(id)).header.title).toBe('Old');
    }, dir);
  });

  it('deleteChat moves the file to the trash, never destroying it', () =>
    withStore(async (s, dir) => {
      const c = await s.createChat({ characterId: 'alice' });
      await s.appendMessage(c.chatId, { role: 'user', content: 'keep me' });
      await s.deleteChat(c.chatId);
      expect(await s.listChats('alice')).toEqual([]);
      await expect(s.loadChat(c.chatId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const trashed = await readdir(join(dir, 'trash', 'alice'));
      expect(trashed).toHaveLength(1);
      expect(await readFile(join(dir, 'trash', 'alice', trashed[0]!), 'utf8')).toContain('keep me');
    }));
});

describe('messages', () => {
  it('appends, pages newest-first in chronological order, and pages back with before', () =>
    withStore(async (s) => {
      const c = await s.createChat({ characterId: 'alice' });
      for (let i = 0; i < 25; i++) await s.appendMessage(c.chatId, { id: `m${i}`, role: i % 2 ? 'assistant' : 'user', content: `text ${i}` });
      const p1 = await s.loadChat(c.chatId, { limit: 10 });
      expect(p1.messages.map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => `m${15 + i}`));
      expect(p1.hasMore).toBe(true);
      const p2 = await s.loadChat(c.chatId, { limit: 10, before: 'm15' });
      expect(p2.messages.map((m) => m.id)).toEqual(Array.from({ length: 10 }, (_, i) => `m${5 + i}`));
      const p3 = await s.loadChat(c.chatId, { limit: 10, before: 'm5' });
      expect(p3.messages.map((m) => m.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      expect(p3.hasMore).toBe(false);
      expect((await s.loadChat(c.chatId)).messages).toHaveLength(25);
    }));

  it('a retried append of the same message returns the stored one and writes nothing', () =>
    withStore(async (s, dir) => {
      const c = await s.createChat({ characterId: 'alice' });
      const first = await s.appendMessage(c.chatId, { id: 'r1', role: 'user', content: 'sent twice', extra: { k: 1 } });
      const size = (await readFile(chatPath(dir, 'alice', c.chatId))).length;
      expect(await s.appendMessage(c.chatId, { id: 'r1', role: 'user', content: 'sent twice', extra: { k: 1 } })).toEqual(first);
      expect((await readFile(chatPath(dir, 'alice', c.chatId))).length).toBe(size);
      await expect(s.appendMessage(c.chatId, { id: 'r1', role: 'user', content: 'different' })).rejects.toMatchObject({ code: 'CONFLICT' });
      await s.updateMessage(c.chatId, 'r1', { content: 'edited' });
      await expect(s.appendMessage(c.chatId, { id: 'r1', role: 'user', content: 'sent twice', extra: { k: 1 } })).rejects.toMatchObject({ code: 'CONFLICT' });
      expect((await s.loadChat(c.chatId)).messages).toHaveLength(1);
    }));

  it('returns the stored message, with a generated id and an epoch-ms timestamp', () =>
    withStore(async (s) => {
      const c = await s.createChat({ characterId: 'alice' });
      const t0 = Date.now();
      const m = await s.appendMessage(c.chatId, { role: 'user', content: 'hi', extra: { carried: { deep: [1, 2] } } });
      expect(m.id).toMatch(UUID_V4);
      expect(m.timestamp).toBeGreaterThanOrEqual(t0);
      expect((await s.loadChat(c.chatId)).messages).toEqual([m]);
    }));

  it('edits, adds and selects swipes, and deletes, across a reopen', async () => {
    const dir = tempDir();
    const id = await withStore(async (s) => {
      const c = await s.createChat({ characterId: 'alice' });
      await s.appendMessage(c.chatId, { id: 'u', role: 'user', content: 'hello' });
      await s.appendMessage(c.chatId, { id: 'a', role: 'assistant', content: 'one' });
      await s.appendMessage(c.chatId, { id: 'x', role: 'user', content: 'doomed' });
      expect(await s.updateMessage(c.chatId, 'a', { addSwipe: 'two' })).toMatchObject({ content: 'two', swipes: ['one', 'two'], swipe_id: 1 });
      expect(await s.updateMessage(c.chatId, 'a', { selectSwipe: 0 })).toMatchObject({ content: 'one', swipe_id: 0 });
      expect(await s.updateMessage(c.chatId, 'a', { content: 'ONE', status: 'complete', extra: { k: 1 } })).toMatchObject({ content: 'ONE', swipes: ['ONE', 'two'], status: 'complete', extra: { k: 1 } });
      await s.updateMessage(c.chatId, 'u', { content: 'hello there' });
      await s.deleteMessage(c.chatId, 'x');
      return c.chatId;
    }, dir);
    await withStore(async (s) => {
      const msgs = (await s.loadChat(id)).messages;
      expect(msgs.map((m) => [m.id, m.content])).toEqual([
        ['u', 'hello there'],
        ['a', 'ONE'],
      ]);
      expect(msgs[1]).toMatchObject({ swipes: ['ONE', 'two'], swipe_id: 0, status: 'complete', extra: { k: 1 } });
      expect(msgs[0]!.edited).toBeGreaterThan(0);
    }, dir);
  });

  it('edits an old message without reading the chat into memory and keeps the id stable', () =>
    withStore(async (s) => {
      const c = await s.createChat({ characterId: 'alice' });
      for (let i = 0; i < 300; i++) await s.appendMessage(c.chatId, { id: `m${i}`, role: 'user', content: `t${i}` });
      await s.updateMessage(c.chatId, 'm0', { content: 'first, edited' });
      const all = (await s.loadChat(c.chatId, { limit: 1000 })).messages;
      expect(all).toHaveLength(300);
      expect(all[0]).toMatchObject({ id: 'm0', content: 'first, edited' });
    }));

  it('1,000 concurrent appends give exactly 1,000 intact lines', () =>
    withStore(async (s, dir) => {
      const c = await s.createChat({ characterId: 'alice' });
      await Promise.all(Array.from({ length: 1000 }, (_, i) => s.appendMessage(c.chatId, { id: `c${i}`, role: 'user', content: `concurrent ${i} `.repeat(20) })));
      const lines = (await readFile(chatPath(dir, 'alice', c.chatId), 'utf8')).split('\n');
      expect(lines.at(-1)).toBe('');
      const records = lines.slice(1, -1).map((l) => JSON.parse(l) as { id: string });
      expect(records).toHaveLength(1000);
      expect(new Set(records.map((r) => r.id)).size).toBe(1000);
      expect((await s.getChat(c.chatId)).messageCount).toBe(1000);
    }));

  it('compaction keeps the live state, drops superseded lines, and backs up first', () =>
    withStore(async (s, dir) => {
      const c = await s.createChat({ characterId: 'alice' });
      for (let i = 0; i < 20; i++) await s.appendMessage(c.chatId, { id: `m${i}`, role: 'user', content: `v0 ${i}` });
      for (let i = 0; i < 20; i += 2) await s.updateMessage(c.chatId, `m${i}`, { content: `v1 ${i}` });
      await s.updateMessage(c.chatId, 'm1', { addSwipe: 'alt' });
      await s.deleteMessage(c.chatId, 'm3');
      await s.renameChat(c.chatId, 'Compacted');
      const before = (await s.loadChat(c.chatId, { limit: 100 })).messages;
      const path = chatPath(dir, 'alice', c.chatId);
      const original = await readFile(path);
      const summary = await s.compactChat(c.chatId);
      expect(summary).toMatchObject({ title: 'Compacted', messageCount: 19 });
      expect((await s.loadChat(c.chatId, { limit: 100 })).messages).toEqual(before);
      const lines = (await readFile(path, 'utf8')).trim().split('\n');
      // Header, 19 live messages, and the tombstone of m3 (ids are never reused).
      expect(lines).toHaveLength(21);
      expect(lines.slice(1, 20).every((l) => !l.includes('"op"'))).toBe(true);
      expect(JSON.parse(lines[20]!)).toMatchObject({ op: 'delete', id: 'm3' });
      await expect(s.appendMessage(c.chatId, { id: 'm3', role: 'user', content: 'reborn?' })).rejects.toMatchObject({ code: 'CONFLICT' });
      const backups = await readdir(join(dir, 'backups', c.chatId));
      expect(backups).toHaveLength(1);
      expect(await readFile(join(dir, 'backups', c.chatId, backups[0]!))).toEqual(original);
      // Appends after a compaction land in the new file.
      await s.appendMessage(c.chatId, { id: 'after', role: 'user', content: 'after compaction' });
      expect((await s.loadChat(c.chatId, { limit: 1 })).messages[0]!.id).toBe('after');
    }));

  it('close compacts a chat that is mostly superseded lines', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir, compactMinBytes: 0 });
    const c = await s.createChat({ characterId: 'alice' });
    await s.appendMessage(c.chatId, { id: 'm', role: 'assistant', content: 'draft' });
    for (let i = 0; i < 10; i++) await s.updateMessage(c.chatId, 'm', { content: `draft ${i}` });
    await s.getChat(c.chatId);
    await s.close();
    const lines = (await readFile(chatPath(dir, 'alice', c.chatId), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[1]!)).toMatchObject({ id: 'm', content: 'draft 9' });
  });
});

describe('bad input gets a typed error and writes nothing', () => {
  it.each([
    ['createChat with a path-like character', (s: ChatStore) => s.createChat({ characterId: '../../etc' }), 'INVALID_INPUT'],
    ['createChat with unknown keys', (s: ChatStore) => s.createChat({ characterId: 'a', evil: 1 } as never), 'INVALID_INPUT'],
    ['listChats with a path-like character', (s: ChatStore) => s.listChats('../x'), 'INVALID_INPUT'],
    ['loadChat with a non-UUID chat id', (s: ChatStore) => s.loadChat('../../etc/passwd'), 'INVALID_INPUT'],
    ['loadChat with a huge limit', (s: ChatStore, id: string) => s.loadChat(id, { limit: 1e9 }), 'INVALID_INPUT'],
    ['loadChat of an unknown chat', (s: ChatStore) => s.loadChat('6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11'), 'NOT_FOUND'],
    ['loadChat before an unknown message', (s: ChatStore, id: string) => s.loadChat(id, { before: 'nope' }), 'NOT_FOUND'],
    ['appendMessage with a wrong role', (s: ChatStore, id: string) => s.appendMessage(id, { role: 'god', content: 'x' } as never), 'INVALID_INPUT'],
    ['appendMessage with content of 2 MB', (s: ChatStore, id: string) => s.appendMessage(id, { role: 'user', content: 'x'.repeat(2_000_000) }), 'INVALID_INPUT'],
    ['appendMessage with a reused id', (s: ChatStore, id: string) => s.appendMessage(id, { id: 'm0', role: 'user', content: 'x' }), 'CONFLICT'],
    ['appendMessage with swipes that disagree with content', (s: ChatStore, id: string) => s.appendMessage(id, { role: 'user', content: 'x', swipes: ['y'] }), 'INVALID_INPUT'],
    ['updateMessage with an empty patch', (s: ChatStore, id: string) => s.updateMessage(id, 'm0', {} as never), 'INVALID_INPUT'],
    ['updateMessage selecting a missing swipe', (s: ChatStore, id: string) => s.updateMessage(id, 'm0', { selectSwipe: 3 }), 'INVALID_INPUT'],
    ['updateMessage of an unknown message', (s: ChatStore, id: string) => s.updateMessage(id, 'zz', { content: 'x' }), 'NOT_FOUND'],
    ['deleteMessage twice', async (s: ChatStore, id: string) => { await s.deleteMessage(id, 'm1'); return s.deleteMessage(id, 'm1'); }, 'NOT_FOUND'],
    ['renameChat to an empty title', (s: ChatStore, id: string) => s.renameChat(id, '   '), 'INVALID_INPUT'],
    ['a non-object payload', (s: ChatStore, id: string) => s.appendMessage(id, null as never), 'INVALID_INPUT'],
  ])('%s', async (_name, call, code) =>
    withStore(async (s, dir) => {
      const c = await s.createChat({ characterId: 'alice' });
      await s.appendMessage(c.chatId, { id: 'm0', role: 'user', content: 'zero' });
      await s.appendMessage(c.chatId, { id: 'm1', role: 'user', content: 'one' });
      const path = chatPath(dir, 'alice', c.chatId);
      await call(s, c.chatId).then(
        () => expect.unreachable('should have failed'),
        (e: { code: string; name: string; message: string }) => {
          expect(e.name).toBe('StoreError');
          expect(e.code).toBe(code);
          expect(e.message.length).toBeGreaterThan(5);
        },
      );
      const after = await readFile(path, 'utf8');
      // Only the deliberate first delete of the double-delete case may have written.
      expect(after.split('\n').filter((l) => l.includes('"op"')).length).toBe(_name === 'deleteMessage twice' ? 1 : 0);
      expect(await readdir(join(dir, 'chats'))).toEqual(['alice']);
    }),
  );

  it('refuses every call after close with CLOSED', async () => {
    const s = await openChatStore({ dataDir: tempDir() });
    const c = await s.createChat({ characterId: 'alice' });
    await s.close();
    await expect(s.appendMessage(c.chatId, { role: 'user', content: 'late' })).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(s.createChat({ characterId: 'alice' })).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('reports sizes honestly', () =>
    withStore(async (s, dir) => {
      const c = await s.createChat({ characterId: 'alice' });
      await s.appendMessage(c.chatId, { role: 'user', content: 'x' });
      expect((await s.getChat(c.chatId)).sizeBytes).toBe(await sizeOf(chatPath(dir, 'alice', c.chatId)));
    }));
});

describe('large chats (many index blocks)', () => {
  it('pages, edits and counts correctly when lines straddle read blocks', () =>
    withStore(async (s, dir) => {
      const c = await s.createChat({ characterId: 'alice' });
      const { readFullState } = await import('../../electron/store/index.ts');
      // ~3 MB: a dozen 256 KiB index blocks, with lines of varied length crossing their edges.
      await Promise.all(Array.from({ length: 3000 }, (_, i) => s.appendMessage(c.chatId, { id: `m${i}`, role: 'user', content: `${i} `.repeat(100 + (i % 400)) })));
      await s.close();
      const s2 = await openChatStore({ dataDir: dir });
      try {
        const newest = await s2.loadChat(c.chatId, { limit: 5 });
        expect(newest.messages.map((m) => m.id)).toEqual(['m2995', 'm2996', 'm2997', 'm2998', 'm2999']);
        // One call that scans many blocks (a count), then one that locates an old message.
        expect((await s2.getChat(c.chatId)).messageCount).toBe(3000);
        const ids: string[] = [];
        let before: string | undefined;
        for (;;) {
          const page = await s2.loadChat(c.chatId, before ? { limit: 137, before } : { limit: 137 });
          ids.unshift(...page.messages.map((m) => m.id));
          if (!page.hasMore) break;
          before = page.messages[0]!.id;
        }
        expect(ids).toEqual(Array.from({ length: 3000 }, (_, i) => `m${i}`));
        await s2.updateMessage(c.chatId, 'm1', { content: 'edited early' });
        await s2.deleteMessage(c.chatId, 'm2');
        expect((await s2.getChat(c.chatId)).messageCount).toBe(2999);
        const full = readFullState(await readFile(chatPath(dir, 'alice', c.chatId)));
        if ('error' in full) throw new Error(full.error);
        expect(full.messages).toHaveLength(2999);
        expect(full.messages[1]).toMatchObject({ id: 'm1', content: 'edited early' });
        expect((await s2.loadChat(c.chatId, { limit: 3, before: 'm4' })).messages.map((m) => m.content.slice(0, 12))).toEqual(['0 0 0 0 0 0 ', 'edited early', '3 3 3 3 3 3 ']);
      } finally {
        await s2.close();
      }
    }, tempDir()));
});

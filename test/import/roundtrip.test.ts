// Import → export → import keeps messages, swipes, the selected swipe, flags and extras; the
// same source imported twice creates nothing; exports are files SillyTavern can load.
import { readFileSync, readdirSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportChat, importPath } from '../../electron/import/index.ts';
import { isHidden, type Message } from '../../shared/chat-format.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { faultySeam } from '../store/helpers.ts';
import { allMessages, jsonl, tempDir, treeHash, withStore, writeSource } from './helpers.ts';

const header = { user_name: 'You', character_name: 'Seraphina', create_date: '2024-10-18@20h52m30s', chat_metadata: { integrity: 'abc', note_prompt: 'n', variables: { a: 1 } } };
const source = [
  header,
  { name: 'You', is_user: true, is_system: false, send_date: 'June 19, 2023 2:20pm', mes: 'Hi', extra: {} },
  {
    name: 'Seraphina',
    is_user: false,
    is_system: false,
    send_date: '2025-01-02T10:11:40.123Z',
    mes: 'Hello.',
    extra: { api: 'openai', model: 'm', reasoning: 'r', token_count: 3, display_text: 'Hello!', unknown_ext: { deep: [1, { x: 2 }] } },
    gen_started: '2025-01-02T10:11:38.000Z',
    gen_finished: '2025-01-02T10:11:40.100Z',
    swipe_id: 1,
    swipes: ['Hi.', 'Hello.', 'Hey.'],
    swipe_info: [{ send_date: 'a', extra: {} }, { send_date: 'b', extra: {} }],
    force_avatar: 'x.png',
    top_level_unknown: [true],
  },
  { name: 'You', is_user: true, is_system: true, send_date: 1700000000, mes: { message: 'hidden' }, extra: { id: 'legacy-id-1', bookmark_link: 'bm' } },
  { name: 'Narrator', is_user: false, is_system: false, send_date: '2023-6-19 @14h 20m 05s 123ms', mes: 'Night falls.', extra: { type: 'narrator' } },
  { name: 'Seraphina', is_user: false, send_date: 1700000005000, mes: 'B', swipes: [{ message: 'A' }, 'B'], swipe_id: 9, extra: { id: 'not valid!' } },
];

/** The fields a round trip must keep (the message id included). */
const kept = (m: Message) => ({ id: m.id, role: m.role, content: m.content, name: m.name, timestamp: m.timestamp, swipes: m.swipes, swipe_id: m.swipe_id, status: m.status, extra: m.extra });

describe('round trip', () => {
  it('SillyTavern → v1 → SillyTavern → v1 keeps every message, swipe, selection, flag and extra', async () => {
    const dir = tempDir();
    const src = writeSource(join(dir, 'in', 'Seraphina - chat.jsonl'), jsonl(...source));
    const srcHash = treeHash(src);
    await withStore(async (store) => {
      const first = (await importPath(store, src)).chats[0]!;
      expect(first.problems).toEqual([]);
      const x = await allMessages(store, first.chatId);
      expect(x).toHaveLength(5);

      const out = join(dir, 'out', 'exported.jsonl');
      const res = await exportChat(store, first.chatId, 'st', out);
      expect(res).toMatchObject({ messages: 5, format: 'st' });
      const text = readFileSync(out, 'utf8');
      // What SillyTavern needs to load it: a header with chat_metadata, "\n"-joined, no trailing newline.
      expect(text.endsWith('\n')).toBe(false);
      const lines = text.split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ user_name: 'You', character_name: 'Seraphina', chat_metadata: header.chat_metadata });
      for (const l of lines.slice(1)) {
        expect(typeof l.mes).toBe('string');
        expect(typeof l.is_user).toBe('boolean');
        expect(typeof l.is_system).toBe('boolean');
        expect(typeof l.name).toBe('string');
        expect(l.extra).toBeTypeOf('object');
        if (l.swipes) expect(l.swipe_id).toBeLessThan((l.swipes as unknown[]).length);
      }
      expect(lines[2]).toMatchObject({ mes: 'Hello.', swipe_id: 1, swipes: ['Hi.', 'Hello.', 'Hey.'], swipe_info: (source[2] as { swipe_info: unknown }).swipe_info, gen_started: '2025-01-02T10:11:38.000Z', force_avatar: 'x.png', top_level_unknown: [true], send_date: '2025-01-02T10:11:40.123Z' });
      expect(lines[3]).toMatchObject({ is_user: true, is_system: true, mes: 'hidden', send_date: 1700000000, extra: { id: 'legacy-id-1', bookmark_link: 'bm' } });

      const second = (await importPath(store, out)).chats[0]!;
      expect(second.status).toBe('created');
      expect(second.chatId).not.toBe(first.chatId);
      const y = await allMessages(store, second.chatId);
      expect(y.map(kept)).toEqual(x.map(kept));

      // And through a v1 file.
      const v1 = join(dir, 'out', 'exported.v1.jsonl');
      await exportChat(store, first.chatId, 'v1', v1);
      const third = (await importPath(store, v1)).chats[0]!;
      expect(third).toMatchObject({ format: 'cardshark-v1', characterId: first.characterId, title: first.title, messageCount: 5 });
      expect((await allMessages(store, third.chatId)).map(kept)).toEqual(x.map(kept));
      expect((await store.loadChat(third.chatId)).header.metadata.source_header).toEqual(header);
    });
    expect(treeHash(src)).toBe(srcHash);
  });

  it('exports what the store holds now: edits, new swipes and deletions made after the import', async () => {
    const dir = tempDir();
    const src = writeSource(join(dir, 'c.jsonl'), jsonl(...source));
    await withStore(async (store) => {
      const c = (await importPath(store, src)).chats[0]!;
      const [u, a, h] = await allMessages(store, c.chatId);
      await store.updateMessage(c.chatId, u!.id, { content: 'Hi, edited' });
      await store.updateMessage(c.chatId, a!.id, { addSwipe: 'A fourth swipe' });
      await store.deleteMessage(c.chatId, h!.id);
      await store.renameChat(c.chatId, 'Renamed');
      const now = await allMessages(store, c.chatId);
      for (const format of ['st', 'v1'] as const) {
        const out = join(dir, `e.${format}.jsonl`);
        await exportChat(store, c.chatId, format, out);
        const back = (await importPath(store, out)).chats[0]!;
        const msgs = await allMessages(store, back.chatId);
        expect(msgs.map(kept)).toEqual(now.map(kept));
        expect(msgs[1]).toMatchObject({ content: 'A fourth swipe', swipe_id: 3 });
        if (format === 'v1') expect(back.title).toBe('Renamed');
      }
    });
  });

  it('a chat made in CardShark exports to SillyTavern with names, roles and dates', async () => {
    const dir = tempDir();
    await withStore(async (store) => {
      const c = await store.createChat({ characterId: 'aria', title: 'Native' });
      await store.appendMessage(c.chatId, { id: 'u1', role: 'user', content: 'hello', timestamp: 1732500001000 });
      await store.appendMessage(c.chatId, { id: 'a1', role: 'assistant', content: 'hi', name: 'Aria', timestamp: 1732500002000, swipes: ['yo', 'hi'], swipe_id: 1, status: 'complete' });
      await store.appendMessage(c.chatId, { id: 's1', role: 'system', content: 'Scene change', timestamp: 1732500003000 });
      const out = join(dir, 'native.jsonl');
      await exportChat(store, c.chatId, 'st', out);
      const lines = readFileSync(out, 'utf8').split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ chat_metadata: {} });
      expect(lines[1]).toMatchObject({ name: 'User', is_user: true, is_system: false, mes: 'hello', send_date: new Date(1732500001000).toISOString(), extra: { id: 'u1' } });
      expect(lines[2]).toMatchObject({ name: 'Aria', is_user: false, mes: 'hi', swipes: ['yo', 'hi'], swipe_id: 1, extra: { id: 'a1', status: 'complete' } });
      expect((lines[2]!.swipe_info as unknown[]).length).toBe(2);
      expect(lines[3]).toMatchObject({ is_user: false, mes: 'Scene change', extra: { type: 'narrator' } });
      const back = (await importPath(store, out)).chats[0]!;
      expect((await allMessages(store, back.chatId)).map((m) => [m.id, m.role, m.content, m.timestamp, m.status])).toEqual([
        ['u1', 'user', 'hello', 1732500001000, undefined],
        ['a1', 'assistant', 'hi', 1732500002000, 'complete'],
        ['s1', 'system', 'Scene change', 1732500003000, undefined],
      ]);
    });
  });

  it('export refuses a bad format and an unknown chat with typed errors', async () => {
    const dir = tempDir();
    await withStore(async (store) => {
      const c = await store.createChat({ characterId: 'aria' });
      await expect(exportChat(store, c.chatId, 'xml' as 'st', join(dir, 'x'))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(exportChat(store, '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11', 'st', join(dir, 'x'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});

describe('idempotence', () => {
  it('importing the same source again (even a renamed copy) creates no duplicate and writes nothing', async () => {
    const dir = tempDir();
    const src = writeSource(join(dir, 'src', 'Seraphina', 'chat.jsonl'), jsonl(...source));
    copyFileSync(src, join(dir, 'copy.jsonl'));
    const dataDir = join(dir, 'data');
    const first = await withStore((store) => importPath(store, src), dataDir);
    expect(first.chats[0]!.status).toBe('created');
    const chatsDir = join(dataDir, 'chats');
    const after = treeHash(chatsDir);
    // A new process (store) later: the same file, then a renamed copy of it.
    const again = await withStore((store) => importPath(store, src), dataDir);
    const copy = await withStore((store) => importPath(store, join(dir, 'copy.jsonl')), dataDir);
    for (const r of [again, copy]) {
      expect(r.chats).toHaveLength(1);
      expect(r.chats[0]).toMatchObject({ status: 'already_imported', chatId: first.chats[0]!.chatId, messageCount: 5, title: first.chats[0]!.title });
    }
    expect(treeHash(chatsDir)).toBe(after);
    expect(readdirSync(join(chatsDir, 'Seraphina'))).toHaveLength(1);
    // A changed source is a new chat.
    writeSource(join(dir, 'changed.jsonl'), `${jsonl(...source)}\n${JSON.stringify({ name: 'You', is_user: true, mes: 'one more', send_date: 1700000009000, extra: {} })}`);
    const changed = await withStore((store) => importPath(store, join(dir, 'changed.jsonl')), dataDir);
    expect(changed.chats[0]).toMatchObject({ status: 'created', messageCount: 6 });
  });
});

describe('a write that fails', () => {
  it('a full disk: the chat is reported failed, nothing is left half-written, and a later run imports it', async () => {
    const dir = tempDir();
    const src = writeSource(join(dir, 'c.jsonl'), jsonl(...source));
    const { seam, faults } = faultySeam();
    const store = await openChatStore({ dataDir: join(dir, 'data'), fs: seam });
    try {
      faults.writeFileAtomic = 'ENOSPC';
      const r = await importPath(store, src);
      expect(r.chats).toEqual([]);
      expect(r.failed).toHaveLength(1);
      expect(r.failed[0]!.reason).toMatch(/disk is full/);
      expect(await store.listChats('Seraphina')).toEqual([]);
      faults.writeFileAtomic = undefined;
      const again = await importPath(store, src);
      expect(again.chats[0]).toMatchObject({ status: 'created', messageCount: 5 });
    } finally {
      await store.close();
    }
  });
});

describe('speaker names (issue 18)', () => {
  it('a chat written in the app exports the persona and character names, and a round trip keeps them', async () => {
    const dir = tempDir();
    await withStore(async (store) => {
      const { chatId } = await store.createChat({ characterId: 'testy-4f7fbdd6', title: 'Names' });
      // The first reply was written when the character was called Seraphina; the others name no one.
      await store.appendMessages(chatId, [
        { id: 'a1', role: 'assistant', content: 'Welcome.', name: 'Seraphina' },
        { id: 'u1', role: 'user', content: 'Hello.' },
        { id: 'a2', role: 'assistant', content: 'Rest here.' },
        { id: 'u2', role: 'user', content: 'Thanks.', name: 'Old persona' },
      ]);
      const out = join(dir, 'names.jsonl');
      await exportChat(store, chatId, 'st', out, { persona: 'Ann', character: 'Sera' });
      const lines = readFileSync(out, 'utf8').split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines[0]).toMatchObject({ user_name: 'Ann', character_name: 'Sera' });
      expect(lines.slice(1).map((l) => l.name)).toEqual(['Seraphina', 'Ann', 'Sera', 'Old persona']);

      const again = (await importPath(store, out)).chats[0]!;
      expect(again.status).toBe('created');
      expect((await allMessages(store, again.chatId)).map((m) => [m.role, m.name])).toEqual([
        ['assistant', 'Seraphina'],
        ['user', 'Ann'],
        ['assistant', 'Sera'],
        ['user', 'Old persona'],
      ]);
    });
  });

  it('hidden messages export as is_system and import hidden again; Unhide exports them shown', async () => {
    const dir = tempDir();
    await withStore(async (store) => {
      const { chatId } = await store.createChat({ characterId: 'mira', title: 'Hidden' });
      await store.appendMessages(chatId, [
        { id: 'm1', role: 'user', content: 'a note to self' },
        { id: 'm2', role: 'assistant', content: 'shown' },
      ]);
      await store.updateMessage(chatId, 'm1', { hidden: true });
      const out = join(dir, 'hidden.jsonl');
      await exportChat(store, chatId, 'st', out, { persona: 'Ann', character: 'Mira' });
      const lines = readFileSync(out, 'utf8').split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.slice(1).map((l) => l.is_system)).toEqual([true, false]);
      const imported = (await importPath(store, out)).chats[0]!;
      const ms = await allMessages(store, imported.chatId);
      expect(ms.map((m) => isHidden(m))).toEqual([true, false]);

      // And through a v1 file: `hidden` is the message's own field there.
      const v1 = join(dir, 'hidden.v1.jsonl');
      await exportChat(store, chatId, 'v1', v1);
      const viaV1 = (await importPath(store, v1)).chats[0]!;
      expect((await allMessages(store, viaV1.chatId)).map((m) => [m.id, m.hidden])).toEqual([['m1', true], ['m2', undefined]]);

      await store.updateMessage(imported.chatId, ms[0]!.id, { hidden: false });
      const out2 = join(dir, 'shown.jsonl');
      await exportChat(store, imported.chatId, 'st', out2);
      expect(readFileSync(out2, 'utf8').split('\n').slice(1).map((l) => (JSON.parse(l) as { is_system: boolean }).is_system)).toEqual([false, false]);
    });
  });
});

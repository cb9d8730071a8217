// CardShark's legacy JSONL variants (formats.md §2): v0, Feb-24, "1.0", "2.0", and the seed shape.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importPath } from '../../electron/import/index.ts';
import { allMessages, jsonl, local, tempDir, treeHash, withStore, writeSource } from './helpers.ts';

const base = (name: string, isUser: boolean, mes: string, extra: Record<string, unknown> = {}) => ({ name, is_user: isUser, is_system: false, send_date: 'February 16, 2025 03:12PM', mes, extra });

describe('CardShark legacy import', () => {
  it('v0: SillyTavern-shaped header with chat_id_hash, minute-precision dates', async () => {
    const dir = tempDir();
    const header = { user_name: 'User', character_name: 'Aria', create_date: '2025-02-16@15h12m05s', chat_metadata: { chat_id_hash: 123, tainted: false, timedWorldInfo: { sticky: {}, cooldown: {} } } };
    const src = writeSource(join(dir, 'Aria', 'Aria-20250216@15h12m.jsonl'), `${jsonl(header, base('User', true, 'hello'), base('Aria', false, 'welcome'))}\n`);
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats[0]).toMatchObject({ format: 'cardshark-v0', characterId: 'Aria', messageCount: 2, problems: [] });
      const page = await store.loadChat(r.chats[0]!.chatId);
      expect(page.header.timestamp).toBe(local(2025, 2, 16, 15, 12, 5));
      expect(page.header.metadata.source_header).toEqual(header);
      expect(page.messages.map((m) => [m.role, m.content, m.timestamp])).toEqual([
        ['user', 'hello', local(2025, 2, 16, 15, 12)],
        ['assistant', 'welcome', local(2025, 2, 16, 15, 12)],
      ]);
    });
  });

  it('a genuine SillyTavern file that holds chat_id_hash (its macros set it) is SillyTavern\'s, not v0', async () => {
    const dir = tempDir();
    const modern = { chat_metadata: { integrity: '0b6e1f7e-8b7a-4c1e-9f3e-1a2b3c4d5e6f', chat_id_hash: 4620371245862197, tainted: false }, user_name: 'unused', character_name: 'unused' };
    const older = { user_name: 'You', character_name: 'Aria', create_date: '2024-10-18@20h52m30s', chat_metadata: { chat_id_hash: 123, main_chat: 'Aria - 2024-10-18@20h52m30s', note_prompt: '' } };
    const a = writeSource(join(dir, 'Aria', 'modern.jsonl'), jsonl(modern, base('You', true, 'hi')));
    const b = writeSource(join(dir, 'Aria', 'older.jsonl'), jsonl(older, base('You', true, 'hi')));
    await withStore(async (store) => {
      for (const src of [a, b]) {
        const r = await importPath(store, src);
        expect(r.chats[0]).toMatchObject({ format: 'sillytavern', messageCount: 1 });
        expect((await store.loadChat(r.chats[0]!.chatId)).header.metadata.import).toMatchObject({ format: 'sillytavern' });
      }
    });
  });

  it('Feb-24: top-level character_id names the character; ISO create_date; chat_metadata.chat_id kept', async () => {
    const dir = tempDir();
    const header = { user_name: 'User', character_name: 'Aria', character_id: 'Aria-1a2b3c4d', create_date: '2025-02-24T10:00:00.000Z', chat_metadata: { chat_id: 'Aria-1a2b3c4d_1740391200', lastUser: 'User' } };
    const src = writeSource(join(dir, 'x.jsonl'), jsonl(header, base('User', true, 'hi')));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats[0]).toMatchObject({ format: 'cardshark-feb24', characterId: 'Aria-1a2b3c4d', messageCount: 1 });
      const page = await store.loadChat(r.chats[0]!.chatId);
      expect(page.header.timestamp).toBe(Date.UTC(2025, 1, 24, 10));
      expect(page.header.metadata.import).toMatchObject({ source_chat_id: 'Aria-1a2b3c4d_1740391200', format: 'cardshark-feb24' });
    });
  });

  it('"1.0": version, ms timestamp, title; extra.id becomes the message id; create_date in ms', async () => {
    const dir = tempDir();
    const header = {
      version: '1.0',
      user_name: 'User',
      character_name: 'Aria',
      character_id: 'Aria-1a2b3c4d',
      create_date: 1740391200123,
      timestamp: 1740391200123,
      chat_metadata: { chat_id: 'Aria_20250224100000_1a2b3c4d', created_timestamp: 1740391200123, title: 'Chat with Aria - Feb 24, 2025', api_info: { provider: 'KoboldCPP' }, triggeredLoreImages: [] },
    };
    const m1 = { ...base('User', true, 'hi', { id: '6a1e1f7e-3b1d-4c59-9a53-0f4f1d0b2a11' }), send_date: 'February 24, 2025 10:01AM' };
    const m2 = {
      ...base('Aria', false, 'b', { id: '7b2e1f7e-3b1d-4c59-9a53-0f4f1d0b2a22', edited: true, api: 'KoboldCPP', model: 'llama' }),
      send_date: 'February 24, 2025 10:02AM',
      gen_started: '2025-02-24T10:01:58.500Z',
      gen_finished: '2025-02-24T10:02:03.250Z',
      swipe_id: 1,
      swipes: ['a', 'b'],
    };
    const src = writeSource(join(dir, 'chat.jsonl'), jsonl(header, m1, m2));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats[0]).toMatchObject({ format: 'cardshark-1.0', title: 'Chat with Aria - Feb 24, 2025', characterId: 'Aria-1a2b3c4d', messageCount: 2 });
      const page = await store.loadChat(r.chats[0]!.chatId);
      expect(page.header.timestamp).toBe(1740391200123);
      const [a, b] = page.messages;
      expect(a!.id).toBe('6a1e1f7e-3b1d-4c59-9a53-0f4f1d0b2a11');
      expect(b).toMatchObject({ id: '7b2e1f7e-3b1d-4c59-9a53-0f4f1d0b2a22', swipes: ['a', 'b'], swipe_id: 1, content: 'b' });
      // The id moved to the message; everything else of extra stays.
      expect(b!.extra).toMatchObject({ edited: true, api: 'KoboldCPP', model: 'llama' });
      expect(b!.extra!.id).toBeUndefined();
      // gen_finished (ms, an absolute time) beats the minute-precision local send_date.
      expect(b!.timestamp).toBe(Date.UTC(2025, 1, 24, 10, 2, 3, 250));
    });
  });

  it('"2.0": uuid chat and character ids, is_name, extra.status, swipes only when more than one', async () => {
    const dir = tempDir();
    const charUuid = '0f5e2a4c-8d3b-4e1f-9a7c-6b5d4e3f2a1b';
    const header = { version: '2.0', chat_id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', character_id: charUuid, user_name: 'User', character_name: 'Aria', timestamp: 1750000000000, create_date: 1750000000000, chat_metadata: { chat_id: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', title: 'Evening' } };
    const m1 = { ...base('Aria', false, 'one swipe', { id: 'm-1', status: 'complete' }), is_name: true, send_date: 1750000001000 };
    const m2 = { ...base('Aria', false, 'y', { id: 'm-2', status: 'interrupted' }), is_name: true, send_date: 1750000002000, swipe_id: 1, swipes: ['x', 'y'] };
    const src = writeSource(join(dir, 'chat_aria.jsonl'), jsonl(header, m1, m2));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats[0]).toMatchObject({ format: 'cardshark-2.0', characterId: charUuid, title: 'Evening' });
      const [a, b] = await allMessages(store, r.chats[0]!.chatId);
      expect(a).toMatchObject({ id: 'm-1', status: 'complete', content: 'one swipe', timestamp: 1750000001000 });
      expect(a!.swipes).toBeUndefined();
      expect((a!.extra!.sillytavern as Record<string, unknown>).is_name).toBe(true);
      expect(b).toMatchObject({ id: 'm-2', status: 'interrupted', swipes: ['x', 'y'], swipe_id: 1 });
    });
  });

  it('an invalid or duplicated source id gets a stable generated id; the original is kept under extra', async () => {
    const dir = tempDir();
    const header = { version: '1.0', character_name: 'Aria', timestamp: 1740391200000, chat_metadata: {} };
    const src = writeSource(join(dir, 'ids.jsonl'), jsonl(header, base('User', true, 'a', { id: 'dup' }), base('Aria', false, 'b', { id: 'dup' }), base('User', true, 'c', { id: 'has spaces/and slash' })));
    const run = () =>
      withStore(async (store) => {
        const r = await importPath(store, src);
        return (await allMessages(store, r.chats[0]!.chatId)).map((m) => [m.id, m.extra!.cardshark_import]);
      });
    const first = await run();
    expect(first).toEqual([
      ['dup', undefined],
      ['imp-3', { id: 'dup' }],
      ['imp-4', { id: 'has spaces/and slash' }],
    ]);
    expect(await run()).toEqual(first); // stable: the same ids in another data directory
  });

  it('CardShark\'s seed shape ("1.0" header, role/content lines) imports with its ids', async () => {
    const dir = tempDir();
    const src = writeSource(join(dir, 'seed.jsonl'), `${jsonl({ version: '1.0', chat_id: '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11', timestamp: 1732500000000, metadata: { title: 'Seed' } }, { id: 'a1', role: 'user', content: 'Hello', timestamp: 1732500001000 }, { id: 'a2', role: 'assistant', content: 'Hi there!', timestamp: 1732500002000, mood: 'warm' })}\n`);
    const before = treeHash(dir);
    await withStore(async (store) => {
      const r = await importPath(store, src, { characterId: 'seed-char' });
      expect(r.chats[0]).toMatchObject({ format: 'cardshark-1.0', characterId: 'seed-char', title: 'Seed' });
      expect(await allMessages(store, r.chats[0]!.chatId)).toMatchObject([
        { id: 'a1', role: 'user', content: 'Hello', timestamp: 1732500001000 },
        { id: 'a2', role: 'assistant', content: 'Hi there!', extra: { mood: 'warm' } },
      ]);
    });
    expect(treeHash(dir)).toBe(before);
  });
});

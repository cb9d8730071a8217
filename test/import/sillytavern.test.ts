// SillyTavern JSONL with every quirk of formats.md §3, each through the real store on disk.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importPath } from '../../electron/import/index.ts';
import { StoreError } from '../../shared/errors.ts';
import { allMessages, jsonl, local, tempDir, treeHash, withStore, writeSource } from './helpers.ts';

const MODERN_HEADER = { chat_metadata: { integrity: '2c1d4b7e-1111-4222-8333-444455556666', main_chat: 'x', tainted: true, variables: { mood: 'calm' }, timedWorldInfo: { sticky: {}, cooldown: {} }, lastInContextMessageId: 3, note_prompt: 'Be brief', note_interval: 1, note_depth: 4, note_position: 1, note_role: 0 }, user_name: 'unused', character_name: 'unused' };
const OLDER_HEADER = { user_name: 'You', character_name: 'Seraphina', create_date: '2024-10-18@20h52m30s', chat_metadata: { note_prompt: '' } };

const assistant = {
  name: 'Seraphina',
  is_user: false,
  is_system: false,
  send_date: '2025-01-02T10:11:40.123Z',
  mes: 'Hello.',
  extra: { api: 'openai', model: 'gpt-4o', reasoning: 'thinking', token_count: 12, display_text: 'Hello!', bookmark_link: 'b1', bias: 'x', future_key: { nested: [1, 2] } },
  gen_started: '2025-01-02T10:11:38.000Z',
  gen_finished: '2025-01-02T10:11:40.100Z',
  swipe_id: 1,
  swipes: ['Hi.', 'Hello.'],
  swipe_info: [
    { send_date: '2025-01-02T10:11:30.000Z', gen_started: 'a', gen_finished: 'b', extra: { api: 'openai' } },
    { send_date: '2025-01-02T10:11:40.123Z', gen_started: 'c', gen_finished: 'd', extra: {} },
  ],
  force_avatar: 'User Avatars/me.png',
  some_future_field: 42,
};
const user = { name: 'You', is_user: true, is_system: false, send_date: 'June 19, 2023 2:20pm', mes: 'Hi!', extra: {} };

describe('SillyTavern import', () => {
  it('keeps swipes, the selected swipe, names, timestamps and every unknown field', async () => {
    const dir = tempDir();
    const src = writeSource(join(dir, 'src', 'Seraphina', 'Seraphina - 2024-10-18@20h52m30s.jsonl'), jsonl(MODERN_HEADER, user, assistant));
    await withStore(async (store) => {
      const report = await importPath(store, src);
      expect(report.failed).toEqual([]);
      expect(report.chats).toHaveLength(1);
      const c = report.chats[0]!;
      expect(c).toMatchObject({ status: 'created', messageCount: 2, format: 'sillytavern', title: 'Seraphina - 2024-10-18@20h52m30s', problems: [] });
      const page = await store.loadChat(c.chatId, { limit: 10 });
      expect(page.warnings).toEqual([]);
      expect(page.header.metadata.source_header).toEqual(MODERN_HEADER);
      expect(page.header.metadata.import).toMatchObject({ format: 'sillytavern', file: 'Seraphina - 2024-10-18@20h52m30s.jsonl' });
      const [u, a] = page.messages;
      expect(u).toMatchObject({ role: 'user', content: 'Hi!', name: 'You', timestamp: local(2023, 6, 19, 14, 20) });
      expect(a).toMatchObject({ role: 'assistant', content: 'Hello.', name: 'Seraphina', swipes: ['Hi.', 'Hello.'], swipe_id: 1, timestamp: Date.UTC(2025, 0, 2, 10, 11, 40, 123) });
      const { sillytavern, ...extra } = a!.extra!;
      expect(extra).toEqual(assistant.extra);
      // is_system false and a send_date that is the ISO form of the timestamp are what export writes anyway.
      expect(sillytavern).toEqual({ gen_started: assistant.gen_started, gen_finished: assistant.gen_finished, swipe_info: assistant.swipe_info, force_avatar: assistant.force_avatar, some_future_field: 42 });
      expect(a!.id).toMatch(/^imp-\d+$/);
    });
  });

  it('survives a BOM, CRLF, blank lines, a trailing newline and a missing header', async () => {
    const dir = tempDir();
    const lines = [JSON.stringify(OLDER_HEADER), '', JSON.stringify(user), '   ', JSON.stringify(assistant), ''];
    const withBom = writeSource(join(dir, 'a.jsonl'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n'))]));
    const headerless = writeSource(join(dir, 'b.jsonl'), `${JSON.stringify(user)}\n\n${JSON.stringify(assistant)}\n`);
    await withStore(async (store) => {
      const r1 = await importPath(store, withBom);
      expect(r1.chats[0]).toMatchObject({ messageCount: 2, problems: [], characterId: 'Seraphina' });
      expect((await allMessages(store, r1.chats[0]!.chatId)).map((m) => m.content)).toEqual(['Hi!', 'Hello.']);
      // create_date of the older header is the chat's creation time
      expect((await store.getChat(r1.chats[0]!.chatId)).created).toBe(local(2024, 10, 18, 20, 52, 30));
      const r2 = await importPath(store, headerless);
      expect(r2.chats[0]).toMatchObject({ messageCount: 2, problems: [], title: 'b' });
      // No header and no folder: the character's name comes from its messages.
      expect(r2.chats[0]!.characterId).toBe('Seraphina');
      expect((await store.getChat(r2.chats[0]!.chatId)).created).toBe(local(2023, 6, 19, 14, 20));
    });
  });

  it('a headerless CRLF file, and a header whose chat_metadata holds message-like data (an extension\'s)', async () => {
    const dir = tempDir();
    const crlf = writeSource(join(dir, 'crlf.jsonl'), [JSON.stringify(user), JSON.stringify(assistant), ''].join('\r\n'));
    const extHeader = { chat_metadata: { integrity: 'i', summaries: [{ role: 'system', content: 'so far', mes: 'x' }], is_user: false }, user_name: 'unused', character_name: 'unused' };
    const second = { ...extHeader, chat_metadata: { ...extHeader.chat_metadata, integrity: 'j' } };
    const ext = writeSource(join(dir, 'ext.jsonl'), jsonl(extHeader, user, assistant, second, { ...user, mes: 'second chat' }));
    await withStore(async (store) => {
      const r1 = await importPath(store, crlf);
      expect(r1.chats[0]).toMatchObject({ messageCount: 2, problems: [] });
      expect((await allMessages(store, r1.chats[0]!.chatId)).map((m) => m.content)).toEqual(['Hi!', 'Hello.']);
      const r2 = await importPath(store, ext);
      expect(r2.chats.map((c) => [c.messageCount, c.problems.length])).toEqual([
        [2, 0],
        [1, 0],
      ]);
      expect((await store.loadChat(r2.chats[1]!.chatId)).header.metadata.source_header).toEqual(second);
    });
  });

  it('reads every send_date format', async () => {
    const dir = tempDir();
    const dates: [unknown, number][] = [
      ['2025-01-02T10:11:40.123Z', Date.UTC(2025, 0, 2, 10, 11, 40, 123)],
      [1732500001234, 1732500001234],
      [1732500001, 1732500001000],
      ['June 19, 2023 2:20pm', local(2023, 6, 19, 14, 20)],
      ['2023-6-19 @14h 20m 05s 123ms', local(2023, 6, 19, 14, 20, 5, 123)],
      ['2024-10-18@20h52m30s', local(2024, 10, 18, 20, 52, 30)],
    ];
    const src = writeSource(join(dir, 'dates.jsonl'), jsonl(OLDER_HEADER, ...dates.map(([d], i) => ({ ...user, mes: `m${i}`, send_date: d }))));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      const msgs = await allMessages(store, r.chats[0]!.chatId);
      expect(msgs.map((m) => m.timestamp)).toEqual(dates.map(([, ms]) => ms));
      // The original values are kept for export (an ISO date equal to the timestamp's is rebuilt from it).
      expect(msgs.map((m) => (m.extra!.sillytavern as { send_date?: unknown }).send_date ?? new Date(m.timestamp).toISOString())).toEqual(dates.map(([d]) => d));
      expect((msgs[0]!.extra!.sillytavern as { send_date?: unknown }).send_date).toBeUndefined();
    });
  });

  it('takes the most precise time: a minute-precision send_date loses to gen_finished in ms', async () => {
    const dir = tempDir();
    const finished = new Date(local(2025, 2, 16, 15, 12, 41, 250)).toISOString();
    const src = writeSource(join(dir, 'p.jsonl'), jsonl(OLDER_HEADER, { ...assistant, swipes: undefined, swipe_id: undefined, swipe_info: undefined, send_date: 'February 16, 2025 03:12PM', gen_started: undefined, gen_finished: finished }));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect((await allMessages(store, r.chats[0]!.chatId))[0]!.timestamp).toBe(local(2025, 2, 16, 15, 12, 41, 250));
    });
  });

  it('reads Chub exports: mes and swipes as objects', async () => {
    const dir = tempDir();
    const chub = { name: 'Bot', is_user: false, send_date: 1700000000000, mes: { message: 'Chosen' }, swipes: [{ message: 'First' }, { message: 'Chosen', rating: 5 }], swipe_id: 1, extra: {} };
    const src = writeSource(join(dir, 'chub.jsonl'), jsonl(chub, { name: 'Me', is_user: true, mes: { message: 'reply', extra_key: 'k' }, send_date: 1700000001000 }));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats[0]!.problems).toEqual([]);
      const [a, u] = await allMessages(store, r.chats[0]!.chatId);
      expect(a).toMatchObject({ content: 'Chosen', swipes: ['First', 'Chosen'], swipe_id: 1 });
      expect(a!.extra!.cardshark_import).toEqual({ mes_object: {}, swipe_objects: { 0: { message: 'First' }, 1: { message: 'Chosen', rating: 5 } } });
      expect(u).toMatchObject({ role: 'user', content: 'reply' });
      expect(u!.extra!.cardshark_import).toEqual({ mes_object: { extra_key: 'k' } });
    });
  });

  it('repairs swipe_id out of range and keeps swipe_info of another length as it was', async () => {
    const dir = tempDir();
    const tooFar = { ...assistant, swipe_id: 7, mes: 'Hi.', swipe_info: [{ send_date: 'only one' }] };
    const negative = { ...assistant, swipe_id: -1, mes: 'Not a swipe', swipes: ['A', 'B'] };
    const src = writeSource(join(dir, 's.jsonl'), jsonl(OLDER_HEADER, tooFar, negative));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats[0]!.problems).toEqual([]);
      const [a, b] = await allMessages(store, r.chats[0]!.chatId);
      // The shown text (mes) picks the swipe; the original index is kept.
      expect(a).toMatchObject({ content: 'Hi.', swipe_id: 0, swipes: ['Hi.', 'Hello.'] });
      expect(a!.extra!.cardshark_import).toEqual({ swipe_id: 7 });
      expect((a!.extra!.sillytavern as { swipe_info: unknown }).swipe_info).toEqual([{ send_date: 'only one' }]);
      // mes matches no swipe: it becomes the selected swipe's text, the replaced text is kept.
      expect(b).toMatchObject({ content: 'Not a swipe', swipe_id: 0, swipes: ['Not a swipe', 'B'] });
      expect(b!.extra!.cardshark_import).toEqual({ swipe_id: -1, selected_swipe_text: 'A' });
    });
  });

  it('keeps hidden (is_system) and system-type messages apart', async () => {
    const dir = tempDir();
    const hidden = { ...user, is_system: true, mes: 'hidden from the prompt' };
    const narrator = { name: 'System', is_user: false, is_system: false, mes: 'The night falls.', send_date: 1700000000000, extra: { type: 'narrator' } };
    const src = writeSource(join(dir, 'h.jsonl'), jsonl(OLDER_HEADER, hidden, narrator));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      const [h, n] = await allMessages(store, r.chats[0]!.chatId);
      expect(h).toMatchObject({ role: 'user', content: 'hidden from the prompt' });
      expect((h!.extra!.sillytavern as { is_system: boolean }).is_system).toBe(true);
      expect(n).toMatchObject({ role: 'system', content: 'The night falls.', extra: { type: 'narrator' } });
    });
  });

  it('splits several chats in one file (CardShark bulk export) into several chats', async () => {
    const dir = tempDir();
    const text = `${jsonl(OLDER_HEADER, user, assistant)}\n\n${jsonl({ ...OLDER_HEADER, create_date: '2024-11-01@10h00m00s' }, { ...user, mes: 'second chat' })}`;
    const src = writeSource(join(dir, 'bulk.jsonl'), text);
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats.map((c) => [c.index, c.messageCount, c.title])).toEqual([
        [0, 2, 'bulk (1)'],
        [1, 1, 'bulk (2)'],
      ]);
      expect(new Set(r.chats.map((c) => c.chatId)).size).toBe(2);
      expect((await allMessages(store, r.chats[1]!.chatId))[0]!.content).toBe('second chat');
    });
  });

  it('a damaged source: imports the rest, reports a garbage middle line and a cut last line by number', async () => {
    const dir = tempDir();
    const full = JSON.stringify({ ...user, mes: 'the last one' });
    const text = [JSON.stringify(OLDER_HEADER), JSON.stringify(user), '{"name":"You","is_user":tr\u0000garbage', JSON.stringify(assistant), '[1,2]', JSON.stringify({ hello: 'not a message' }), full.slice(0, full.length >> 1)].join('\n');
    const src = writeSource(join(dir, 'damaged.jsonl'), text);
    const before = treeHash(src);
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.failed).toEqual([]);
      const c = r.chats[0]!;
      expect(c.messageCount).toBe(2);
      expect(c.problems).toEqual([
        { file: 'damaged.jsonl', line: 3, reason: 'not valid JSON' },
        { file: 'damaged.jsonl', line: 5, reason: 'not a JSON object' },
        { file: 'damaged.jsonl', line: 6, reason: 'not a message: no "mes" and no "role"/"content"' },
        { file: 'damaged.jsonl', line: 7, reason: 'not valid JSON: the last line is cut off' },
      ]);
      expect((await allMessages(store, c.chatId)).map((m) => m.content)).toEqual(['Hi!', 'Hello.']);
    });
    expect(treeHash(src)).toBe(before);
  });

  it('a message over the store’s limits is reported by line and the rest is written', async () => {
    const dir = tempDir();
    const huge = { ...user, mes: 'x'.repeat(1_000_001) };
    const src = writeSource(join(dir, 'big.jsonl'), jsonl(OLDER_HEADER, user, huge, assistant));
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats[0]!.messageCount).toBe(2);
      expect(r.chats[0]!.problems).toHaveLength(1);
      expect(r.chats[0]!.problems[0]).toMatchObject({ file: 'big.jsonl', line: 3 });
      expect(r.chats[0]!.problems[0]!.reason).toMatch(/content/);
    });
  });

  it('a file with nothing readable fails with the reason; a missing path is NOT_FOUND; a bad --character is INVALID_INPUT', async () => {
    const dir = tempDir();
    const src = writeSource(join(dir, 'junk.jsonl'), 'not json\nstill not');
    await withStore(async (store) => {
      const r = await importPath(store, src);
      expect(r.chats).toEqual([]);
      expect(r.failed).toHaveLength(1);
      expect(r.failed[0]!.reason).toMatch(/holds no readable chat: line 1 not valid JSON/);
      await expect(importPath(store, join(dir, 'nope.jsonl'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
      const err = await importPath(store, src, { characterId: '../escape' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: 'INVALID_INPUT' });
    });
  });
});

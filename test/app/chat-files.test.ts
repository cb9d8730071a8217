// The app's chat Import/Export channels: bytes in (never a path), chats listed under their
// character (registered when the app did not know it), idempotent, and the export's bytes out.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-chatfiles-'));
  const store = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: (s) => s });
  cleanups.push(async () => {
    await services.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const call = (ch: string, p: unknown = {}) => services.binding.handle(true, ch, p) as Promise<any>;
  return { call, events };
}

const st = [
  JSON.stringify({ user_name: 'You', character_name: 'Nyx', create_date: '2024-10-18@20h52m30s', chat_metadata: {} }),
  JSON.stringify({ name: 'You', is_user: true, send_date: '2025-01-02T10:11:40.123Z', mes: 'Hi' }),
  JSON.stringify({ name: 'Nyx', is_user: false, send_date: '2025-01-02T10:11:41.000Z', mes: 'Hello.', swipes: ['Hello.', 'Hey.'], swipe_id: 0 }),
].join('\n');
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('chat files over IPC', () => {
  it('imports into a character the app did not know: it is listed by the name the file gives, and a second import writes nothing', async () => {
    const { call, events } = await setup();
    const r = await call('importChatFile', { fileName: '../../etc/Nyx.jsonl', bytesBase64: b64(st) });
    expect(r.ok).toBe(true);
    expect(r.data.chats).toMatchObject([{ status: 'created', messageCount: 2, linesNotImported: 0 }]);
    const { characterId, chatId } = r.data.chats[0];
    expect((await call('listCharacters')).data).toMatchObject([{ id: characterId, name: 'Nyx' }]);
    expect(events.some(([e, p]) => e === 'chat:changed' && p.chatId === chatId)).toBe(true);
    expect((await call('listChats', { characterId })).data.map((c: any) => c.chatId)).toEqual([chatId]);
    const again = await call('importChatFile', { fileName: 'Nyx.jsonl', bytesBase64: b64(st) });
    expect(again.data.chats).toMatchObject([{ chatId, status: 'already_imported' }]);
    expect((await call('listCharacters')).data).toHaveLength(1);
  });

  it('imports into the chosen character, refuses an unknown one, and exports the chat back as SillyTavern JSONL', async () => {
    const { call } = await setup();
    const c = (await call('createCharacter', { name: 'Mine' })).data;
    expect((await call('importChatFile', { fileName: 'x.jsonl', bytesBase64: b64(st), characterId: 'nobody' })).error.code).toBe('NOT_FOUND');
    const r = (await call('importChatFile', { fileName: 'x.jsonl', bytesBase64: b64(st), characterId: c.id })).data;
    expect(r.chats[0].characterId).toBe(c.id);
    const out = (await call('exportChat', { chatId: r.chats[0].chatId, format: 'st' })).data;
    expect(out.fileName).toMatch(/\.jsonl$/);
    const lines = Buffer.from(out.bytesBase64, 'base64').toString('utf8').split('\n').map((l) => JSON.parse(l));
    expect(lines.slice(1).map((m) => m.mes)).toEqual(['Hi', 'Hello.']);
    expect(lines[2].swipes).toEqual(['Hello.', 'Hey.']);
  });

  it('a file that is not a chat is a clear error and creates nothing', async () => {
    const { call } = await setup();
    const r = await call('importChatFile', { fileName: 'notes.jsonl', bytesBase64: b64('just some text\nnot json') });
    expect(r.ok).toBe(false);
    expect(r.error.code).toBe('INVALID_INPUT');
    expect((await call('listCharacters')).data).toEqual([]);
  });
});

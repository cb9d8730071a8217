// Chat files of any size through the binding (issue 16): chunks in order, each acknowledged; the
// import streamed from main's temp file; Cancel before or during the import leaves no chat and no
// temp file; bad chunks are refused and end the upload.
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices, type Services } from '../../electron/ipc/services.ts';
import { uploadsDir } from '../../electron/ipc/chat-uploads.ts';

let open: Services<boolean>[] = [];
afterEach(async () => {
  await Promise.all(open.map((s) => s.shutdown()));
  open = [];
});

type R = { ok: true; data: any } | { ok: false; error: { code: string; message: string } };

async function setup() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-upload-'));
  const store = await openChatStore({ dataDir });
  const events: { event: string; payload: any }[] = [];
  const services = createServices<boolean>({ store, emit: (event, payload) => events.push({ event, payload }), isTrustedSender: (t) => t, watch: false });
  open.push(services);
  const call = (ch: string, payload: unknown) => services.binding.handle(true, ch, payload) as Promise<R>;
  const c = await call('createCharacter', { name: 'Keeper' });
  return { dataDir, store, call, events, characterId: c.ok ? (c.data.id as string) : '' };
}

/** A SillyTavern chat of `n` messages. */
function stChat(n: number): Buffer {
  const lines = [JSON.stringify({ user_name: 'You', character_name: 'Keeper', create_date: '2024-01-01 @10h 00m 00s 000ms', chat_metadata: {} })];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ name: i % 2 ? 'Keeper' : 'You', is_user: i % 2 === 0, send_date: 1_700_000_000_000 + i, mes: `message ${i} ${'lorem ipsum '.repeat(20)}` }));
  return Buffer.from(`${lines.join('\n')}\n`);
}

async function send(call: (ch: string, p: unknown) => Promise<R>, uploadId: string, bytes: Buffer, chunk: number, upTo = bytes.length): Promise<void> {
  for (let off = 0; off < upTo; off += chunk) {
    const r = await call('importUploadChunk', { uploadId, offset: off, bytesBase64: bytes.subarray(off, Math.min(off + chunk, upTo)).toString('base64') });
    expect(r).toMatchObject({ ok: true, data: { received: Math.min(off + chunk, upTo) } });
  }
}

const leftovers = async (dataDir: string) => (await readdir(uploadsDir(dataDir)).catch(() => [] as string[])).length;

describe('chat files of any size from the renderer', () => {
  it('imports a file sent in chunks, with progress; nothing is left in the uploads folder', { timeout: 120_000 }, async () => {
    const { dataDir, store, call, events, characterId } = await setup();
    const bytes = stChat(20_000); // ~5.6 MB: several chunks
    const start = await call('importUploadStart', { fileName: 'keeper.jsonl', size: bytes.length, characterId });
    expect(start.ok).toBe(true);
    const { uploadId } = (start as { data: { uploadId: string } }).data;
    await send(call, uploadId, bytes, 1 << 20);
    const done = await call('importUploadFinish', { uploadId });
    expect(done).toMatchObject({ ok: true });
    const chat = (done as { data: { chats: { chatId: string; messageCount: number; status: string }[] } }).data.chats[0]!;
    expect(chat).toMatchObject({ status: 'created', messageCount: 20_000 });
    expect((await store.getChat(chat.chatId)).messageCount).toBe(20_000);
    const progress = events.filter((e) => e.event === 'import:progress' && e.payload.uploadId === uploadId).map((e) => e.payload);
    expect(progress.some((p) => p.phase === 'upload' && p.bytesRead === bytes.length)).toBe(true);
    expect(events.some((e) => e.event === 'chat:changed' && e.payload.chatId === chat.chatId)).toBe(true);
    expect(await leftovers(dataDir)).toBe(0);
  });

  it('Cancel while sending, and Cancel while importing: no chat, no temp file', { timeout: 120_000 }, async () => {
    const { dataDir, store, call, events, characterId } = await setup();
    const before = (await store.listAllChats()).length;
    const bytes = stChat(100_000); // ~28 MB: the import takes long enough to be cancelled under way
    const a = (await call('importUploadStart', { fileName: 'a.jsonl', size: bytes.length, characterId })) as { ok: true; data: { uploadId: string } };
    await send(call, a.data.uploadId, bytes, 1 << 20, 8 << 20);
    expect(await leftovers(dataDir)).toBe(1);
    expect(await call('importUploadCancel', { uploadId: a.data.uploadId })).toMatchObject({ ok: true });
    expect(await leftovers(dataDir)).toBe(0);
    expect(await call('importUploadChunk', { uploadId: a.data.uploadId, offset: 8 << 20, bytesBase64: 'AAAA' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });

    const b = (await call('importUploadStart', { fileName: 'b.jsonl', size: bytes.length, characterId })) as { ok: true; data: { uploadId: string } };
    await send(call, b.data.uploadId, bytes, 1 << 20);
    const finishing = call('importUploadFinish', { uploadId: b.data.uploadId });
    // Cancel once the import is writing messages.
    while (!events.some((e) => e.event === 'import:progress' && e.payload.uploadId === b.data.uploadId && e.payload.phase !== 'upload')) await new Promise((r) => setTimeout(r, 5));
    expect(await call('importUploadCancel', { uploadId: b.data.uploadId })).toMatchObject({ ok: true });
    expect(await finishing).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect((await store.listAllChats()).length).toBe(before);
    expect(await leftovers(dataDir)).toBe(0);
    const chatsDir = path.join(dataDir, 'chats', characterId);
    expect((await readdir(chatsDir).catch(() => [] as string[])).filter((n) => !n.endsWith('.jsonl'))).toEqual([]); // no temp file of the import either
  });

  it('chunks out of order or past the announced size are refused, and end the upload', async () => {
    const { dataDir, call, characterId } = await setup();
    const s = (await call('importUploadStart', { fileName: 'x.jsonl', size: 10, characterId })) as { ok: true; data: { uploadId: string } };
    expect(await call('importUploadChunk', { uploadId: s.data.uploadId, offset: 4, bytesBase64: 'AAAA' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('importUploadChunk', { uploadId: s.data.uploadId, offset: 0, bytesBase64: Buffer.alloc(11).toString('base64') })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('importUploadFinish', { uploadId: s.data.uploadId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await leftovers(dataDir)).toBe(0);
    expect(await call('importUploadStart', { fileName: 'x.jsonl', size: -1, characterId })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await call('importUploadChunk', { uploadId: '../../etc', offset: 0, bytesBase64: 'AAAA' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
});

// A chat file picked in main's own dialog (Electron, issue 16): main imports it straight from its
// path with the upload's progress and Cancel; the renderer sends no bytes and names no path. The
// dialog is Electron's: here a stand-in returns what a user would pick (real files on disk).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices, type Services } from '../../electron/ipc/services.ts';
import { uploadsDir } from '../../electron/ipc/chat-uploads.ts';
import { REWRITE_TEMP } from '../../electron/store/layout.ts';
import { writeChat } from '../import/generated-chat.ts';

let open: Services<boolean>[] = [];
afterEach(async () => {
  await Promise.all(open.map((s) => s.shutdown()));
  open = [];
});

type R = { ok: true; data: any } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } };

/** Services whose file dialog answers with `picks` in turn (a path, or null: the dialog closed). */
async function setup(picks: (string | null)[] | null) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-picked-'));
  const store = await openChatStore({ dataDir });
  const events: { event: string; payload: any }[] = [];
  let dialogs = 0;
  const pickChatFile = picks && (async () => (dialogs++, picks.shift() ?? null));
  const services = createServices<boolean>({ store, emit: (event, payload) => events.push({ event, payload }), isTrustedSender: (t) => t, watch: false, ...(pickChatFile ? { pickChatFile } : {}) });
  open.push(services);
  const call = (ch: string, payload: unknown) => services.binding.handle(true, ch, payload) as Promise<R>;
  const c = await call('createCharacter', { name: 'Keeper' });
  return { dataDir, store, call, events, dialogs: () => dialogs, characterId: c.ok ? (c.data.id as string) : '' };
}

async function sourceFile(messages: number): Promise<{ file: string; hash: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-picked-src-'));
  const file = path.join(dir, 'Séraphine - 2024.jsonl');
  writeChat(file, messages);
  return { file, hash: await sha(file) };
}
const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');
const inUploads = async (dataDir: string) => readdir(uploadsDir(dataDir)).catch(() => [] as string[]);
const tempFilesIn = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).filter((n) => REWRITE_TEMP.test(n));

describe("a chat file picked in main's dialog", () => {
  it('is imported from its path with progress; the file is left as it was and no copy is made', { timeout: 120_000 }, async () => {
    const src = await sourceFile(30_000);
    const { dataDir, store, call, events, characterId } = await setup([src.file]);
    const pick = await call('importPickedChat', { characterId });
    expect(pick).toMatchObject({ ok: true, data: { picked: { fileName: 'Séraphine - 2024.jsonl' } } });
    const { uploadId, size } = (pick as { data: { picked: { uploadId: string; size: number } } }).data.picked;
    expect(size).toBe((await readFile(src.file)).length);
    expect(await inUploads(dataDir)).toEqual([]); // read where it is: nothing copied

    const done = await call('importUploadFinish', { uploadId });
    expect(done).toMatchObject({ ok: true, data: { failed: [], chats: [{ status: 'created', messageCount: 30_000, characterId, linesNotImported: 0 }] } });
    const chatId = (done as { data: { chats: { chatId: string }[] } }).data.chats[0]!.chatId;
    expect((await store.getChat(chatId)).messageCount).toBe(30_000);
    const page = await store.loadChat(chatId, { limit: 1 });
    expect(page.messages[0]!.content).toMatch(/^Séraphine says 29999: the lantern swings/);

    const progress = events.filter((e) => e.event === 'import:progress' && e.payload.uploadId === uploadId).map((e) => e.payload);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.fileName === 'Séraphine - 2024.jsonl' && p.phase !== 'upload' && p.bytesTotal === size)).toBe(true);
    expect(progress.some((p) => p.phase === 'write' && p.messagesWritten > 0)).toBe(true);
    expect(events.some((e) => e.event === 'chat:changed' && e.payload.chatId === chatId)).toBe(true);

    expect(await sha(src.file)).toBe(src.hash); // the user's file, read only
    expect(await inUploads(dataDir)).toEqual([]);
    expect(await tempFilesIn(path.join(dataDir, 'chats', characterId))).toEqual([]);
    expect(await call('importUploadFinish', { uploadId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } }); // done once
  });

  it('Cancel while importing: CANCELLED, no chat, no temp file, and the picked file is untouched', { timeout: 120_000 }, async () => {
    const src = await sourceFile(150_000); // ~20 MB: long enough to be cancelled under way, written through a temp file
    const { dataDir, store, call, events, characterId } = await setup([src.file]);
    const before = (await store.listAllChats()).length;
    const pick = (await call('importPickedChat', { characterId })) as { ok: true; data: { picked: { uploadId: string } } };
    const { uploadId } = pick.data.picked;
    const finishing = call('importUploadFinish', { uploadId });
    const charDir = path.join(dataDir, 'chats', characterId);
    // Cancel once messages are being written.
    while (!events.some((e) => e.event === 'import:progress' && e.payload.uploadId === uploadId && e.payload.phase === 'write' && e.payload.messagesWritten > 0)) {
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await call('importUploadCancel', { uploadId })).toMatchObject({ ok: true });
    expect(await finishing).toMatchObject({ ok: false, error: { code: 'CANCELLED' } });
    expect((await store.listAllChats()).length).toBe(before);
    expect(await readdir(charDir).catch(() => [] as string[])).toEqual([]); // no chat, no temp file of the import
    expect(await sha(src.file)).toBe(src.hash);
    expect(await inUploads(dataDir)).toEqual([]);
  });

  it('Cancel after the pick drops it (the file stays); the dialog closed imports nothing', async () => {
    const src = await sourceFile(100);
    const { store, call, characterId, dialogs } = await setup([null, src.file]);
    expect(await call('importPickedChat', { characterId })).toEqual({ ok: true, data: { picked: null } });
    const pick = (await call('importPickedChat', { characterId })) as { ok: true; data: { picked: { uploadId: string } } };
    expect(dialogs()).toBe(2);
    expect(await call('importUploadCancel', { uploadId: pick.data.picked.uploadId })).toMatchObject({ ok: true });
    expect(await call('importUploadFinish', { uploadId: pick.data.picked.uploadId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(await sha(src.file)).toBe(src.hash);
    expect(await store.listAllChats()).toEqual([]);
  });

  it('a picked file takes no chunks: it is read from its path only', async () => {
    const src = await sourceFile(10);
    const { call, characterId } = await setup([src.file]);
    const pick = (await call('importPickedChat', { characterId })) as { ok: true; data: { picked: { uploadId: string; size: number } } };
    const { uploadId, size } = pick.data.picked;
    expect(await call('importUploadChunk', { uploadId, offset: size, bytesBase64: 'AAAA' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    expect(await sha(src.file)).toBe(src.hash);
  });

  it('a path gone or not a file is a typed error, and takes no import slot', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-picked-bad-'));
    await mkdir(path.join(dir, 'a folder.jsonl'));
    const gone = path.join(dir, 'gone.jsonl');
    const bad = [gone, path.join(dir, 'a folder.jsonl'), path.join(dir, 'gone', 'below.jsonl')];
    const { call, characterId, store } = await setup([...bad, ...bad]);
    for (let round = 0; round < 2; round++) {
      expect(await call('importPickedChat', { characterId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND', details: { reason: 'picked' } } });
      expect(await call('importPickedChat', { characterId })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { reason: 'picked' } } });
      expect(await call('importPickedChat', { characterId })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    }
    // Six failed picks took none of the 4 slots: a real upload still starts.
    expect(await call('importUploadStart', { fileName: 'x.jsonl', size: 1, characterId })).toMatchObject({ ok: true });
    expect(await store.listAllChats()).toEqual([]);
  });

  it('an unknown character is refused before the dialog opens', async () => {
    const { call, dialogs } = await setup(['/nonexistent']);
    expect(await call('importPickedChat', { characterId: 'nobody' })).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(dialogs()).toBe(0);
  });

  it('without a dialog (the browser host) the channel is unavailable: files are sent in chunks there', async () => {
    const { call, characterId } = await setup(null);
    expect(await call('importPickedChat', { characterId })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { reason: 'unavailable' } } });
    expect(await call('importPickedChat', { path: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { reason: 'payload' } } }); // the renderer names no path
  });
});

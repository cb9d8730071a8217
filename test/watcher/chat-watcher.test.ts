// The chats-folder watcher with real files, real chokidar events and real child processes as the
// other program: outside appends, atomic replaces and deletes are seen; the store's own writes
// are not mistaken for them; an outside change during a streamed reply keeps both versions.
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { ignoredPath } from '../../electron/watcher/chat-watcher.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { tempDir } from '../store/helpers.ts';
import { characterWithChat, external, messageLine, startServices, until } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function setup(provider?: Provider, watchSettleMs?: number) {
  const dataDir = tempDir();
  const app = await startServices(cleanups, dataDir, { autosaveIntervalMs: 20, provider, watchSettleMs });
  const chat = await characterWithChat(app.ok, dataDir, 'Watcher', 'Watched');
  const externalEvents = () => app.events.filter(([n, p]) => (n === 'chat:changed' || n === 'chat:removed') && p.source === 'external');
  return { dataDir, ...app, ...chat, externalEvents };
}

describe('chats-folder watcher', () => {
  it('ignores temp and partial files by a function (string patterns do not glob)', () => {
    expect(ignoredPath('/d/chats/c/0b6e1f7e-8b7a-4c1e-9f3e-1a2b3c4d5e6f.jsonl')).toBe(false);
    expect(ignoredPath('/d/chats/c/0b6e1f7e-8b7a-4c1e-9f3e-1a2b3c4d5e6f.jsonl.3124511')).toBe(true);
    expect(ignoredPath('/d/chats/c/x.jsonl.tmp-editor')).toBe(true);
    expect(ignoredPath('/d/chats/c/x.sync-conflict-20240101-101010-ABCDEFG.jsonl')).toBe(false);
    expect(ignoredPath('/d/chats/character_1')).toBe(false);
  });

  it('an outside append is seen within 2 s and the chat is re-read', async () => {
    const s = await setup();
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'mine' } });
    await external('append', s.file, messageLine('ext-1', 'written by another program'));
    const [, ev] = await until(() => s.externalEvents().find(([n]) => n === 'chat:changed'), 2000, 'chat:changed external');
    expect(ev).toMatchObject({ chatId: s.chatId, summary: { messageCount: 2 } });
    const page = await s.ok('loadChat', { chatId: s.chatId });
    expect(page.messages.map((m: any) => m.content)).toEqual(['mine', 'written by another program']);
    // And the app can write after it: the chat was re-read, no CONFLICT.
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'after' } });
  });

  it('an in-place edit of the same length (same inode, same size) is seen: the mtime moved', async () => {
    const s = await setup();
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'colour' } });
    await sleep(20); // a later mtime than our write even on a coarse clock
    await external('patch', s.file, 'colour=>color_');
    await until(() => s.externalEvents().find(([n]) => n === 'chat:changed'), 2000, 'same-size edit');
    expect((await s.ok('loadChat', { chatId: s.chatId })).messages.map((m: any) => m.content)).toEqual(['color_']);
  });

  it('an atomic replace (temp file + rename) is seen within 2 s', async () => {
    const s = await setup();
    const header = (await readFile(s.file, 'utf8')).split('\n')[0]!;
    await external('replace', s.file, `${header}\n${messageLine('ext-2', 'replaced by an editor')}`);
    await until(() => s.externalEvents().find(([n, p]) => n === 'chat:changed' && p.summary.messageCount === 1), 2000, 'chat:changed after replace');
    const page = await s.ok('loadChat', { chatId: s.chatId });
    expect(page.messages.map((m: any) => m.content)).toEqual(['replaced by an editor']);
  });

  it('an outside delete is seen within 2 s: the chat leaves the list and a write to it is refused', async () => {
    const s = await setup();
    const other = await s.ok('createChat', { characterId: s.characterId, title: 'Other' });
    await s.ok('setActiveChat', { characterId: s.characterId, chatId: s.chatId });
    await external('delete', s.file);
    const [, ev] = await until(() => s.externalEvents().find(([n]) => n === 'chat:removed'), 2000, 'chat:removed external');
    expect(ev).toMatchObject({ chatId: s.chatId, characterId: s.characterId, nextChatId: other.chatId });
    expect((await s.ok('listChats', { characterId: s.characterId })).map((c: any) => c.chatId)).toEqual([other.chatId]);
    const r = (await s.services.binding.handle(true, 'appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'into the void' } })) as any;
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    await expect(stat(s.file)).rejects.toMatchObject({ code: 'ENOENT' }); // never recreated
    expect((await s.ok('getActiveChat', { characterId: s.characterId })).chatId).toBe(other.chatId);
  });

  it('a chat deleted outside and read before the watcher looks: it still leaves every list, once, and the next chat is active', async () => {
    const s = await setup(undefined, 1500); // the watcher's check comes long after the load below
    const other = await s.ok('createChat', { characterId: s.characterId, title: 'Other' });
    await s.ok('setActiveChat', { characterId: s.characterId, chatId: s.chatId });
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'soon gone' } });
    await s.store.flush();
    await external('delete', s.file);
    const r = (await s.services.binding.handle(true, 'loadChat', { chatId: s.chatId })) as any;
    expect(r).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const [, ev] = await until(() => s.externalEvents().find(([n]) => n === 'chat:removed'), 1000, 'chat:removed from the load');
    expect(ev).toMatchObject({ chatId: s.chatId, characterId: s.characterId, nextChatId: other.chatId });
    await s.services.watcher!.idle();
    await sleep(1700);
    await s.services.watcher!.idle();
    expect(s.externalEvents().filter(([n]) => n === 'chat:removed')).toHaveLength(1);
    expect((await s.ok('getActiveChat', { characterId: s.characterId })).chatId).toBe(other.chatId);
  });

  it('a chat the app imports is its own write: no outside-change event for it', async () => {
    const s = await setup();
    const st = `${JSON.stringify({ user_name: 'You', character_name: 'Imp', create_date: '2024-10-18@20h52m30s', chat_metadata: {} })}\n${JSON.stringify({ name: 'You', is_user: true, is_system: false, send_date: '2024-10-18T20:52:30.000Z', mes: 'imported', extra: {} })}\n`;
    const r = await s.ok('importChatFile', { fileName: 'imp.jsonl', bytesBase64: Buffer.from(st).toString('base64'), characterId: s.characterId });
    const chatId = r.chats[0].chatId as string;
    await sleep(600); // past the watcher's settle delay
    await s.services.watcher!.idle();
    expect(s.externalEvents().filter(([, p]) => p.chatId === chatId)).toEqual([]);
  });

  it('100 own writes raise no outside-change event', async () => {
    const s = await setup();
    for (let i = 0; i < 100; i++) {
      if (i % 10 === 9) await s.ok('renameChat', { chatId: s.chatId, title: `Title ${i}` });
      else await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: `own ${i}` } });
    }
    await s.store.compactChat(s.chatId); // an atomic rewrite of our own: a new inode
    await sleep(500);
    await s.services.watcher!.idle();
    expect(s.externalEvents()).toEqual([]);
    // The watcher is alive all the same: a real outside append right after is seen.
    await external('append', s.file, messageLine('ext-3', 'just after our writes'));
    await until(() => s.externalEvents().length > 0, 2000, 'outside append after own writes');
  });

  it('an outside change during a streamed reply keeps both versions, byte for byte', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const provider: Provider = async function* (ctx) {
      yield 'The app ';
      yield 'was writing this.';
      await Promise.race([gate, new Promise((r) => ctx.signal.addEventListener('abort', r))]);
      if (!ctx.signal.aborted) yield ' More text that must not land in the outside file.';
    };
    const s = await setup(provider);
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'Hello' } });
    const { streamId } = await s.ok('generate', { mode: 'new', chatId: s.chatId });
    // The reply's first text is on disk (streaming) before the other program writes.
    await until(() => s.events.some(([n, p]) => n === 'stream:chunk' && p.streamId === streamId), 2000, 'first chunk');
    await s.services.autosave.flush();
    const header = (await readFile(s.file, 'utf8')).split('\n')[0]!;
    const theirs = `${header}\n${messageLine('their-1', 'Their version of the chat')}`;
    await external('replace', s.file, theirs);
    await until(() => s.events.find(([n, p]) => n === 'stream:end' && p.streamId === streamId), 3000, 'stream ended');
    release();
    const [, changed] = await until(() => s.externalEvents().find(([n]) => n === 'chat:changed'), 3000, 'external change');
    expect(changed.chatId).toBe(s.chatId);
    await s.services.watcher!.idle();
    await s.services.autosave.flush();
    // Theirs: exactly the bytes the other program wrote.
    expect(await readFile(s.file, 'utf8')).toBe(theirs);
    // Ours: a new chat with the user message and the reply as the app had it.
    const chats = await s.ok('listChats', { characterId: s.characterId });
    const copy = chats.find((c: any) => c.title === 'Watched (conflict copy)');
    expect(copy).toBeDefined();
    const mine = await s.ok('loadChat', { chatId: copy.chatId });
    expect(mine.messages.map((m: any) => [m.role, m.content])).toEqual([
      ['user', 'Hello'],
      ['assistant', 'The app was writing this.'],
    ]);
    expect(s.events.some(([n, p]) => n === 'notice' && /conflict copy/.test(p.message))).toBe(true);
  });

  it('a file copied in is listed; a sync conflict copy is merged into its chat and removed (issue 17)', async () => {
    const s = await setup();
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'original' } });
    const dir = path.dirname(s.file);
    const conflictName = `${s.chatId}.sync-conflict-20240101-101010-ABCDEFG.jsonl`;
    const bytes = await readFile(s.file, 'utf8');
    const theirs = `${bytes}${messageLine('sync-1', 'from the other device')}`;
    await external('write', path.join(dir, conflictName), theirs);
    await until(() => s.externalEvents().find(([n, p]) => n === 'chat:changed' && p.chatId === s.chatId && p.summary.messageCount === 2), 2000, 'merged conflict copy');
    const page = await s.ok('loadChat', { chatId: s.chatId });
    expect(page.messages.map((m: any) => m.content)).toEqual(['original', 'from the other device']);
    expect((await readdir(dir)).includes(conflictName)).toBe(false);
    expect(s.events.some(([n, p]) => n === 'notice' && p.message.includes(conflictName) && p.message.includes('merged 1 message'))).toBe(true);
    // A chat file with a fresh id copied in from elsewhere is listed as it is.
    const newId = '1b6e1f7e-8b7a-4c1e-9f3e-1a2b3c4d5e6f';
    const copied = bytes.split('\n')[0]!.replace(s.chatId, newId);
    await external('write', path.join(dir, `${newId}.jsonl`), `${copied}\n${messageLine('c-1', 'copied in')}`);
    await until(() => s.externalEvents().find(([, p]) => p.chatId === newId), 2000, 'copied chat listed');
    expect((await s.ok('loadChat', { chatId: newId })).messages.map((m: any) => m.content)).toEqual(['copied in']);
    // Not our format: reported, never silently ignored.
    await external('write', path.join(dir, 'old-export.jsonl'), '{"user_name":"You","character_name":"Old"}\n');
    await until(() => s.events.find(([n, p]) => n === 'notice' && p.message.includes('old-export.jsonl')), 2000, 'legacy notice');
    expect((await readdir(dir)).includes('old-export.jsonl')).toBe(true);
  });

  it('a last line another program is still writing is not cut off: read-only until complete', async () => {
    const s = await setup();
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'first' } });
    const line = messageLine('slow-1', 'written in two parts');
    const half = line.slice(0, 20);
    await external('append', s.file, half);
    const size = (await stat(s.file)).size;
    await until(() => s.externalEvents().find(([n, p]) => n === 'chat:changed' && p.summary.status === 'read_only'), 5000, 'read-only after a torn outside write');
    expect((await stat(s.file)).size).toBe(size); // nothing truncated
    await external('append', s.file, line.slice(20));
    await until(() => s.externalEvents().find(([n, p]) => n === 'chat:changed' && p.summary.status === 'ok' && p.summary.messageCount === 2), 5000, 'complete line read');
    expect(await readFile(s.file, 'utf8')).toContain(line);
  });
});

describe('files that arrived while the app was closed', () => {
  it('a sync conflict copy found at start-up is merged into its chat once (issue 17: no second chat)', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    const chat = await store.createChat({ characterId: 'cz', title: 'Synced' });
    await store.appendMessage(chat.chatId, { role: 'user', content: 'here' });
    await store.close();
    const dir = path.join(dataDir, 'chats', 'cz');
    const name = `${chat.chatId}.sync-conflict-20250102-030405-XYZ1234.jsonl`;
    const bytes = `${await readFile(path.join(dir, `${chat.chatId}.jsonl`), 'utf8')}${messageLine('there-1', 'from the laptop')}`;
    await writeFile(path.join(dir, name), bytes);

    const start = async () => {
      const s = await openChatStore({ dataDir });
      const events: [string, any][] = [];
      const services = createServices<boolean>({ store: s, emit: (e, p) => events.push([e, p]), isTrustedSender: () => true });
      await services.ready;
      await services.watcher!.idle();
      const titles = (await s.listChats('cz')).map((c) => c.title).sort();
      const contents = (await s.loadChat(chat.chatId)).messages.map((m) => m.content);
      await services.shutdown();
      return { titles, contents, events };
    };
    const first = await start();
    expect(first.titles).toEqual(['Synced']);
    expect(first.contents).toEqual(['here', 'from the laptop']);
    expect((await readdir(dir)).includes(name)).toBe(false);
    const again = await start();
    expect(again.titles).toEqual(first.titles);
    expect(again.contents).toEqual(first.contents);
  });
});

describe('store: a torn tail after an outside change', () => {
  it('is reported, not truncated, when the store re-reads a changed file', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    cleanups.push(() => store.close());
    const chat = await store.createChat({ characterId: 'c1', title: 't' });
    await store.appendMessage(chat.chatId, { role: 'user', content: 'one' });
    const file = path.join(dataDir, 'chats', 'c1', `${chat.chatId}.jsonl`);
    await external('append', file, '{"id":"x","role":"us');
    const size = (await stat(file)).size;
    const summary = await store.getChat(chat.chatId); // notices the change and re-reads
    expect(summary.status).toBe('read_only');
    expect((await stat(file)).size).toBe(size);
    await writeFile(file, (await readFile(file, 'utf8')) + 'er","content":"two","timestamp":1}\n');
    expect(await store.refreshChat(chat.chatId)).toMatchObject({ status: 'ok', messageCount: 2 });
  });
});

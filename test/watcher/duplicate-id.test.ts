// Issue 14, fault 8: a chat file copied into another character's folder (by another process, while
// the app is closed) must not take the chat's id at the next start. The chat keeps its id, its
// folder and its writes across restarts; the copy is imported as a new chat and the user is told.
// Real files, a real `cp` process, real restarts of the store with its watcher.
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { tempDir } from '../store/helpers.ts';
import { startServices, until } from './helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

const run = promisify(execFile);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** The store and the services (with the watcher) on a data directory, as the app starts them. */
async function start(dataDir: string) {
  const { store, services, events, stop } = await startServices(cleanups, dataDir);
  await services.watcher!.idle();
  return { store, services, events, stop };
}

/**
 * A chat of character `ca` with two messages, the app closed, then the file copied by `cp` into
 * the folder of another character that the store reads after `ca` (so "the later folder wins"
 * would pick the copy, whatever order this file system lists folders in).
 */
async function chatCopiedElsewhere(dataDir: string) {
  const app = await start(dataDir);
  const chat = await app.store.createChat({ characterId: 'ca', title: 'Original' });
  await app.store.appendMessages(chat.chatId, [
    { role: 'user', content: 'first' },
    { role: 'assistant', content: 'second' },
  ]);
  await app.stop();
  const chatsDir = path.join(dataDir, 'chats');
  for (const c of ['cb', 'cc', 'cd', 'ce', 'cf']) await mkdir(path.join(chatsDir, c));
  const order = await readdir(chatsDir);
  // The test needs a folder listed after `ca` (one of five is, on any file system seen so far).
  const later = order.slice(order.indexOf('ca') + 1);
  expect(later.length, `folders as listed: ${order.join(', ')}`).toBeGreaterThan(0);
  const other = later[later.length - 1]!;
  const name = `${chat.chatId}.jsonl`;
  await run('cp', [path.join(chatsDir, 'ca', name), path.join(chatsDir, other, name)]);
  return { chatId: chat.chatId, other, original: path.join(chatsDir, 'ca', name), copy: path.join(chatsDir, other, name) };
}

describe('a chat file copied into another character folder', () => {
  it('does not take the chat id at the next start: the chat keeps its folder and its writes; the copy is imported and reported', async () => {
    const dataDir = tempDir();
    const { chatId, other, original, copy } = await chatCopiedElsewhere(dataDir);
    const copyBytes = await readFile(copy, 'utf8');

    const app = await start(dataDir);
    const summary = await app.store.getChat(chatId);
    expect(summary.characterId).toBe('ca');
    expect((await app.store.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['first', 'second']);
    await app.store.appendMessage(chatId, { role: 'user', content: 'third' });
    expect(await readFile(original, 'utf8')).toContain('"third"');
    expect(await readFile(copy, 'utf8')).toBe(copyBytes); // the copy is never written to
    // The copy: imported as a new chat of the other character, and the user is told.
    const imported = await until(() => app.events.find(([n, p]) => n === 'chat:changed' && p.source === 'external' && p.chatId !== chatId), 5000, 'copy imported');
    expect(imported[1]).toMatchObject({ characterId: other, summary: { messageCount: 2 } });
    expect(app.events.some(([n, p]) => n === 'notice' && p.message.includes(`${chatId}.jsonl`))).toBe(true);
    expect((await app.store.listChats('ca')).map((c) => c.chatId)).toEqual([chatId]);
    await app.stop();

    // Across another restart: the same chat in the same folder, with its write; nothing imported again.
    const again = await start(dataDir);
    expect((await again.store.getChat(chatId)).characterId).toBe('ca');
    expect((await again.store.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['first', 'second', 'third']);
    expect(await again.store.listChats(other)).toHaveLength(1);
    expect(again.events.filter(([n]) => n === 'notice')).toEqual([]);
  }, 20_000);

  it('without the chat index (deleted) the original still keeps the id: its header names its character', async () => {
    const dataDir = tempDir();
    const { chatId, other } = await chatCopiedElsewhere(dataDir);
    await rm(new Layout(dataDir).indexFile);
    const app = await start(dataDir);
    expect((await app.store.getChat(chatId)).characterId).toBe('ca');
    await until(() => app.events.find(([n, p]) => n === 'chat:changed' && p.source === 'external' && p.characterId === other), 5000, 'copy imported');
    expect((await app.store.listChats('ca')).map((c) => c.chatId)).toEqual([chatId]);
  }, 20_000);
});

describe('two new files with one chat id, seen in either order', () => {
  it('the file in the folder its header names is the chat, even when its copy in another folder is discovered first', async () => {
    const dataDir = tempDir();
    const s = await openChatStore({ dataDir });
    cleanups.push(() => s.close());
    const chatId = '6d98b848-0000-4000-8000-000000000001';
    const header = `${JSON.stringify({ format: 'cardshark-chat', version: 1, chat_id: chatId, character_id: 'ada', timestamp: 1_700_000_000_000, title: 'Outside', metadata: {} })}\n`;
    const text = `${header}${JSON.stringify({ id: 'e-1', role: 'user', content: 'hello', timestamp: 1_700_000_000_001 })}\n`;
    for (const folder of ['ada', 'bo']) await mkdir(path.join(dataDir, 'chats', folder), { recursive: true });
    // Another program writes the chat, and a copy of it into another character's folder.
    await run('sh', ['-c', `printf '%s' "$0" > "$1" && cp "$1" "$2"`, text, path.join(dataDir, 'chats', 'ada', `${chatId}.jsonl`), path.join(dataDir, 'chats', 'bo', `${chatId}.jsonl`)]);
    const copy = await s.discoverChat(path.join(dataDir, 'chats', 'bo', `${chatId}.jsonl`));
    expect(copy.kind).toBe('imported'); // the copy's messages go into a new chat
    const own = await s.discoverChat(path.join(dataDir, 'chats', 'ada', `${chatId}.jsonl`));
    expect(own).toMatchObject({ kind: 'listed', summary: { chatId, characterId: 'ada' } });
  });
});

// Without the watcher's help: a streamed reply whose next checkpoint meets a file another program
// appended to stops writing into that file (it used to mark the reply as an error there), and
// the app's version goes into a conflict copy. The outside file keeps exactly its bytes.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { tempDir } from '../store/helpers.ts';
import { external, messageLine, until } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

it('a checkpoint refused because the file changed outside writes nothing more there; the reply goes to a conflict copy', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const provider: Provider = async function* () {
    yield 'Part one.';
    await gate;
    yield ' Part two.';
  };
  const dataDir = tempDir();
  const store = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: () => true, provider, autosaveIntervalMs: () => 10, watch: false });
  cleanups.push(() => services.shutdown());
  const ok = async (ch: string, p: unknown = {}) => {
    const r = (await services.binding.handle(true, ch, p)) as any;
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    return r.data;
  };
  const c = await ok('createCharacter', { name: 'Rae' });
  const chat = await ok('createChat', { characterId: c.id, title: 'Shared' });
  await ok('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'Hi' } });
  const { streamId } = await ok('generate', { mode: 'new', chatId: chat.chatId });
  await until(() => events.some(([n]) => n === 'stream:chunk'), 2000, 'first chunk');
  await services.autosave.flush();
  const file = path.join(dataDir, 'chats', c.id, `${chat.chatId}.jsonl`);
  const line = messageLine('theirs-1', 'appended by another program');
  await external('append', file, line);
  const theirs = await readFile(file, 'utf8');
  expect(theirs.endsWith(line)).toBe(true);
  release();
  const [, end] = await until(() => events.find(([n, p]) => n === 'stream:end' && p.streamId === streamId), 3000, 'stream end');
  expect(end.status).toBe('error');
  await until(() => events.find(([n, p]) => n === 'notice' && /conflict copy/.test(p.message)), 3000, 'conflict notice');
  await services.autosave.flush();
  expect(await readFile(file, 'utf8')).toBe(theirs); // not one byte added to their file
  const copy = (await ok('listChats', { characterId: c.id })).find((s: any) => s.title === 'Shared (conflict copy)');
  expect(copy).toBeDefined();
  const page = await ok('loadChat', { chatId: copy.chatId });
  expect(page.messages.map((m: any) => [m.role, m.content])).toEqual([
    ['user', 'Hi'],
    ['assistant', 'Part one. Part two.'],
  ]);
  // The shared chat itself now reads as the other program left it, and takes new writes.
  const shared = await ok('loadChat', { chatId: chat.chatId });
  expect(shared.messages.map((m: any) => m.content)).toEqual(['Hi', 'Part one.', 'appended by another program']);
});

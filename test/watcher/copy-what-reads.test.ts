// Issue 14, faults 9 and 10: whatever the store can read, it can copy. A hand-written message
// whose content differs from its selected swipe (readers accept it; a new message with it is
// refused) no longer breaks the import of a conflict file, nor empties a streaming conflict copy;
// a copy that still fails leaves no half-made chat, and the reply so far reaches the disk in a
// rescue file the user is told about. Real files, real chokidar events, a child process as the
// other program; the fs seam only for the full disk.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Provider } from '../../electron/generation/provider.ts';
import { faultySeam, tempDir } from '../store/helpers.ts';
import { characterWithChat, external, messageLine, startServices, until } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** A message as another program (or an older version) may have written it: its content is not its selected swipe. */
const handWritten = (id: string) =>
  `${JSON.stringify({ id, role: 'assistant', content: 'edited by hand', timestamp: 1_700_000_000_000, swipes: ['first swipe', 'second swipe'], swipe_id: 0 })}\n`;
/** Also read, also refused by the store's write rules: a swipe_id without swipes, an `edited` that is no time. */
const oddOnes = () =>
  `${JSON.stringify({ id: 'odd-1', role: 'user', content: 'a swipe id alone', timestamp: 1_700_000_000_001, swipe_id: 3 })}\n` +
  `${JSON.stringify({ id: 'odd-2', role: 'user', content: 'edited when?', timestamp: 1_700_000_000_002, edited: 'yesterday' })}\n`;

async function setup(opts: { provider?: Provider; seam?: ReturnType<typeof faultySeam> } = {}) {
  const dataDir = tempDir();
  const app = await startServices(cleanups, dataDir, { autosaveIntervalMs: 20, provider: opts.provider, fs: opts.seam?.seam });
  const chat = await characterWithChat(app.ok, dataDir, 'Reader', 'Shared');
  const chats = async () => app.ok('listChats', { characterId: chat.characterId });
  const messages = async (chatId: string) => (await app.ok('loadChat', { chatId })).messages;
  return { dataDir, ...app, ...chat, chats, messages };
}

/** A reply that streams two chunks and then waits until it is stopped. */
const waitingReply: Provider = async function* (ctx) {
  yield 'Part one.';
  yield ' Part two.';
  await new Promise((r) => ctx.signal.addEventListener('abort', r));
};

describe('fault 9: importing a conflict file the store can read', () => {
  it('a conflict file with a content that differs from its selected swipe is imported whole, once', async () => {
    const s = await setup();
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'original' } });
    // A copy under a name of its own (a sync tool's conflict copy is merged instead: conflict-merge.test.ts).
    const name = `${s.chatId} copy-20250102-030405-XYZ1234.jsonl`;
    const theirs = `${await readFile(s.file, 'utf8')}${handWritten('hand-1')}${oddOnes()}`;
    await external('write', path.join(path.dirname(s.file), name), theirs);
    await until(() => s.events.find(([n, p]) => n === 'notice' && p.message.includes(name)), 5000, 'import notice');
    await s.services.watcher!.idle();
    const imported = (await s.chats()).filter((c: any) => c.title.endsWith(`(from ${name})`));
    expect(imported).toHaveLength(1);
    const got = await s.messages(imported[0].chatId);
    // What a reader shows is what the copy shows; no swipe text is dropped.
    expect(got.map((m: any) => m.content)).toEqual(['original', 'edited by hand', 'a swipe id alone', 'edited when?']);
    expect(got[1].swipes).toEqual(expect.arrayContaining(['first swipe', 'second swipe', 'edited by hand']));
    expect(got[1].swipes[got[1].swipe_id]).toBe('edited by hand');
    expect(await readFile(path.join(path.dirname(s.file), name), 'utf8')).toBe(theirs); // left as it is
    expect((await s.chats()).filter((c: any) => c.messageCount === 0 && c.chatId !== s.chatId)).toEqual([]); // no empty "(from …)" chat
  }, 20_000);
});

describe('fault 10: a streaming conflict copy', () => {
  it('of a chat holding such a message keeps every message and the reply so far', async () => {
    const s = await setup({ provider: waitingReply });
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'Hi' } });
    await external('append', s.file, handWritten('hand-1'));
    await until(() => s.events.find(([n, p]) => n === 'chat:changed' && p.source === 'external' && p.summary.messageCount === 2), 5000, 'their message read');
    const { streamId } = await s.ok('generate', { mode: 'new', chatId: s.chatId });
    await until(() => s.events.filter(([n, p]) => n === 'stream:chunk' && p.streamId === streamId).length >= 2, 3000, 'two chunks');
    await s.services.autosave.flush();
    const header = (await readFile(s.file, 'utf8')).split('\n')[0]!;
    await external('replace', s.file, `${header}\n${messageLine('their-1', 'their version')}`);
    await until(() => s.events.find(([n, p]) => n === 'notice' && p.code === 'CONFLICT'), 5000, 'conflict notice');
    await s.services.watcher!.idle();
    const copies = (await s.chats()).filter((c: any) => c.title === 'Shared (conflict copy)');
    expect(copies).toHaveLength(1);
    expect((await s.messages(copies[0].chatId)).map((m: any) => m.content)).toEqual(['Hi', 'edited by hand', 'Part one. Part two.']);
  }, 20_000);

  it('that cannot be written (disk full) leaves no half-made chat, and the reply so far is saved in a rescue file the user is told about', async () => {
    const seam = faultySeam();
    const s = await setup({ provider: waitingReply, seam });
    await s.ok('appendMessage', { chatId: s.chatId, message: { role: 'user', content: 'Hi' } });
    const { streamId } = await s.ok('generate', { mode: 'new', chatId: s.chatId });
    await until(() => s.events.filter(([n, p]) => n === 'stream:chunk' && p.streamId === streamId).length >= 2, 3000, 'two chunks');
    await s.services.autosave.flush();
    seam.faults.writeFileAtomic = 'ENOSPC'; // every whole-file write of the store fails from now on
    const header = (await readFile(s.file, 'utf8')).split('\n')[0]!;
    await external('replace', s.file, `${header}\n${messageLine('their-1', 'their version')}`);
    const [, notice] = await until(() => s.events.find(([n, p]) => n === 'notice' && p.code === 'CONFLICT'), 5000, 'conflict notice');
    await s.services.watcher!.idle();
    expect((await s.chats()).map((c: any) => c.title)).toEqual(['Shared']); // no copy, not even an empty one
    const rescueDir = path.join(s.dataDir, 'rescue');
    const [name, ...more] = await readdir(rescueDir);
    expect(more).toEqual([]);
    expect(notice.message).toContain(`rescue/${name}`); // relative to the data folder: notices carry no absolute paths
    const text = await readFile(path.join(rescueDir, name!), 'utf8');
    expect(text).toContain('Hi');
    expect(text).toContain('Part one. Part two.');
  }, 20_000);
});

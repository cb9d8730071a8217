// Issue 17, item 3, with the watcher on: a reply is streaming when the sync tool replaces the chat's
// file with the other computer's version, which holds everything the app wrote (the reply so far
// included) plus a message of its own. That change commutes with the reply: the stream goes on into
// the new file, and no conflict copy is made. A version that lacks the reply so far still stops the
// stream and keeps the app's version, with the reply, in a conflict copy (as before).
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { messageLine, streamingReply, until } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function streaming() {
  const s = await streamingReply(cleanups);
  /** As Syncthing puts a version in place: a temp file renamed over the chat (a new inode). */
  const syncReplace = async (text: string) => {
    const tmp = path.join(path.dirname(s.file), `.syncthing.${path.basename(s.file)}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, s.file);
  };
  return { ...s, syncReplace };
}

it('the sync tool puts a version holding the reply so far in place: the reply goes on into it, no conflict copy', async () => {
  const s = await streaming();
  await s.syncReplace(`${await readFile(s.file, 'utf8')}${messageLine('theirs-1', 'from the other computer', Date.now())}`);
  await until(() => s.events.find(([n, p]) => n === 'chat:changed' && p.source === 'external'), 5000, 'the change seen');
  await s.services.watcher!.idle();
  s.release();
  expect((await s.ended()).status).toBe('complete');
  await s.services.autosave.flush();
  await s.services.watcher!.idle();
  expect((await s.ok('loadChat', { chatId: s.chatId })).messages.map((m: any) => m.content)).toEqual(['Hi', 'Part one. Part two.', 'from the other computer']);
  expect((await s.ok('listChats', { characterId: s.characterId })).map((x: any) => x.title)).toEqual(['Shared']);
  expect(s.events.filter(([n, p]) => n === 'notice' && p.level !== 'info')).toEqual([]);
}, 30_000);

it('the sync tool puts a version without the reply in place: the stream stops, the reply is kept in a conflict copy', async () => {
  const s = await streaming();
  const before = (await readFile(s.file, 'utf8')).split('\n');
  const withoutReply = `${before.filter((l) => !l.includes('Part one.')).join('\n')}${messageLine('theirs-1', 'from the other computer', Date.now())}`;
  await s.syncReplace(withoutReply);
  s.release();
  expect((await s.ended()).status).not.toBe('complete');
  await until(() => s.events.find(([n, p]) => n === 'notice' && /conflict copy/.test(p.message)), 5000, 'conflict notice');
  await s.services.watcher!.idle();
  const copy = (await s.ok('listChats', { characterId: s.characterId })).find((x: any) => x.title === 'Shared (conflict copy)');
  expect(copy).toBeDefined();
  expect((await s.ok('loadChat', { chatId: copy.chatId })).messages.map((m: any) => m.content)).toEqual(['Hi', expect.stringMatching(/^Part one\./)]);
}, 30_000);

// Issue 17: Syncthing resolves a conflict in two renames (the chat's file moves aside to its conflict
// name, then the sync tool's temp file moves in), so the chat's path names no file for a moment. A
// read or write of the store meeting that gap must not take the chat as deleted outside the app (it
// would leave the list, `chat:removed`, and the app's kept version would be dropped): the store looks
// again and goes on with the file there now. A real delete still removes the chat. Real files, a real
// child process doing the renames.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { StoreError } from '../../shared/errors.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { createConflictKeeper } from '../../electron/watcher/conflict-copy.ts';
import { tempDir } from '../store/helpers.ts';
import { startServices, until, syncedChat } from './helpers.ts';


const CHILD = path.join(import.meta.dirname, 'sync-renames-child.ts');
// The gap between the two renames: long enough that an op starts inside it (a read takes about a
// millisecond, an append its fsync), well within the store's grace (250 ms, open-logs.ts).
const READ_GAP_MS = 40;
const WRITE_GAP_MS = 120;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

type Chat = Awaited<ReturnType<typeof syncedChat>>;

/**
 * The other computer's version (its edit of the first message) is put in place by a child process in
 * Syncthing's two renames, `gapMs` apart, while `op` runs again and again. Returns each op's error,
 * and whether the chat's path was missing as an op began (so an op met the gap).
 */
async function whileSyncToolReplaces(c: Chat, firstId: string, gapMs: number, op: (i: number) => Promise<unknown>) {
  const tmp = path.join(c.dir, `.syncthing.${c.chatId}.jsonl.tmp`);
  await writeFile(tmp, `${c.bytes}${JSON.stringify({ op: 'edit', id: firstId, timestamp: Date.now() + 60_000, content: 'edited there' })}\n`);
  let running = true;
  const child = new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [CHILD, c.file, c.copy, tmp, String(gapMs)], (e) => {
      running = false;
      if (e) reject(e);
      else resolve();
    }),
  );
  const errors: unknown[] = [];
  // An op met the gap if the path was missing as it began, or if it was missing during an op that
  // took at least half the gap (a read takes about a millisecond: that one waited for the file).
  let missingNow = 0;
  const poll = setInterval(() => {
    if (!existsSync(c.file)) missingNow++;
  }, 1);
  let missingSeen = false;
  try {
    for (let i = 0; running; i++) {
      if (!existsSync(c.file) && existsSync(c.copy)) missingSeen = true;
      const [t0, seen0] = [performance.now(), missingNow];
      await op(i).catch((e: unknown) => errors.push(e));
      if (missingNow > seen0 && performance.now() - t0 >= gapMs / 2) missingSeen = true;
      await new Promise((r) => setImmediate(r)); // an op failing at once must not starve the timers (the child's exit)
    }
    await child;
  } finally {
    clearInterval(poll);
  }
  return { errors, missingSeen };
}

const removed = (events: [string, any][]) => events.filter(([n]) => n === 'chat:removed');

/** Whether the app holds a version of the chat with its edit that only the conflict copy keeps. */
const heldByCopy = async (store: ChatStore, chatId: string) => (await store.appVersions(chatId)).some((v) => v.inFile && v.viaCopy && v.messages[0]!.content === 'edited here');

/** Every text of every chat of `cz` (each message's swipes too), by chat title. */
async function textsByTitle(store: ChatStore) {
  const out: Record<string, string[]> = {};
  for (const s of await store.listChats('cz')) out[s.title] = (await store.loadChat(s.chatId, { limit: 1000 })).messages.flatMap((m) => m.swipes ?? [m.content]);
  return out;
}

it('reads meeting a sync tool\'s two renames keep the chat and the app\'s edit: with the conflict copy gone before its merge, the edit is kept in a conflict-copy chat', async () => {
  const dataDir = tempDir();
  const c = await syncedChat(dataDir);
  let app = await startServices(cleanups, dataDir, { watch: false });
  const first = (await app.store.loadChat(c.chatId)).messages[0]!;
  await app.store.updateMessage(c.chatId, first.id, { content: 'edited here' });

  const { errors, missingSeen } = await whileSyncToolReplaces(c, first.id, READ_GAP_MS, () => app.store.loadChat(c.chatId));
  expect(missingSeen).toBe(true);
  expect(errors).toEqual([]);
  expect(removed(app.events)).toEqual([]);
  const listed = await app.store.listChats('cz');
  expect(listed.map((s) => [s.chatId, s.characterId])).toEqual([[c.chatId, 'cz']]);
  expect((await app.store.loadChat(c.chatId)).messages.map((m) => m.content)).toEqual(['edited there', 'two']); // the file there now

  // The app's edit is still held (by the copy, until its merge): what the watcher does on the change.
  const keeper = createConflictKeeper({ store: app.store, emit: () => {}, log: () => {} });
  expect(await keeper.keep(c.chatId, undefined)).toBeNull();
  expect(await heldByCopy(app.store, c.chatId)).toBe(true);
  await app.store.refreshChat(c.chatId);
  // The copy goes before this computer merged it; the app quits. The next start keeps the edit.
  await unlink(c.copy);
  await app.services.shutdown();

  app = await startServices(cleanups, dataDir);
  await until(() => app.events.find(([n, p]) => n === 'notice' && p.code === 'CONFLICT'), 10_000, 'the conflict notice');
  await app.services.watcher!.idle();
  const texts = await textsByTitle(app.store);
  expect(texts['Synced']).toEqual(['edited there', 'two']);
  expect(texts['Synced (conflict copy)']).toEqual(['edited here', 'two']); // the app's edit, kept
}, 30_000);

it('appends meeting a sync tool\'s two renames are made on the file that is back or refused CONFLICT, never lost: each acknowledged one is in the chat once after the copy\'s merge', async () => {
  const dataDir = tempDir();
  const c = await syncedChat(dataDir);
  const app = await startServices(cleanups, dataDir);
  const first = (await app.store.loadChat(c.chatId)).messages[0]!;
  await app.services.watcher!.idle();

  const acknowledged: string[] = [];
  const { errors, missingSeen } = await whileSyncToolReplaces(c, first.id, WRITE_GAP_MS, async (i) => {
    await app.store.appendMessages(c.chatId, [{ role: 'user', content: `append ${i}` }]);
    acknowledged.push(`append ${i}`);
  });
  expect(missingSeen).toBe(true);
  // A refusal is allowed only as CONFLICT (nothing saved, try again): never NOT_FOUND, never another error.
  for (const e of errors) expect(e instanceof StoreError && e.code).toBe('CONFLICT');
  expect(removed(app.events)).toEqual([]);
  expect(acknowledged.length).toBeGreaterThan(0);

  // The watcher merges the conflict copy (the lines appended before the renames) into the chat.
  await until(() => !existsSync(c.copy), 10_000, 'the conflict copy merged');
  await app.services.watcher!.idle();
  expect(removed(app.events)).toEqual([]);
  const texts = await textsByTitle(app.store);
  expect(Object.keys(texts)).toEqual(['Synced']);
  for (const t of acknowledged) expect(texts['Synced']!.filter((x) => x === t)).toEqual([t]);
  expect(texts['Synced']!.slice(0, 2)).toEqual(['edited there', 'two']);
}, 30_000);

it('the app\'s own delete meeting a sync tool\'s two renames is refused CONFLICT: the chat, now the other computer\'s version, stays listed', async () => {
  const dataDir = tempDir();
  const c = await syncedChat(dataDir);
  const app = await startServices(cleanups, dataDir, { watch: false });
  const first = (await app.store.loadChat(c.chatId)).messages[0]!;
  let attempt: Promise<unknown> | undefined;
  await whileSyncToolReplaces(c, first.id, WRITE_GAP_MS, async () => {
    // The delete is asked once, while the chat's path names no file.
    if (!attempt && !existsSync(c.file)) attempt = app.store.deleteChat(c.chatId).then(() => 'deleted', (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 1));
  });
  expect(attempt).toBeDefined();
  expect(await attempt).toMatchObject({ code: 'CONFLICT' });
  expect(removed(app.events)).toEqual([]);
  expect((await app.store.listChats('cz')).map((s) => s.chatId)).toEqual([c.chatId]);
  expect((await app.store.loadChat(c.chatId)).messages.map((m) => m.content)).toEqual(['edited there', 'two']);
}, 30_000);

it('a chat file really deleted outside the app still leaves the list after the grace: NOT_FOUND and chat:removed', async () => {
  const dataDir = tempDir();
  const c = await syncedChat(dataDir);
  const app = await startServices(cleanups, dataDir, { watch: false });
  await app.store.loadChat(c.chatId);
  await unlink(c.file);
  const t0 = performance.now();
  await expect(app.store.loadChat(c.chatId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  expect(performance.now() - t0).toBeLessThan(5_000); // a grace, not a hang
  await until(() => removed(app.events).length > 0, 5_000, 'chat:removed');
  expect(removed(app.events).map(([, p]) => p.chatId)).toEqual([c.chatId]);
  expect(await app.store.listChats('cz')).toEqual([]);
}, 30_000);

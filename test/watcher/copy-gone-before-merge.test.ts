// Issue 17, a leftover of the hostile review: a sync tool's conflict copy beside a chat counts as
// keeping the app's lines (they come back with its merge: docs/SYNC.md). If the copy goes before
// this computer merged it (Syncthing keeps at most 10 copies of a file, or the user deletes it), the
// app's version must still be compared with the chat, as when no copy existed: what the chat lacks
// is kept in a conflict-copy chat. So the app's version is kept until the copy's merge is durable.
// And a comparison that fails (EIO) drops nothing either. Real files, real chokidar events.
import { link, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { FsSeam } from '../../electron/durable/fs-seam.ts';
import { nodeFs } from '../../electron/store/index.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { createConflictKeeper } from '../../electron/watcher/conflict-copy.ts';
import { errnoError, tempDir } from '../store/helpers.ts';
import { startServices, until, syncedChat } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

type Chat = Awaited<ReturnType<typeof syncedChat>>;

/**
 * As Syncthing does when both computers edited the chat's first message: the chat's file (with the
 * app's edit, "edited here") moves aside as a conflict copy, and the other computer's version (its
 * own later edit) is renamed over the chat. `end`: how that version's last line ends.
 */
async function replacedBySyncTool(c: Chat, firstId: string, end = '\n') {
  const edit = JSON.stringify({ op: 'edit', id: firstId, timestamp: Date.now() + 60_000, content: 'edited there' });
  const tmp = path.join(c.dir, `.syncthing.${c.chatId}.jsonl.tmp`);
  await writeFile(tmp, `${c.bytes}${edit}${end}`);
  // The chat's file becomes the copy (a hard link: the chat's path is never missing meanwhile).
  await link(c.file, c.copy);
  await rename(tmp, c.file);
}

/** Whether the app holds a version of the chat with its edit that only the conflict copy keeps. */
const heldByCopy = async (store: ChatStore, chatId: string) => (await store.appVersions(chatId)).some((v) => v.inFile && v.viaCopy && v.messages[0]!.content === 'edited here');

/** Every text of every chat of `cz` (each message's swipes too), by chat title. */
async function textsByTitle(store: ChatStore) {
  const out: Record<string, string[]> = {};
  for (const s of await store.listChats('cz')) out[s.title] = (await store.loadChat(s.chatId, { limit: 1000 })).messages.flatMap((m) => m.swipes ?? [m.content]);
  return out;
}

it('a copy counted as keeping the app\'s edit, gone before its merge while the app was closed: the next start keeps the edit in a conflict-copy chat', async () => {
  const dataDir = tempDir();
  const c = await syncedChat(dataDir);
  let app = await startServices(cleanups, dataDir, { watch: false });
  const first = (await app.store.loadChat(c.chatId)).messages[0]!;
  await app.store.updateMessage(c.chatId, first.id, { content: 'edited here' });
  await replacedBySyncTool(c, first.id);
  // What the watcher does on that change: the app's versions compared with the chat (the copy
  // counts as keeping the app's edit: nothing to copy), then the chat read anew.
  const keeper = createConflictKeeper({ store: app.store, emit: () => {}, log: () => {} });
  expect(await keeper.keep(c.chatId, undefined)).toBeNull();
  expect(await heldByCopy(app.store, c.chatId)).toBe(true);
  await app.store.refreshChat(c.chatId);
  // The copy goes before this computer merged it; the app quits.
  await unlink(c.copy);
  await app.services.shutdown();

  app = await startServices(cleanups, dataDir);
  await app.services.watcher!.idle();
  await until(() => app.events.find(([n, p]) => n === 'notice' && p.code === 'CONFLICT'), 10_000, 'the conflict notice');
  await app.services.watcher!.idle();
  const texts = await textsByTitle(app.store);
  expect(texts['Synced']).toEqual(['edited there', 'two']); // the other computer's version, as it is
  expect(texts['Synced (conflict copy)']).toEqual(['edited here', 'two']); // the app's edit, kept
}, 30_000);

it('a copy counted as keeping the app\'s edit, gone while its merge waits: the edit is kept in a conflict-copy chat', async () => {
  const dataDir = tempDir();
  const c = await syncedChat(dataDir);
  const app = await startServices(cleanups, dataDir);
  const first = (await app.store.loadChat(c.chatId)).messages[0]!;
  await app.store.updateMessage(c.chatId, first.id, { content: 'edited here' });
  await app.services.watcher!.idle();
  // The other computer's version ends in a line not ended yet (as if still being written): the
  // copy counts (every line of both reads), but its merge waits until that line is ended.
  await replacedBySyncTool(c, first.id, '');
  // The watcher compared the app's version with the chat and read the chat anew (it retries the
  // copy's merge meanwhile: the watcher is not idle until the copy goes).
  await until(() => app.events.find(([n, p]) => n === 'chat:changed' && p.chatId === c.chatId && p.source === 'external'), 10_000, 'the chat read anew');
  expect(await heldByCopy(app.store, c.chatId)).toBe(true); // the app still holds its edit, counted as kept by the copy
  expect(app.events.find(([n, p]) => n === 'notice' && p.code === 'CONFLICT')).toBeUndefined();
  await unlink(c.copy);
  await until(() => app.events.find(([n, p]) => n === 'notice' && p.code === 'CONFLICT'), 10_000, 'the conflict notice');
  await app.services.watcher!.idle();
  const texts = await textsByTitle(app.store);
  expect(texts['Synced (conflict copy)']).toEqual(['edited here', 'two']); // the app's edit, kept
}, 30_000);

// The comparison itself can fail: reading the app's kept version meets EIO (injected through the fs
// seam: the OS cannot fail a read on demand). Nothing may be dropped then: the app's version stays
// kept and is compared at the next change or start.
it.each(['the app\'s kept version', 'the chat\'s file'])('a comparison whose read of %s fails (EIO) drops nothing: the next start keeps the app\'s edit in a conflict-copy chat', async (what) => {
  const dataDir = tempDir();
  const c = await syncedChat(dataDir);
  const fault = { on: false };
  const failing = (file: string) => (what === 'the chat\'s file' ? file === c.file : file.includes('.own-versions'));
  const fs: FsSeam = {
    ...nodeFs,
    readFile: ((file: Parameters<FsSeam['readFile']>[0], ...rest: unknown[]) =>
      fault.on && failing(String(file)) ? Promise.reject(errnoError('EIO')) : (nodeFs.readFile as (...a: unknown[]) => Promise<unknown>)(file, ...rest)) as FsSeam['readFile'],
  };
  let app = await startServices(cleanups, dataDir, { fs });
  const first = (await app.store.loadChat(c.chatId)).messages[0]!;
  await app.store.updateMessage(c.chatId, first.id, { content: 'edited here' });
  await app.services.watcher!.idle();
  fault.on = true;
  // Another program puts its version in place (its own edit of that message; no copy beside it).
  const tmp = path.join(c.dir, `.other.${c.chatId}.tmp`);
  await writeFile(tmp, `${c.bytes}${JSON.stringify({ op: 'edit', id: first.id, timestamp: Date.now() + 60_000, content: 'edited there' })}\n`);
  await rename(tmp, c.file);
  await until(() => app.events.find(([n, p]) => n === 'notice' && p.level === 'error' && /could not be read/.test(p.message)), 10_000, 'the failed comparison told');
  await app.services.watcher!.idle();
  expect(Object.keys(await textsByTitle(app.store))).toEqual(['Synced']); // no copy could be made yet
  await app.services.shutdown();

  fault.on = false;
  app = await startServices(cleanups, dataDir, { fs });
  await until(() => app.events.find(([n, p]) => n === 'notice' && p.code === 'CONFLICT'), 10_000, 'the conflict notice');
  await app.services.watcher!.idle();
  const texts = await textsByTitle(app.store);
  expect(texts['Synced']).toEqual(['edited there', 'two']);
  expect(texts['Synced (conflict copy)']).toEqual(['edited here', 'two']); // the app's edit, kept
}, 30_000);

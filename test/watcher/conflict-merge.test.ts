// Issue 17, item 2: a sync tool's conflict copy of a chat is merged into the chat (never a chat of
// its own), with both files' bytes in backups/ before the copy goes; a file named like a copy that
// is not one of that chat is left alone and reported. Real files, real chokidar events, a real
// outside writer process.
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { conflictCopyOf } from '../../electron/store/merge/conflict-names.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { tempDir } from '../store/helpers.ts';
import { external, messageLine, startServices, until, syncedChat } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function start(dataDir: string) {
  const { store, services, events } = await startServices(cleanups, dataDir);
  return { store, services, events };
}

const contents = async (store: ChatStore, chatId: string) => (await store.loadChat(chatId, { limit: 1000 })).messages.map((m) => m.content);
const backups = async (dataDir: string, chatId: string) => {
  const dir = path.join(dataDir, 'backups', chatId);
  return Promise.all((await readdir(dir)).map((n) => readFile(path.join(dir, n), 'utf8')));
};

describe('conflict copy names', () => {
  it('recognises Syncthing, Dropbox, Nextcloud and OneDrive copies of a chat file, and nothing else', () => {
    const id = '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11';
    for (const name of [
      `${id}.sync-conflict-20250102-030405-ABCDEF7.jsonl`,
      `${id} (Anna's conflicted copy 2025-01-02).jsonl`,
      `${id} (laptop's conflicted copy).jsonl`,
      `${id} (conflicted copy 2025-01-02 030405).jsonl`,
      `${id}-LAPTOP.jsonl`,
    ]) expect(conflictCopyOf(name), name).toBe(id);
    for (const name of [`${id}.jsonl`, `${id} copy.jsonl`, `${id}.sync-conflict-20250102-030405-ABCDEF7.jsonl.tmp`, `.syncthing.${id}.jsonl.tmp`, 'notes.jsonl']) expect(conflictCopyOf(name), name).toBeNull();
  });
});

describe('a conflict copy is merged into its chat', () => {
  it('arriving while the app runs: one chat with the messages of both, a quiet notice, the copy removed only with both files in backups', async () => {
    const dataDir = tempDir();
    const c = await syncedChat(dataDir);
    const app = await start(dataDir);
    await app.store.appendMessage(c.chatId, { role: 'user', content: 'here', timestamp: 1_700_000_000_010 });
    const mineBefore = await readFile(c.file, 'utf8');
    const name = `${c.chatId}.sync-conflict-20250102-030405-LAPTOP1.jsonl`;
    const theirs = `${c.bytes}${messageLine('there-1', 'there', 1_700_000_000_005)}${messageLine('there-2', 'there too', 1_700_000_000_020)}`;
    await external('write', path.join(c.dir, name), theirs);
    await until(() => app.events.find(([n, p]) => n === 'notice' && p.message.includes('merged 2 messages from another copy')), 5000, 'the merge notice');
    await app.services.watcher!.idle();
    expect(app.events.find(([n, p]) => n === 'notice' && p.message.includes('merged'))![1].level).toBe('info');
    expect((await app.store.listChats('cz')).map((x) => x.title)).toEqual(['Synced']);
    expect(await contents(app.store, c.chatId)).toEqual(['one', 'two', 'there', 'here', 'there too']);
    expect(await readdir(c.dir)).toEqual([`${c.chatId}.jsonl`]);
    const kept = await backups(dataDir, c.chatId);
    expect(kept).toContain(theirs);
    expect(kept).toContain(mineBefore);
    // The app writes on: the merged file is its own.
    await app.store.appendMessage(c.chatId, { role: 'user', content: 'after', timestamp: 1_700_000_000_030 });
    expect((await contents(app.store, c.chatId)).at(-1)).toBe('after');
    expect(app.events.filter(([n, p]) => n === 'notice' && p.level !== 'info')).toEqual([]);
  }, 30_000);

  it('found at start-up: merged once; a copy holding nothing new is only removed', async () => {
    const dataDir = tempDir();
    const c = await syncedChat(dataDir);
    const name = `${c.chatId} (laptop's conflicted copy 2025-01-02).jsonl`;
    await writeFile(path.join(c.dir, name), `${c.bytes}${messageLine('there-1', 'from the laptop', 1_700_000_000_003)}`);
    const old = `${c.chatId}-LAPTOP.jsonl`;
    await writeFile(path.join(c.dir, old), c.bytes);
    let app = await start(dataDir);
    await app.services.watcher!.idle();
    expect((await app.store.listChats('cz')).map((x) => x.title)).toEqual(['Synced']);
    expect(await contents(app.store, c.chatId)).toEqual(['one', 'two', 'from the laptop']);
    expect(await readdir(c.dir)).toEqual([`${c.chatId}.jsonl`]);
    expect(app.events.filter(([n, p]) => n === 'notice' && p.message.includes('merged'))).toHaveLength(1);
    await app.services.shutdown();
    app = await start(dataDir);
    await app.services.watcher!.idle();
    expect(await contents(app.store, c.chatId)).toEqual(['one', 'two', 'from the laptop']);
  }, 30_000);

  it('concurrent edits of one message: the later one shows, the other is a swipe', async () => {
    const dataDir = tempDir();
    const c = await syncedChat(dataDir);
    const app = await start(dataDir);
    const [first] = (await app.store.loadChat(c.chatId)).messages;
    await app.store.updateMessage(c.chatId, first!.id, { content: 'edited here' });
    const edit = `${JSON.stringify({ op: 'edit', id: first!.id, timestamp: Date.now() + 60_000, content: 'edited there' })}\n`;
    await external('write', path.join(c.dir, `${c.chatId}.sync-conflict-20250102-030405-LAPTOP1.jsonl`), `${c.bytes}${edit}`);
    await until(() => app.events.find(([n, p]) => n === 'notice' && p.message.includes('merged 1 message from')), 5000, 'the merge notice');
    await app.services.watcher!.idle();
    const m = (await app.store.loadChat(c.chatId)).messages[0]!;
    expect(m.content).toBe('edited there');
    expect(m.swipes).toEqual(['edited there', 'edited here']);
  }, 30_000);

  it('a file named as a copy that is no copy of that chat is left alone and reported', async () => {
    const dataDir = tempDir();
    const c = await syncedChat(dataDir);
    const app = await start(dataDir);
    const other = c.bytes.replace(c.chatId, '1b6e1f7e-8b7a-4c1e-9f3e-1a2b3c4d5e6f');
    const wrongChat = `${c.chatId}.sync-conflict-20250102-030405-OTHER01.jsonl`;
    const garbage = `${c.chatId}.sync-conflict-20250102-030406-OTHER01.jsonl`;
    await external('write', path.join(c.dir, wrongChat), other);
    await external('write', path.join(c.dir, garbage), 'not json\n');
    await until(() => app.events.filter(([n, p]) => n === 'notice' && p.level === 'warning' && /sync tool's copy/.test(p.message)).length === 2, 5000, 'two reports');
    await app.services.watcher!.idle();
    expect(await readFile(path.join(c.dir, wrongChat), 'utf8')).toBe(other);
    expect(await readFile(path.join(c.dir, garbage), 'utf8')).toBe('not json\n');
    expect(await contents(app.store, c.chatId)).toEqual(['one', 'two']);
    expect((await app.store.listChats('cz')).map((x) => x.title)).toEqual(['Synced']);
  }, 30_000);
});

/**
 * The app edits the chat's first message ("edited here"); then, as Syncthing does, the local file
 * moves aside as a conflict copy and the other computer's version (its own later edit, "edited
 * there", after `extra` lines) is renamed over the chat.
 */
async function editedHereThenReplaced(extra: string) {
  const dataDir = tempDir();
  const c = await syncedChat(dataDir);
  const app = await start(dataDir);
  const [first] = (await app.store.loadChat(c.chatId)).messages;
  await app.store.updateMessage(c.chatId, first!.id, { content: 'edited here' });
  await app.services.watcher!.idle();
  const edit = `${JSON.stringify({ op: 'edit', id: first!.id, timestamp: Date.now() + 60_000, content: 'edited there' })}\n`;
  await rename(c.file, path.join(c.dir, `${c.chatId}.sync-conflict-20250102-030405-LAPTOP1.jsonl`));
  const tmp = path.join(c.dir, `.syncthing.${c.chatId}.jsonl.tmp`);
  await writeFile(tmp, `${c.bytes}${extra}${edit}`);
  await rename(tmp, c.file);
  return { c, app };
}

// Issue 17, "both edit the same message while paused", as the sync tool does it on the computer
// whose edit lost: the chat's file (with the app's edit) is renamed to a conflict copy, and the
// other computer's version (its own edit of that message, not the app's) is renamed over the chat.
// The copy's merge keeps both texts; the app's version is in the copy, so no "(conflict copy)" chat.
describe('the sync tool replaces a chat whose message the app edited with the other computer\'s edit of it', () => {
  it('one chat: the later edit shows, the app\'s edit is a swipe, no conflict-copy chat', async () => {
    const { c, app } = await editedHereThenReplaced('');
    await until(() => app.events.find(([n, p]) => n === 'notice' && p.message.includes('merged 1 message from')), 5000, 'the merge notice');
    await app.services.watcher!.idle();
    const m = (await app.store.loadChat(c.chatId)).messages[0]!;
    expect(m.content).toBe('edited there');
    expect(m.swipes).toEqual(['edited there', 'edited here']);
    expect((await app.store.listChats('cz')).map((x) => x.title)).toEqual(['Synced']);
    expect(app.events.filter(([n, p]) => n === 'notice' && p.level !== 'info')).toEqual([]);
    expect(await readdir(c.dir)).toEqual([`${c.chatId}.jsonl`]);
  }, 30_000);

  it('a version whose merge cannot be made (an unreadable line in it): the app\'s edit is kept in a conflict-copy chat, not counted on the copy', async () => {
    const { c, app } = await editedHereThenReplaced('{"not a record\n');
    await until(() => app.events.find(([n, p]) => n === 'notice' && p.code === 'CONFLICT'), 10_000, 'the conflict notice');
    await app.services.watcher!.idle();
    const kept = (await app.store.listChats('cz')).find((x) => x.title === 'Synced (conflict copy)');
    expect(kept, 'a conflict-copy chat').toBeDefined();
    expect((await app.store.loadChat(kept!.chatId)).messages.map((m) => m.content)).toContain('edited here');
  }, 30_000);
});

// Issue 14, fault 7: every acknowledged app write is in the chat or in a conflict copy the user is
// told about, and a conflict copy holds the app's last written version, never the other program's.
// Real files, real chokidar events, a child process as the other program. The 64-log cap is
// reached for real (70 other chats read), so the chat's log is evicted and later reopened on the
// other program's file; the app also quits, or is SIGKILLed (a child process), before the change.
import { spawn } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { Layout } from '../../electron/store/layout.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { tempDir } from '../store/helpers.ts';
import { characterWithChat, external, messageLine, startServices, until } from './helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** What the user was told: conflict notices, and the quiet notices of messages merged back in. */
function told(events: [string, any][]) {
  return {
    notices: () => events.filter(([n, p]) => n === 'notice' && p.code === 'CONFLICT').map(([, p]) => p.message as string),
    mergedBack: () => events.filter(([n, p]) => n === 'notice' && p.level === 'info' && /merged \d+ messages? back in/.test(p.message)).map(([, p]) => p.message as string),
  };
}

async function setup(opts: { provider?: Provider; watchSettleMs?: number } = {}) {
  const dataDir = tempDir();
  const app = await startServices(cleanups, dataDir, { autosaveIntervalMs: 20, ...opts });
  const { characterId, chatId, file } = await characterWithChat(app.ok, dataDir, 'Kept', 'Shared');
  const say = (content: string) => app.ok('appendMessage', { chatId, message: { role: 'user', content } });
  const copies = async () => (await app.ok('listChats', { characterId })).filter((c: any) => c.title === 'Shared (conflict copy)');
  const contents = async (id: string) => (await app.ok('loadChat', { chatId: id })).messages.map((m: any) => m.content);
  return { dataDir, ...app, characterId, chatId, file, say, copies, contents, ...told(app.events) };
}

/** The store and the services (with the watcher) on an existing data directory, as the app starts them. */
async function restart(dataDir: string) {
  const { store, services, events } = await startServices(cleanups, dataDir);
  const copies = async (characterId: string, title: string) => (await store.listChats(characterId)).filter((c) => c.title === `${title} (conflict copy)`);
  const contents = async (chatId: string) => (await store.loadChat(chatId)).messages.map((m) => m.content);
  return { store, services, events, copies, contents, ...told(events) };
}

/** Reads 70 other chats: more than the store keeps open (64), so the least recently used log is closed. */
async function evictByReading(s: Awaited<ReturnType<typeof setup>>) {
  for (let i = 0; i < 70; i++) {
    const other = await s.store.createChat({ characterId: s.characterId, title: `Other ${i}` });
    await s.store.loadChat(other.chatId);
  }
}

describe('an outside version that lacks acknowledged app writes', () => {
  it('an older copy renamed over the chat (a sync tool\'s version that never had them): the messages it lacks are merged back into the chat, their file kept in backups, and the user is told quietly', async () => {
    const s = await setup();
    await s.say('one');
    await s.say('two');
    const older = await readFile(s.file, 'utf8');
    await s.say('three'); // acknowledged: only in the app's version
    await s.say('four');
    await external('replace', s.file, older);
    await until(() => s.mergedBack()[0], 5000, 'merged-back notice');
    await s.services.watcher!.idle();
    expect(s.mergedBack()[0]).toContain('merged 2 messages back in');
    expect(await s.copies()).toEqual([]);
    expect(s.notices()).toEqual([]);
    expect(await s.contents(s.chatId)).toEqual(['one', 'two', 'three', 'four']);
    // Their file, exactly as they left it, is a backup taken before the merge.
    const backups = path.join(s.dataDir, 'backups', s.chatId);
    const kept = await Promise.all((await readdir(backups)).map((n) => readFile(path.join(backups, n), 'utf8')));
    expect(kept).toContain(older);
  }, 20_000);

  it('another program only appended (or replaced with everything the app had): no conflict copy, no notice', async () => {
    const s = await setup();
    await s.say('one');
    await external('append', s.file, messageLine('theirs-1', 'appended by them'));
    await until(() => s.events.find(([n, p]) => n === 'chat:changed' && p.source === 'external' && p.summary.messageCount === 2), 5000, 'append seen');
    const all = await readFile(s.file, 'utf8');
    await external('replace', s.file, `${all}${messageLine('theirs-2', 'saved by an editor')}`);
    await until(() => s.events.find(([n, p]) => n === 'chat:changed' && p.source === 'external' && p.summary.messageCount === 3), 5000, 'replace seen');
    await s.services.watcher!.idle();
    expect(await s.copies()).toEqual([]);
    expect(s.notices()).toEqual([]);
  }, 20_000);

  it('the log was evicted and reopened on their file, and the app wrote into it: the app\'s earlier messages are still merged back', async () => {
    // A long settle: the app reopens the chat and writes before the watcher looks.
    const s = await setup({ watchSettleMs: 600 });
    await s.say('mine-1');
    const older = await readFile(s.file, 'utf8');
    await s.say('mine-2');
    await s.say('mine-3');
    await evictByReading(s);
    await external('replace', s.file, older);
    await s.say('after'); // reopens the log on their file and appends there: acknowledged
    await until(() => s.mergedBack()[0], 5000, 'merged-back notice');
    await s.services.watcher!.idle();
    expect(await s.copies()).toEqual([]);
    expect(await s.contents(s.chatId)).toEqual(['mine-1', 'mine-2', 'mine-3', 'after']);
  }, 20_000);

  it('a reply streams, the log is evicted and reopened on their file: the conflict copy holds the app\'s version and the reply, not their text', async () => {
    const provider: Provider = async function* (ctx) {
      yield 'The reply ';
      yield 'so far.';
      await new Promise((r) => ctx.signal.addEventListener('abort', r));
    };
    const s = await setup({ provider, watchSettleMs: 600 });
    await s.say('mine-1');
    await s.say('mine-2');
    const { streamId } = await s.ok('generate', { mode: 'new', chatId: s.chatId });
    await until(() => s.events.filter(([n, p]) => n === 'stream:chunk' && p.streamId === streamId).length >= 2, 3000, 'two chunks');
    await s.services.autosave.flush(); // the reply so far is on disk (streaming)
    await evictByReading(s);
    const header = (await readFile(s.file, 'utf8')).split('\n')[0]!;
    const theirs = `${header}\n${messageLine('their-1', 'Their text, not the app\'s')}`;
    await external('replace', s.file, theirs);
    expect(await s.contents(s.chatId)).toEqual(['Their text, not the app\'s']); // the log reopened on their file
    await until(() => s.notices().find((m) => /conflict copy/.test(m)), 5000, 'conflict notice');
    await s.services.watcher!.idle();
    expect(await readFile(s.file, 'utf8')).toBe(theirs);
    const [copy, ...more] = await s.copies();
    expect(more).toEqual([]);
    expect(await s.contents(copy.chatId)).toEqual(['mine-1', 'mine-2', 'The reply so far.']);
  }, 20_000);

  it('the app quit, then an older copy was put back: at the next start the messages it lacks are merged back', async () => {
    const s = await setup();
    await s.say('one');
    const older = await readFile(s.file, 'utf8');
    await s.say('two');
    await s.services.shutdown();
    await external('replace', s.file, older);
    const app = await restart(s.dataDir);
    await until(() => app.mergedBack()[0], 5000, 'merged-back notice');
    await app.services.watcher!.idle();
    expect(await app.copies(s.characterId, 'Shared')).toEqual([]);
    expect(await app.contents(s.chatId)).toEqual(['one', 'two']);
  }, 20_000);

  it('the app was killed (SIGKILL), then an older copy was put back: at the next start the messages it lacks are merged back', async () => {
    const dataDir = tempDir();
    const child = spawn(process.execPath, [path.join(import.meta.dirname, 'own-writes-child.ts'), dataDir], { stdio: ['pipe', 'pipe', 'inherit'] });
    cleanups.push(async () => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const file = (await until(() => /^one (.+)$/m.exec(out) ?? undefined, 10_000, 'first message acknowledged'))[1]!;
    const older = await readFile(file, 'utf8');
    child.stdin.write('go\n');
    await until(() => out.includes('acked'), 10_000, 'all acknowledged');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await external('replace', file, older);
    const app = await restart(dataDir);
    await until(() => app.mergedBack()[0], 5000, 'merged-back notice');
    await app.services.watcher!.idle();
    expect(await app.copies('ck', 'Killed')).toEqual([]);
    const chatId = path.basename(file, '.jsonl');
    expect(await app.contents(chatId)).toEqual(['mine-1', 'mine-2', 'mine-3']);
  }, 30_000);

  it('an app restart without an outside change copies nothing; what is kept is a link to the chat file itself (no space)', async () => {
    const s = await setup();
    await s.say('one');
    await s.services.shutdown();
    const app = await restart(s.dataDir);
    await app.services.watcher!.idle();
    expect(app.notices()).toEqual([]);
    expect(await app.copies(s.characterId, 'Shared')).toEqual([]);
    const dir = new Layout(s.dataDir).ownVersionsDir;
    const kept = await readdir(dir).catch(() => [] as string[]);
    expect(kept.length).toBeLessThanOrEqual(1);
    for (const name of kept) expect((await stat(path.join(dir, name))).ino).toBe((await stat(s.file)).ino);
  }, 20_000);

  it('compared once after a restart, the chat is still watched for the loss of what the app wrote before it', async () => {
    const s = await setup();
    await s.say('one');
    const older = await readFile(s.file, 'utf8');
    await s.say('two');
    await s.services.shutdown();
    await external('append', s.file, messageLine('theirs-1', 'appended while the app was closed'));
    const app = await restart(s.dataDir);
    await app.services.watcher!.idle();
    expect(await app.copies(s.characterId, 'Shared')).toEqual([]);
    await external('replace', s.file, older); // the app's "two" is gone from the file
    await until(() => app.mergedBack()[0], 5000, 'merged-back notice');
    await app.services.watcher!.idle();
    expect(await app.copies(s.characterId, 'Shared')).toEqual([]);
    // The app's version is the chat as it last had it, their earlier line included: merged back whole.
    expect(await app.contents(s.chatId)).toEqual(['one', 'two', 'appended while the app was closed']);
  }, 20_000);
});

describe('another program replaces the chat while the watcher compares', () => {
  it("a copy renamed over the chat between the watcher's comparison and its re-read: the app's message that copy lacks is still merged back", async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    // The other program's rename lands just as the watcher, having compared the app's versions
    // with the file, re-reads the chat: a real rename, at the one moment a timer cannot hit.
    let beforeRefresh: (() => Promise<void>) | undefined;
    const watched = new Proxy(store, {
      get(target, prop) {
        if (prop === 'refreshChat') {
          return async (...args: Parameters<typeof store.refreshChat>) => {
            const go = beforeRefresh;
            beforeRefresh = undefined;
            await go?.();
            return target.refreshChat(...args);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const events: [string, any][] = [];
    // A long settle: the app writes into their file before the watcher looks.
    const services = createServices<boolean>({ store: watched, emit: (e, p) => events.push([e, p]), isTrustedSender: () => true, watchSettleMs: 600 });
    cleanups.push(() => services.shutdown());
    await services.ready;
    const ok = async (ch: string, p: unknown = {}) => {
      const r = (await services.binding.handle(true, ch, p)) as any;
      if (!r.ok) throw new Error(`${ch}: ${JSON.stringify(r.error)}`);
      return r.data;
    };
    const character = await ok('createCharacter', { name: 'Raced' });
    const { chatId } = await ok('createChat', { characterId: character.id, title: 'Raced' });
    const file = path.join(dataDir, 'chats', character.id, `${chatId}.jsonl`);
    const say = (content: string) => ok('appendMessage', { chatId, message: { role: 'user', content } });
    await say('one');
    // Another program saves the chat with a line of its own (read, temp file, rename), and keeps its copy.
    const theirs = `${await readFile(file, 'utf8')}${messageLine('theirs-1', 'theirs, first')}`;
    await external('replace', file, theirs);
    await say('two'); // written into their file: acknowledged
    expect(await readFile(file, 'utf8')).toContain('"two"');
    // Its next save, from its copy (without "two"), is renamed over the chat once the watcher has
    // found that the file holds all the app wrote, before it re-reads the chat.
    beforeRefresh = () => external('replace', file, `${theirs}${messageLine('theirs-2', 'theirs, second')}`);
    await until(() => beforeRefresh === undefined, 5000, 'the watcher re-reads the chat');
    // All that file lacks is the app's whole message: merged back (in its place by time), the user told.
    await until(() => events.find(([n, p]) => n === 'notice' && p.level === 'info' && /"Raced": merged 1 message back in/.test(p.message)), 5000, 'merged-back notice');
    await services.watcher!.idle();
    expect((await store.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['one', 'theirs, first', 'two', 'theirs, second']);
    expect((await store.listChats(character.id)).map((c) => c.title)).toEqual(['Raced']);
    expect(events.filter(([n, p]) => n === 'notice' && p.code === 'CONFLICT')).toEqual([]);
  }, 20_000);
});

// The quit's own order: the watcher stays open through the app's last writes (so outside changes
// made meanwhile are seen, also while a full disk holds the quit up), and a conflict copy being
// made for a reply refused by a changed file is finished before the store closes.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore, type FsSeam } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { faultySeam, tempDir } from '../store/helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** 'c0 c1 …', one chunk per `gapMs`, until aborted. */
function paced(gapMs: number): Provider {
  return async function* (ctx) {
    for (let i = 0; !ctx.signal.aborted; i++) {
      yield `c${i} `;
      await sleep(gapMs);
    }
  };
}

async function setup(opts: { provider: Provider; fs?: FsSeam; watch: boolean }) {
  const dataDir = tempDir();
  const store = await openChatStore({ dataDir, ...(opts.fs ? { fs: opts.fs } : {}) });
  const events: [string, any][] = [];
  const services = createServices<boolean>({
    store,
    emit: (e, p) => events.push([e, p]),
    isTrustedSender: () => true,
    provider: opts.provider,
    autosaveIntervalMs: () => 60_000,
    watch: opts.watch,
    watchSettleMs: 20,
  });
  await services.ready;
  let down = false;
  cleanups.push(async () => {
    if (!down) await services.shutdown();
  });
  const ok = async (ch: string, p: unknown = {}) => {
    const r = (await services.binding.handle(true, ch, p)) as any;
    if (!r.ok) throw new Error(`${ch}: ${JSON.stringify(r.error)}`);
    return r.data;
  };
  const chat = async (characterId: string) => {
    const { chatId } = await ok('createChat', { characterId });
    await ok('appendMessage', { chatId, message: { role: 'user', content: 'Hello there' } });
    return chatId as string;
  };
  const shutdown = async () => {
    await services.shutdown();
    down = true;
  };
  return { dataDir, store, services, events, ok, chat, shutdown };
}

describe('quit', () => {
  it('while it waits on a full disk, a chat deleted by another program is still seen', { timeout: 30_000 }, async () => {
    const { seam, faults } = faultySeam();
    const { dataDir, services, events, ok, chat, shutdown } = await setup({ provider: paced(10), fs: seam, watch: true });
    const { id: characterId } = await ok('createCharacter', { name: 'Ada' });
    const streaming = await chat(characterId);
    const other = await chat(characterId);
    const { streamId } = await ok('generate', { mode: 'new', chatId: streaming });
    await sleep(50);
    faults.write = { code: 'ENOSPC', afterBytes: 0 };
    // The reply's last text cannot be stored: the quit waits (the Electron shell asks: retry / quit anyway).
    await expect(services.shutdown()).rejects.toMatchObject({ code: 'DISK_FULL' });
    // Meanwhile the user frees space with another program, which also deletes a chat file.
    unlinkSync(path.join(dataDir, 'chats', characterId, `${other}.jsonl`));
    await expect
      .poll(() => events.find(([n, p]) => n === 'chat:removed' && p.chatId === other)?.[1], { timeout: 5_000, interval: 10 })
      .toMatchObject({ chatId: other, source: 'external' });
    delete faults.write;
    await shutdown();
    const store = await openChatStore({ dataDir });
    expect((await store.listChats(characterId)).map((c) => c.chatId)).toEqual([streaming]);
    // The reply, whole: every chunk the user saw, stored by the retry.
    const shown = events.filter(([n, p]) => n === 'stream:chunk' && p.streamId === streamId).map(([, p]) => p.delta).join('');
    expect((await store.loadChat(streaming)).messages[1]).toMatchObject({ role: 'assistant', status: 'interrupted', content: shown });
    await store.close();
  });

  it('a reply refused because its file was replaced outside the app reaches its conflict copy before the store closes', { timeout: 30_000 }, async () => {
    const { dataDir, events, ok, chat, shutdown } = await setup({ provider: paced(5), watch: false });
    const { id: characterId } = await ok('createCharacter', { name: 'Ada' });
    const chatId = await chat(characterId);
    const { streamId } = await ok('generate', { mode: 'new', chatId });
    await sleep(60);
    // Another program replaces the file with a version that lacks the reply (an older copy put back):
    // the reply's next write does not commute with it and is refused. (One that holds the reply as the
    // app had it, e.g. the same bytes, lets the reply go on: test/watcher/reply-sync-replace.test.ts.)
    const file = path.join(dataDir, 'chats', characterId, `${chatId}.jsonl`);
    const replyId = events.find(([n, p]) => n === 'stream:start' && p.streamId === streamId)![1].messageId as string;
    writeFileSync(`${file}.outside`, readFileSync(file, 'utf8').split('\n').filter((line) => !line.includes(replyId)).join('\n'));
    renameSync(`${file}.outside`, file);
    await shutdown();
    const end = events.find(([n, p]) => n === 'stream:end' && p.streamId === streamId)![1];
    expect(end).toMatchObject({ status: 'error', error: { code: 'CONFLICT' } });
    const said = events.filter(([n]) => n === 'chat:changed' || n === 'notice').map(([, p]) => p);
    const store = await openChatStore({ dataDir });
    const chats = await store.listChats(characterId);
    const copy = chats.find((c) => c.title.endsWith('(conflict copy)'));
    expect(copy, JSON.stringify(said)).toBeDefined();
    const reply = (await store.loadChat(copy!.chatId)).messages.at(-1)!;
    expect(reply).toMatchObject({ role: 'assistant', status: 'interrupted' });
    expect(reply.content).toMatch(/^c0 c1 (c\d+ )*$/);
    await store.close();
  });
});

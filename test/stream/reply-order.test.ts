// A reply whose writes failed on a full disk keeps its chat until it is on disk: a message sent
// after the reply never lands before it. (ENOSPC through the fs seam: the OS cannot fill a disk
// on demand.)
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { faultySeam, tempDir } from '../store/helpers.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** Two chunks, then the end: the stream is over before the disk has room again. */
const short: Provider = async function* () {
  yield 'the reply ';
  await sleep(5);
  yield 'in full';
};

async function setup(intervalMs = 60_000) {
  const dataDir = tempDir();
  const { seam, faults } = faultySeam();
  const store = await openChatStore({ dataDir, fs: seam });
  const events: [string, any][] = [];
  // By default a minute: only the events under test write the reply, never the retry timer.
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: () => true, provider: short, autosaveIntervalMs: () => intervalMs, watch: false });
  cleanups.push(async () => {
    delete faults.write;
    await services.shutdown();
  });
  const call = async (ch: string, p: unknown = {}) => (await services.binding.handle(true, ch, p)) as any;
  const ok = async (ch: string, p: unknown = {}) => {
    const r = await call(ch, p);
    if (!r.ok) throw new Error(`${ch}: ${JSON.stringify(r.error)}`);
    return r.data;
  };
  const c = await ok('createCharacter', { name: 'Ada' });
  const { chatId } = await ok('createChat', { characterId: c.id });
  await ok('appendMessage', { chatId, message: { role: 'user', content: 'Hello there' } });
  /** A reply generated while the disk is full: it ends (error, DISK_FULL) with its text unsaved. */
  const unsavedReply = async () => {
    faults.write = { code: 'ENOSPC', afterBytes: 0 };
    const { streamId } = await ok('generate', { mode: 'new', chatId });
    await expect
      .poll(() => events.find(([n, p]) => n === 'stream:end' && p.streamId === streamId)?.[1], { timeout: 5_000, interval: 5 })
      .toMatchObject({ status: 'error', error: { code: 'DISK_FULL' } });
    return events.find(([n, p]) => n === 'stream:start' && p.streamId === streamId)![1].messageId as string;
  };
  return { dataDir, store, services, events, call, ok, faults, chatId, unsavedReply };
}

describe('a reply not yet on disk (disk full)', () => {
  it('keeps its chat: a message sent after it lands after it, never before', async () => {
    const { call, faults, chatId, store, unsavedReply } = await setup();
    const messageId = await unsavedReply();
    // While the disk is still full, a send is refused: the reply is owed to the chat first.
    expect(await call('appendMessage', { chatId, message: { role: 'user', content: 'too soon' } })).toMatchObject({ ok: false, error: { code: 'DISK_FULL' } });
    expect(await call('generate', { mode: 'new', chatId })).toMatchObject({ ok: false, error: { code: 'DISK_FULL' } });
    // The disk has room again; the user sends the next message: the reply is stored first.
    delete faults.write;
    const sent = await call('appendMessage', { chatId, message: { role: 'user', content: 'and then?' } });
    expect(sent).toMatchObject({ ok: true });
    const page = await store.loadChat(chatId);
    expect(page.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Hello there'],
      ['assistant', 'the reply in full'],
      ['user', 'and then?'],
    ]);
    expect(page.messages[1]).toMatchObject({ id: messageId, status: 'complete' });
  });

  it('is stored by its retry once there is room; then the chat is free and the UI is told', async () => {
    const { ok, events, faults, chatId, store, services, unsavedReply } = await setup(30);
    const messageId = await unsavedReply();
    expect(services.generation.busy(chatId)).toBe(true);
    await sleep(100); // retries fail meanwhile: still owed
    expect(services.generation.busy(chatId)).toBe(true);
    delete faults.write;
    await expect.poll(() => services.generation.busy(chatId), { timeout: 5_000, interval: 5 }).toBe(false);
    expect((await store.loadChat(chatId)).messages[1]).toMatchObject({ id: messageId, content: 'the reply in full', status: 'complete' });
    await expect
      .poll(() => events.find(([n, p]) => n === 'chat:changed' && p.messages?.[0]?.id === messageId)?.[1], { timeout: 2_000, interval: 5 })
      .toMatchObject({ chatId, messages: [{ content: 'the reply in full' }] });
    await ok('appendMessage', { chatId, message: { role: 'user', content: 'next' } });
    expect((await store.loadChat(chatId)).messages.map((m) => m.content)).toEqual(['Hello there', 'the reply in full', 'next']);
  });
});

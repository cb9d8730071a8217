// Streams through the services (binding + manager + debouncer + store): bound to their chat,
// nothing stored between a user message and its reply, streams listed for a reloaded UI,
// continue/regenerate after a crash, drafts per chat, shutdown flushing everything.
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore, type FsSeam } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { demoProvider, demoReply } from '../../electron/generation/demo.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { faultySeam, tempDir } from '../store/helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

/** Yields `n` chunks, one per `gapMs`, until aborted. */
function paced(n: number, gapMs: number): Provider {
  return async function* (ctx) {
    for (let i = 0; i < n && !ctx.signal.aborted; i++) {
      yield `c${i} `;
      await sleep(gapMs);
    }
  };
}
const fullText = (n: number) => Array.from({ length: n }, (_, i) => `c${i} `).join('');

async function setup(opts: { provider?: Provider; intervalMs?: number; fs?: FsSeam; dataDir?: string } = {}) {
  const dataDir = opts.dataDir ?? tempDir();
  const store = await openChatStore({ dataDir, ...(opts.fs ? { fs: opts.fs } : {}) });
  const events: [string, any][] = [];
  const services = createServices<boolean>({
    store,
    emit: (e, p) => events.push([e, p]),
    isTrustedSender: () => true,
    provider: opts.provider ?? paced(20, 5),
    autosaveIntervalMs: () => opts.intervalMs ?? 50,
  });
  let down = false;
  cleanups.push(async () => {
    if (!down) await services.shutdown();
  });
  const call = async (ch: string, p: unknown = {}) => (await services.binding.handle(true, ch, p)) as any;
  const ok = async (ch: string, p: unknown = {}) => {
    const r = await call(ch, p);
    if (!r.ok) throw new Error(`${ch}: ${JSON.stringify(r.error)}`);
    return r.data;
  };
  const ended = (streamId: string) =>
    new Promise<any>((resolve) => {
      const t = setInterval(() => {
        const e = events.find(([n, p]) => n === 'stream:end' && p.streamId === streamId);
        if (e) {
          clearInterval(t);
          resolve(e[1]);
        }
      }, 2);
    });
  const shutdown = async () => {
    await services.shutdown();
    down = true;
  };
  return { dataDir, store, services, events, call, ok, ended, shutdown };
}

async function chatWithUser(ok: (ch: string, p?: unknown) => Promise<any>, name = 'Ada') {
  const c = await ok('createCharacter', { name });
  const chat = await ok('createChat', { characterId: c.id });
  await ok('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'Hello there' } });
  return { characterId: c.id as string, chatId: chat.chatId as string };
}

describe('a stream and its chat', () => {
  it('a send to a chat with a live stream is refused with CONFLICT before anything is written; listStreams shows it', async () => {
    const { ok, call, ended, store } = await setup({ provider: paced(30, 5) });
    const { chatId } = await chatWithUser(ok);
    const { streamId } = await ok('generate', { mode: 'new', chatId });
    const refused = await call('appendMessage', { chatId, message: { role: 'user', content: 'too soon' } });
    expect(refused).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await call('appendMessages', { chatId, messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    await sleep(60);
    const live = await ok('listStreams');
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ streamId, chatId, mode: 'new' });
    expect(fullText(30).startsWith(live[0].text)).toBe(true);
    // The reply is in the chat file already, as streaming, under the id the stream announced.
    const page = await store.loadChat(chatId);
    expect(page.messages[1]).toMatchObject({ id: live[0].messageId, status: 'streaming' });
    await expect(call('deleteMessage', { chatId, messageId: live[0].messageId })).resolves.toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    const end = await ended(streamId);
    expect(end).toMatchObject({ status: 'complete', message: { content: fullText(30), status: 'complete' } });
    // The stream leaves the list just after stream:end (once its chat's summary has been read for chat:changed).
    await expect.poll(() => ok('listStreams'), { timeout: 2_000, interval: 5 }).toEqual([]);
    expect((await ok('appendMessage', { chatId, message: { role: 'user', content: 'now' } })).content).toBe('now');
    expect((await store.loadChat(chatId)).messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
  });

  it('randomized: while a stream runs, switching chats and characters and writing elsewhere never moves a chunk', { timeout: 60_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ t: fc.constant('switchCharacter' as const), i: fc.nat(2) }),
            fc.record({ t: fc.constant('switchChat' as const), i: fc.nat(3) }),
            fc.record({ t: fc.constant('appendElsewhere' as const), i: fc.nat(3), text: fc.string({ maxLength: 20 }) }),
            fc.record({ t: fc.constant('appendToStreamChat' as const) }),
            fc.record({ t: fc.constant('draft' as const), i: fc.nat(3), text: fc.string({ maxLength: 20 }) }),
            fc.record({ t: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 8 }) }),
          ),
          { minLength: 5, maxLength: 30 },
        ),
        async (cmds) => {
          const n = 40;
          const { ok, call, ended, store, shutdown } = await setup({ provider: paced(n, 2), intervalMs: 10 });
          const a = await chatWithUser(ok, 'A');
          const b = await ok('createCharacter', { name: 'B' });
          const others = [(await ok('createChat', { characterId: a.characterId })).chatId, (await ok('createChat', { characterId: b.id })).chatId, (await ok('createChat', { characterId: b.id })).chatId];
          const chars = [a.characterId, b.id, a.characterId];
          const expected = new Map<string, string[]>(others.map((id: string) => [id, []]));
          const { streamId } = await ok('generate', { mode: 'new', chatId: a.chatId });
          let streaming = true;
          void ended(streamId).then(() => (streaming = false));
          for (const c of cmds) {
            switch (c.t) {
              case 'switchCharacter':
                await ok('setActiveCharacter', { characterId: chars[c.i]! });
                break;
              case 'switchChat': {
                const id = c.i === 3 ? a.chatId : others[c.i]!;
                const characterId = c.i === 3 ? a.characterId : c.i === 0 ? a.characterId : b.id;
                await ok('setActiveChat', { characterId, chatId: id });
                break;
              }
              case 'appendElsewhere': {
                const id = others[c.i % 3]!;
                await ok('appendMessage', { chatId: id, message: { role: 'user', content: c.text } });
                expected.get(id)!.push(c.text);
                break;
              }
              case 'appendToStreamChat': {
                const r = await call('appendMessage', { chatId: a.chatId, message: { role: 'user', content: 'interleaved?' } });
                if (streaming) expect(r.ok === false && r.error.code === 'CONFLICT').toBe(true);
                else if (r.ok) await call('deleteMessage', { chatId: a.chatId, messageId: r.data.id });
                break;
              }
              case 'draft':
                await ok('setDraft', { chatId: c.i === 3 ? a.chatId : others[c.i]!, text: c.text });
                break;
              case 'wait':
                await sleep(c.ms);
                break;
            }
          }
          await ended(streamId);
          const mine = (await store.loadChat(a.chatId)).messages;
          expect(mine.map((m) => m.role)).toEqual(['user', 'assistant']);
          expect(mine[1]).toMatchObject({ content: fullText(n), status: 'complete' });
          for (const [id, texts] of expected) expect((await store.loadChat(id)).messages.map((m) => m.content)).toEqual(texts);
          await shutdown();
        },
      ),
      { numRuns: 15 },
    );
  });

  it('after a crash: the interrupted reply can be continued to its end, or regenerated as a new swipe', async () => {
    const dataDir = tempDir();
    const first = await setup({ dataDir, provider: demoProvider(5), intervalMs: 20 });
    const { chatId } = await chatWithUser(first.ok);
    const { streamId } = await first.ok('generate', { mode: 'new', chatId });
    await sleep(80);
    // As a dead process would leave it: close the store under the stream without a final status.
    first.services.autosave.dispose();
    await first.services.generation.stopAll().catch(() => {});
    void streamId;
    // Rewrite the last status as streaming, like a killed process's checkpoint left it.
    const reply0 = (await first.store.loadChat(chatId)).messages[1]!;
    await first.store.appendText(chatId, reply0.id, '', 'streaming');
    await first.store.close();
    cleanups.pop();

    const second = await setup({ dataDir, provider: demoProvider(0) });
    const page = await second.ok('loadChat', { chatId });
    const reply = page.messages[1];
    expect(reply.status).toBe('interrupted');
    const full = demoReply({ messages: [{ role: 'user', content: 'Hello there' }], variant: 0 });
    expect(full.startsWith(reply.content)).toBe(true);
    const cont = await second.ok('generate', { mode: 'continue', chatId, messageId: reply.id });
    expect(await second.ended(cont.streamId)).toMatchObject({ status: 'complete', message: { id: reply.id, content: full, status: 'complete' } });
    // The stream releases its chat just after stream:end (a race the old test lost about half the time under load).
    await expect.poll(() => second.ok('listStreams'), { timeout: 2_000, interval: 5 }).toEqual([]);
    const regen = await second.ok('generate', { mode: 'swipe', chatId, messageId: reply.id });
    const end = await second.ended(regen.streamId);
    expect(end.message.swipes).toHaveLength(2);
    expect(end.message.swipes[0]).toBe(full);
  });

  it('shutdown on a full disk rejects with a typed error and keeps the reply; a second shutdown stores it', async () => {
    const { seam, faults } = faultySeam();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const provider: Provider = async function* (ctx) {
      yield 'first ';
      await sleep(30);
      yield 'second ';
      await Promise.race([gate, new Promise((r) => ctx.signal.addEventListener('abort', r))]);
    };
    const { ok, services, dataDir } = await setup({ provider, fs: seam, intervalMs: 10_000 });
    const { chatId } = await chatWithUser(ok);
    await ok('generate', { mode: 'new', chatId });
    await sleep(80);
    faults.write = { code: 'ENOSPC', afterBytes: 0 };
    const e = await services.shutdown().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'DISK_FULL' });
    delete faults.write;
    await services.shutdown();
    cleanups.pop();
    release();
    const store = await openChatStore({ dataDir });
    expect((await store.loadChat(chatId)).messages[1]).toMatchObject({ content: 'first second ', status: 'interrupted' });
    await store.close();
  });
});

describe('drafts', () => {
  it('are per chat, kept main-side, survive a restart, and go with a deleted chat', async () => {
    const dataDir = tempDir();
    const s1 = await setup({ dataDir });
    const a = await chatWithUser(s1.ok);
    const other = (await s1.ok('createChat', { characterId: a.characterId })).chatId;
    await s1.ok('setDraft', { chatId: a.chatId, text: 'half a thought' });
    await s1.ok('setDraft', { chatId: other, text: 'elsewhere', flush: true });
    expect(JSON.parse(await readFile(new Layout(dataDir).draftsFile, 'utf8')).drafts).toEqual({ [a.chatId]: 'half a thought', [other]: 'elsewhere' });
    await s1.ok('setDraft', { chatId: a.chatId, text: 'a whole thought' });
    await s1.shutdown(); // quit flushes the pending draft
    const s2 = await setup({ dataDir });
    expect(await s2.ok('getDraft', { chatId: a.chatId })).toEqual({ text: 'a whole thought' });
    expect(await s2.ok('getDraft', { chatId: other })).toEqual({ text: 'elsewhere' });
    await s2.ok('deleteChat', { chatId: other });
    expect(await s2.ok('getDraft', { chatId: other })).toEqual({ text: '' });
    expect(JSON.parse(await readFile(new Layout(dataDir).draftsFile, 'utf8')).drafts).toEqual({ [a.chatId]: 'a whole thought' });
  });

  it('a sent message flushes deferred writes at once (a significant event)', async () => {
    const { ok, dataDir } = await setup({ intervalMs: 60_000 });
    const a = await chatWithUser(ok);
    await ok('setDraft', { chatId: a.chatId, text: 'typed' });
    await ok('appendMessage', { chatId: a.chatId, message: { role: 'user', content: 'sent' } });
    // The flush runs beside the answer; the interval is a minute, so only the flush can write it.
    let drafts: unknown;
    for (let i = 0; i < 100 && drafts === undefined; i++) {
      drafts = await readFile(new Layout(dataDir).draftsFile, 'utf8').then((t) => JSON.parse(t).drafts, () => undefined);
      if (drafts === undefined) await sleep(20);
    }
    expect(drafts).toEqual({ [a.chatId]: 'typed' });
  });
});

// Per-connection flow control in the browser host, in process, over real sockets:
// requests in flight are bounded, and a connection whose unsent bytes (replies or
// broadcast events) pass the budget is closed with 1008 and a reason.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openChatStore } from '../../electron/store/index.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import type { FlowLimits } from '../../electron/host/flow.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(opts: { wrap?: (s: ChatStore) => ChatStore; flowLimits?: FlowLimits; provider?: Provider; before?: (s: ChatStore) => Promise<void> } = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-flow-'));
  const real = await openChatStore({ dataDir });
  await opts.before?.(real);
  const store = opts.wrap ? opts.wrap(real) : real;
  const host: Host = await startHost({
    store,
    staticDir: dataDir,
    ...(opts.flowLimits ? { flowLimits: opts.flowLimits } : {}),
    ...(opts.provider ? { provider: opts.provider } : {}),
  });
  cleanups.push(async () => {
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const token = host.url.split('#token=')[1]!;
  const connect = async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${token}`, { origin: `http://127.0.0.1:${host.port}` });
    cleanups.push(async () => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return ws;
  };
  return { real, store, host, connect };
}

async function bigChat(store: ChatStore): Promise<string> {
  const chat = await store.createChat({ characterId: 'char-1', title: 'big' });
  for (let i = 0; i < 3; i++) await store.appendMessage(chat.chatId, { role: 'user', content: String(i).repeat(1_000_000) });
  return chat.chatId;
}

function closed(ws: WebSocket, timeoutMs: number): Promise<{ code: number; reason: string } | 'still open'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still open'), timeoutMs);
    ws.once('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: String(reason) });
    });
  });
}

describe('requests in flight', () => {
  it('at most 8 requests of one connection run at once; all 60 are answered', async () => {
    let running = 0;
    let most = 0;
    // Made before the host starts: the library search then finds it in its first listing, and
    // calls no getChat of its own (which the count below would take for a request's).
    let chatId = '';
    const { connect } = await setup({
      before: async (real) => {
        chatId = (await real.createChat({ characterId: 'char-1', title: 't' })).chatId;
      },
      wrap: (s) =>
        new Proxy(s, {
          get(target, prop, receiver) {
            if (prop !== 'getChat') return Reflect.get(target, prop, receiver);
            return async (chatId: string) => {
              running++;
              most = Math.max(most, running);
              await sleep(20);
              running--;
              return target.getChat(chatId);
            };
          },
        }),
    });
    const ws = await connect();
    const answers = new Map<number, any>();
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.kind === 'result') answers.set(msg.id, msg.result);
    });
    for (let i = 0; i < 60; i++) ws.send(JSON.stringify({ id: i, channel: 'getChat', payload: { chatId } }));
    for (let t = 0; t < 500 && answers.size < 60; t++) await sleep(20);
    expect(answers.size).toBe(60);
    expect([...answers.values()].every((r) => r.ok === true)).toBe(true);
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
  });
});

describe('send budget', () => {
  const limits: FlowLimits = { maxInFlight: 64, maxQueued: 1024, highWaterBytes: 1024 * MB, maxBufferedBytes: 4 * MB, closeGraceMs: 10_000 };

  it('replies piling up for a client that does not read close it with 1008 and a reason', async () => {
    const { real, connect } = await setup({ flowLimits: limits });
    const chatId = await bigChat(real);
    const slow = await connect();
    const normal = await connect();
    slow.pause();
    let results = 0;
    slow.on('message', () => results++);
    const gone = closed(slow, 8_000);
    for (let i = 0; i < 30; i++) slow.send(JSON.stringify({ id: i, channel: 'loadChat', payload: { chatId, options: { limit: 3 } } }));
    await sleep(3_000);
    slow.resume(); // now read what was sent: the replies that fitted, then the close frame
    const end = await gone;
    expect(end).toMatchObject({ code: 1008 });
    expect((end as { reason: string }).reason).toMatch(/not reading/);
    expect(results).toBeLessThan(30);
    // The other connection is untouched.
    const answer = new Promise<any>((resolve) => normal.once('message', (d) => resolve(JSON.parse(String(d)))));
    normal.send(JSON.stringify({ id: 'x', channel: 'getChat', payload: { chatId } }));
    expect((await answer).result.ok).toBe(true);
  }, 30_000);

  it('broadcast events count too: a non-reading bystander is closed while the generating client gets its stream', async () => {
    const chunk = 'y'.repeat(50_000);
    const provider: Provider = async function* () {
      for (let i = 0; i < 200; i++) {
        yield chunk;
        await sleep(0);
      }
    };
    const { real, connect } = await setup({ flowLimits: limits, provider });
    const chat = await real.createChat({ characterId: 'char-1', title: 't' });
    const bystander = await connect();
    bystander.pause();
    const gone = closed(bystander, 20_000);
    const active = await connect();
    let chunks = 0;
    const ended = new Promise<void>((resolve) =>
      active.on('message', (d) => {
        const msg = JSON.parse(String(d));
        if (msg.kind === 'event' && msg.event === 'stream:chunk') chunks++;
        if (msg.kind === 'event' && msg.event === 'stream:end') resolve();
      }),
    );
    active.send(JSON.stringify({ id: 1, channel: 'generate', payload: { mode: 'new', chatId: chat.chatId } }));
    await ended;
    expect(chunks).toBe(200);
    bystander.resume();
    expect(await gone).toMatchObject({ code: 1008 });
  }, 30_000);
});

// A client that sends many big requests and never reads the replies must not grow the
// host without bound. The host runs as a child process (its RSS read from /proc); the
// clients are real WebSocket connections, the slow one with its socket paused.
import { readFile, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openChatStore } from '../../electron/store/index.ts';
import { startHost, tempRoot, type RunningHost } from '../e2e/host.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MB = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  if (!m) throw new Error('no VmRSS');
  return Number(m[1]) * 1024;
}

/** A chat whose one page of 3 messages is about 3 MB of JSON. */
async function bigChat(dataDir: string): Promise<string> {
  const store = await openChatStore({ dataDir });
  const chat = await store.createChat({ characterId: 'char-1', title: 'big' });
  for (let i = 0; i < 3; i++) await store.appendMessage(chat.chatId, { role: 'user', content: String(i).repeat(1_000_000) });
  await store.close();
  return chat.chatId;
}

function connect(host: RunningHost): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(host.url).port}/ws?token=${host.token}`, { origin: host.origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** One request on a reading connection; resolves with its result. */
function call(ws: WebSocket, id: number, channel: string, payload: unknown, timeoutMs = 10_000): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${channel} not answered in ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(String(data));
      if (msg.kind === 'result' && msg.id === id) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(msg.result);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, channel, payload }));
  });
}

describe('browser host memory under a client that never reads', () => {
  it('200 × 3 MB loadChat requests from a non-reading client: host RSS stays bounded, other clients are answered', async () => {
    const root = await tempRoot();
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const chatId = await bigChat(root);
    const host = await startHost(root);
    cleanups.push(() => host.stop());
    const pid = host.proc.pid!;

    const normal = await connect(host);
    cleanups.push(async () => normal.terminate());
    // Warm up: the chat is open and one big page has been built once.
    const first = await call(normal, 1, 'loadChat', { chatId, options: { limit: 3 } });
    expect(first.ok).toBe(true);
    expect(JSON.stringify(first).length).toBeGreaterThan(3_000_000);
    await sleep(500);
    const baseline = await rssBytes(pid);

    const slow = await connect(host);
    cleanups.push(async () => slow.terminate());
    slow.pause(); // never reads another byte
    for (let i = 0; i < 200; i++) slow.send(JSON.stringify({ id: i, channel: 'loadChat', payload: { chatId, options: { limit: 3 } } }));

    let peak = baseline;
    const answered: number[] = [];
    const deadline = Date.now() + 15_000;
    let n = 100;
    while (Date.now() < deadline) {
      peak = Math.max(peak, await rssBytes(pid));
      // Another connection is served all along.
      const t0 = Date.now();
      const r = await call(normal, n++, 'getChat', { chatId }, 5_000);
      expect(r.ok).toBe(true);
      answered.push(Date.now() - t0);
      await sleep(200);
    }
    const growth = peak - baseline;
    console.log(`host RSS baseline ${(baseline / MB).toFixed(0)} MB, peak ${(peak / MB).toFixed(0)} MB, growth ${(growth / MB).toFixed(0)} MB; ${answered.length} getChat answered on the other connection`);
    expect(growth).toBeLessThan(200 * MB);
    // A big answer on the normal connection still works too.
    expect((await call(normal, n++, 'loadChat', { chatId, options: { limit: 3 } }, 15_000)).ok).toBe(true);
  }, 90_000);
});

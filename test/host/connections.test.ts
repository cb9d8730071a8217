// Connection caps and timeouts of the browser host, in process, over real sockets, with
// small limits: app connections have their own pool (over it: 503) and no idle timeout;
// HTTP sockets are capped per source; sockets without a complete request, or with a bad
// token, are closed quickly. (The flood against the real host process is sockets.test.ts.)
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openChatStore } from '../../electron/store/index.ts';
import { startHost, type Host } from '../../electron/host/server.ts';
import type { ConnectionLimits } from '../../electron/host/connections.ts';
import { AUTH_CHECK_PATH } from '../../shared/host-protocol.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const LIMITS: ConnectionLimits = {
  maxHttp: 6,
  maxHttpPerSource: 4,
  maxApp: 2,
  headersTimeoutMs: 600,
  requestTimeoutMs: 1_000,
  keepAliveTimeoutMs: 600,
  idleTimeoutMs: 800,
  checkIntervalMs: 100,
};

async function setup() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-conn-'));
  const store = await openChatStore({ dataDir });
  const host: Host = await startHost({ store, staticDir: dataDir, connectionLimits: LIMITS });
  cleanups.push(async () => {
    await host.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  const token = host.url.split('#token=')[1]!;
  return { host, token };
}

function connectApp(port: number, token: string): Promise<WebSocket | { refused: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`, { origin: `http://127.0.0.1:${port}` });
  cleanups.push(async () => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve({ refused: res.statusCode ?? 0 }));
    ws.once('error', reject);
  });
}

function ping(ws: WebSocket, id: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), 3_000);
    ws.on('message', (d) => {
      const msg = JSON.parse(String(d));
      if (msg.kind === 'result' && msg.id === id) {
        clearTimeout(timer);
        resolve(msg.result.ok === true);
      }
    });
    ws.send(JSON.stringify({ id, channel: 'listCharacters', payload: {} }));
  });
}

/** A raw socket from `source`; resolves with it once connected, and tracks when it closes. */
function rawSocket(port: number, source: string): Promise<{ socket: net.Socket; closedAt: Promise<number> }> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress: source });
  cleanups.push(async () => socket.destroy());
  socket.on('error', () => {});
  socket.on('data', () => {});
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  return new Promise((resolve) => socket.once('connect', () => resolve({ socket, closedAt })));
}

function authCheck(port: number, token: string, localAddress: string): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, localAddress, path: `${AUTH_CHECK_PATH}?token=${token}`, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 'no status');
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(e.message));
  });
}

describe('connection caps', () => {
  it('app connections have their own pool: a third is refused with 503, the two work, and idle ones are not timed out', async () => {
    const { host, token } = await setup();
    const a = await connectApp(host.port, token);
    const b = await connectApp(host.port, token);
    expect(a).toBeInstanceOf(WebSocket);
    expect(b).toBeInstanceOf(WebSocket);
    // HTTP sockets filling their own pool do not touch the app connections.
    const held = await Promise.all([1, 2, 3, 4].map(() => rawSocket(host.port, '127.0.0.2')));
    expect(await connectApp(host.port, token)).toEqual({ refused: 503 });
    // Quiet for longer than every HTTP timeout: the app connections stay, the raw sockets went.
    await sleep(2_000);
    expect(await ping(a as WebSocket, 1)).toBe(true);
    expect(await ping(b as WebSocket, 2)).toBe(true);
    for (const h of held) await h.closedAt;
    // A closed app connection frees its place.
    (a as WebSocket).close();
    await sleep(200);
    expect(await connectApp(host.port, token)).toBeInstanceOf(WebSocket);
  });

  it('places are given back however a connection ends: 60 app connections dropped at every stage, then the pool is whole', async () => {
    const { host, token } = await setup();
    for (let i = 0; i < 60; i++) {
      const ws = new WebSocket(`ws://127.0.0.1:${host.port}/ws?token=${token}`, { origin: `http://127.0.0.1:${host.port}` });
      ws.on('error', () => {});
      const ended = new Promise((r) => ws.once('close', r));
      if (i % 3 === 0) ws.terminate(); // during the handshake
      else await new Promise((r) => ws.once('open', r));
      if (i % 3 === 1) ws.terminate(); // an abrupt end
      if (i % 3 === 2) ws.close(); // a clean close
      await ended;
    }
    await sleep(300);
    const a = await connectApp(host.port, token);
    const b = await connectApp(host.port, token);
    expect(a).toBeInstanceOf(WebSocket);
    expect(b).toBeInstanceOf(WebSocket);
    expect(await ping(a as WebSocket, 1)).toBe(true);
    // And the HTTP pool: a source's full share still fits.
    // (Held, not refused: each lives until the headers timeout.)
    const t0 = Date.now();
    const held = await Promise.all([1, 2, 3, 4].map(() => rawSocket(host.port, '127.0.0.1')));
    for (const h of held) expect((await h.closedAt) - t0).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 50);
  });

  it('one source cannot take every HTTP place: another source is still served, its own next socket is closed at once', async () => {
    const { host, token } = await setup();
    const held = await Promise.all([1, 2, 3, 4].map(() => rawSocket(host.port, '127.0.0.2')));
    await sleep(100);
    const t0 = Date.now();
    const extra = await rawSocket(host.port, '127.0.0.2');
    expect((await extra.closedAt) - t0).toBeLessThan(1_000); // at once (generous: the machine is busy)
    expect(await authCheck(host.port, token, '127.0.0.1')).toBe(204);
    // The held ones are closed by the headers timeout (600 ms, checked every 100 ms).
    for (const h of held) expect((await h.closedAt) - t0).toBeLessThan(3_000);
  });

  it('slowloris headers are closed by the headers timeout; an upgrade with a bad token is answered 401 and closed at once', async () => {
    const { host } = await setup();
    const slow = await rawSocket(host.port, '127.0.0.1');
    const t0 = Date.now();
    slow.socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\n`);
    const ticker = setInterval(() => slow.socket.write('X-Slow: a\r\n'), 100);
    const slowClosed = (await slow.closedAt) - t0;
    clearInterval(ticker);
    expect(slowClosed).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 50);
    expect(slowClosed).toBeLessThan(3_000);

    const bad = await rawSocket(host.port, '127.0.0.1');
    let answer = '';
    bad.socket.on('data', (d) => (answer += d));
    const t1 = Date.now();
    bad.socket.write(
      `GET /ws?token=nope HTTP/1.1\r\nHost: 127.0.0.1:${host.port}\r\nOrigin: http://127.0.0.1:${host.port}\r\n` +
        'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    expect((await bad.closedAt) - t1).toBeLessThan(1_000);
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
  });
});

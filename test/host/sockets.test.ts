// Many more sockets than the host will hold must not starve the store of file descriptors.
// The host runs as a child process under a lowered RLIMIT_NOFILE (`ulimit -n 256`), so on a
// host without connection caps the flood below really exhausts its descriptors (EMFILE). A
// second child process holds thousands of idle, slowloris and bad-token upgrade sockets from
// 127.0.0.2; meanwhile this test writes real messages (in new chats too: new files) through
// its authenticated WebSocket, and asks for the auth check over plain HTTP from 127.0.0.1.
import { execFileSync, spawn } from 'node:child_process';
import { readdir, readFile, readlink, rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openChatStore } from '../../electron/store/index.ts';
import { openCharacterRegistry } from '../../electron/app-data/characters.ts';
import { AUTH_CHECK_PATH } from '../../shared/host-protocol.ts';
import { startHost, tempRoot, type RunningHost } from '../e2e/host.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOST_NOFILE = 256;
const FLOOD_MS = 15_000;
/** A socket that has not sent a complete request (or sent one with a bad token) is gone by then. */
const UNAUTHENTICATED_BOUND_MS = 10_000;

async function openFds(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** Sockets the host process holds (its listening socket included). */
async function openSockets(pid: number): Promise<number> {
  const links = await Promise.all((await readdir(`/proc/${pid}/fd`)).map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return links.filter((l) => l.startsWith('socket:')).length;
}

async function softNofile(pid: number): Promise<number> {
  const m = /Max open files\s+(\d+)/.exec(await readFile(`/proc/${pid}/limits`, 'utf8'));
  return Number(m![1]);
}

function connect(host: RunningHost): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${new URL(host.url).port}/ws?token=${host.token}`, { origin: host.origin });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

let nextId = 1;
function call(ws: WebSocket, channel: string, payload: unknown, timeoutMs = 10_000): Promise<any> {
  const id = nextId++;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      resolve({ ok: false, error: { code: 'TEST_TIMEOUT', message: `${channel} not answered in ${timeoutMs} ms` } });
    }, timeoutMs);
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

/** GET the auth check from a given source address: the status, or why there was none. */
function authCheck(host: RunningHost, localAddress: string): Promise<number | string> {
  const port = Number(new URL(host.url).port);
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, localAddress, path: `${AUTH_CHECK_PATH}?token=${host.token}`, agent: false, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 'no status');
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve(e.message));
  });
}

describe('browser host under a socket flood', () => {
  it('thousands of unauthenticated sockets: every message is stored, the host stays up, idle sockets close within the timeout', async () => {
    // The flood's own process needs descriptors for its sockets: size it to what this machine allows.
    const ourLimit = Number(execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
    const idle = Math.min(2_000, ourLimit - 400);
    expect(idle, `ulimit -n is ${ourLimit}: too low to flood a host limited to ${HOST_NOFILE}`).toBeGreaterThan(4 * HOST_NOFILE);

    const root = await tempRoot();
    cleanups.push(() => rm(root, { recursive: true, force: true }));
    const characterId = (await openCharacterRegistry(root).create('Flood')).id;
    const host = await startHost(root, {}, { maxOpenFiles: HOST_NOFILE });
    cleanups.push(() => host.stop());
    const pid = host.proc.pid!;
    expect(await softNofile(pid)).toBe(HOST_NOFILE);
    const fdsBefore = await openFds(pid);

    const app = await connect(host);
    cleanups.push(async () => app.terminate());
    expect(await authCheck(host, '127.0.0.1')).toBe(204);
    await sleep(200);
    const socketsBefore = await openSockets(pid);

    const flood = spawn(
      process.execPath,
      [
        path.join(import.meta.dirname, 'socket-flood.ts'),
        JSON.stringify({ port: Number(new URL(host.url).port), source: '127.0.0.2', idle, slowloris: 200, badUpgrade: 100, durationMs: FLOOD_MS, reopenMs: 2_000, graceMs: UNAUTHENTICATED_BOUND_MS }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(async () => flood.kill('SIGKILL'));
    let floodOut = '';
    let graceOver = false;
    flood.stdout!.on('data', (d) => {
      floodOut += d;
      graceOver ||= floodOut.includes('"phase":"grace over"');
    });
    const floodDone = new Promise<void>((resolve) => flood.once('exit', () => resolve()));

    // Real writes all through the flood: a message every 150 ms, a new chat (a new file) every fifth.
    const written = new Map<string, number>();
    const failures: unknown[] = [];
    const httpAnswers: (number | string)[] = [];
    let peakFds = 0;
    let chatId = '';
    for (let i = 0; !graceOver && flood.exitCode === null; i++) {
      if (i % 5 === 0) {
        const r = await call(app, 'createChat', { characterId, title: `flood ${i}` });
        if (!r.ok) {
          failures.push(r.error);
          await sleep(150);
          continue;
        }
        chatId = r.data.chatId;
        written.set(chatId, 0);
      }
      if (chatId) {
        const r = await call(app, 'appendMessage', { chatId, message: { role: 'user', content: `message ${i}` } });
        if (r.ok) written.set(chatId, written.get(chatId)! + 1);
        else failures.push(r.error);
      }
      if (i % 10 === 0) httpAnswers.push(await authCheck(host, '127.0.0.1'));
      peakFds = Math.max(peakFds, await openFds(pid).catch(() => 0));
      await sleep(150);
    }
    // Every socket the flood opened has had the full bound to be closed, and the flood still holds
    // whatever it believes open: count what the host holds.
    const socketsAfter = await openSockets(pid);
    expect(flood.exitCode, 'the flood ended before its sockets were counted').toBeNull();
    await floodDone;
    const report = JSON.parse(floodOut.trim().split('\n').pop()!);
    const stored = [...written.values()].reduce((a, b) => a + b, 0);
    console.log(
      `host RLIMIT_NOFILE ${HOST_NOFILE}, fds before ${fdsBefore}, peak ${peakFds}; sockets before ${socketsBefore}, when the flood's grace was over ${socketsAfter}; flood: ${JSON.stringify(report)}; ` +
        `${stored} messages in ${written.size} chats written, ${failures.length} failed; HTTP from another source: ${JSON.stringify(httpAnswers)}`,
    );

    // The flood was real: far more sockets than the host's descriptor limit were connected.
    expect(report.connects).toBeGreaterThan(2 * HOST_NOFILE);
    // The user's writes never failed, and the host kept descriptors to spare.
    expect(failures).toEqual([]);
    expect(stored).toBeGreaterThan(20);
    expect(peakFds).toBeLessThan(HOST_NOFILE - 32);
    // Another source was still served over HTTP all along.
    expect(httpAnswers.every((s) => s === 204)).toBe(true);
    // Unauthenticated sockets were closed within the bound; a bad-token upgrade at once.
    expect(socketsAfter).toBeGreaterThan(0);
    expect(socketsAfter).toBeLessThanOrEqual(socketsBefore);
    expect(report.longest.idle).toBeLessThan(UNAUTHENTICATED_BOUND_MS);
    expect(report.longest.slowloris).toBeLessThan(UNAUTHENTICATED_BOUND_MS);
    expect(report.longest.badUpgrade).toBeLessThan(2_000);

    // The host is up: the app's connection answers, and a new window can connect.
    expect(host.proc.exitCode).toBeNull();
    expect((await call(app, 'listChats', { characterId })).ok).toBe(true);
    const second = await connect(host);
    cleanups.push(async () => second.terminate());
    expect((await call(second, 'listChats', { characterId })).data).toHaveLength(written.size);

    // Everything acknowledged is on disk: read back with the store after the host stopped.
    app.terminate();
    second.terminate();
    expect(await host.stop()).toBe(0);
    const store = await openChatStore({ dataDir: root });
    try {
      for (const [id, count] of written) {
        const page = await store.loadChat(id, { limit: 1_000 });
        expect(page.messages.length, `chat ${id}`).toBe(count);
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});

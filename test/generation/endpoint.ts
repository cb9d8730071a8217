// Test helpers: a real OpenAI-compatible endpoint on 127.0.0.1 whose handler the test writes,
// and the app's services on a temporary data folder, with `generate()` resolving with the
// reply's stream:end event.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { createServices } from '../../electron/ipc/services.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { Layout } from '../../electron/store/layout.ts';

export type Cleanup = () => Promise<unknown>;

export interface Endpoint {
  base: string;
  port: number;
  hits: IncomingMessage[];
  /** Requests whose connection has closed (by either side). */
  closed: number;
}

/** `handler` runs once the request body has arrived. */
export async function endpoint(cleanups: Cleanup[], handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Endpoint> {
  const ep: Endpoint = { base: '', port: 0, hits: [], closed: 0 };
  const server: Server = createServer((req, res) => {
    ep.hits.push(req);
    res.on('close', () => ep.closed++);
    req.resume();
    req.on('end', () => handler(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  ep.port = (server.address() as AddressInfo).port;
  ep.base = `http://127.0.0.1:${ep.port}/v1`;
  cleanups.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(r);
      }),
  );
  return ep;
}

/** One SSE chunk carrying `text`. */
export const chunk = (text: string) => `data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\n`;

/** `seed`: a settings file written by hand before the app opens the folder. */
export async function setup(cleanups: Cleanup[], seed?: Record<string, unknown>) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-endpoint-'));
  if (seed) {
    await mkdir(new Layout(dataDir).deviceAppDir, { recursive: true });
    await writeFile(path.join(new Layout(dataDir).deviceAppDir, 'config.json'), JSON.stringify(seed));
  }
  const store = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: (s) => s });
  cleanups.push(async () => {
    await services.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const call = (ch: string, p: unknown = {}) => services.binding.handle(true, ch, p) as Promise<any>;
  const character = (await call('createCharacter', { name: 'x' })).data;
  const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
  const chatId: string = chat.chatId;
  await call('appendMessage', { chatId, message: { role: 'user', content: 'hello' } });
  /** Starts a reply and resolves with its stream:end event. */
  const generate = async (waitMs = 30_000) => {
    const started = await call('generate', { mode: 'new', chatId });
    expect(started.ok).toBe(true);
    const { streamId } = started.data;
    const until = Date.now() + waitMs;
    while (Date.now() < until) {
      const end = events.find(([e, p]) => e === 'stream:end' && p.streamId === streamId);
      if (end) return end[1];
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('no stream:end');
  };
  return { dataDir, call, events, generate, chatId };
}

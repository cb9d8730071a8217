// Test helpers shared by the request tests: an OpenAI-compatible endpoint on 127.0.0.1 that
// records every completion request body and replies "ok" (other paths, such as a tokenizer API,
// get 404 so token counts stay estimates), and the app's services on a data folder with a `call`
// that throws on a failed channel and a `generate` that resolves with the reply's stream:end.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServices } from '../../electron/ipc/services.ts';
import { openChatStore } from '../../electron/store/index.ts';

export type Cleanup = () => Promise<unknown>;

export async function recordingEndpoint(cleanups: Cleanup[]) {
  const bodies: any[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url !== '/v1/chat/completions') {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      bodies.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify({ choices: [{ delta: { content: 'ok' } }] })}\n\ndata: [DONE]\n\n`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => (server.closeAllConnections(), server.close(r))));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, bodies };
}

/** Resolves with the payload of the stream's stream:end event (polled; rejects after ~5 s). */
export async function streamEnd(events: [string, any][], streamId: string): Promise<any> {
  for (let i = 0; i < 500; i++) {
    const end = events.find(([e, p]) => e === 'stream:end' && p.streamId === streamId);
    if (end) return end[1];
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('no stream:end');
}

export async function openServices(dataDir: string, opts: { watch?: boolean } = {}) {
  const store = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: (s) => s, ...(opts.watch === false ? { watch: false } : {}) });
  const call = async (ch: string, p: unknown = {}) => {
    const r = (await services.binding.handle(true, ch, p)) as any;
    if (!r.ok) throw new Error(`${ch}: ${r.error.code} ${r.error.message}`);
    return r.data;
  };
  const generate = async (chatId: string) => streamEnd(events, (await call('generate', { mode: 'new', chatId })).streamId);
  return { services, events, call, generate };
}

// A fake OpenAI-compatible endpoint on 127.0.0.1 for the e2e specs: GET /v1/models lists
// "fake-model", POST /v1/chat/completions streams `reply` word by word; anything else is 404 (so
// the prompt viewer finds no tokenizer API). Every request is recorded, and every completion's body.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

export interface FakeEndpoint {
  /** The base URL to type into Generation settings. */
  base: string;
  hits: Hit[];
  bodies: { messages: { role: string; content: string }[] }[];
  close(): Promise<void>;
}

export async function fakeEndpoint(reply: string): Promise<FakeEndpoint> {
  const hits: Hit[] = [];
  const bodies: FakeEndpoint['bodies'] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hits.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-model', object: 'model' }] }));
      } else if (req.method === 'POST' && req.url === '/v1/chat/completions') {
        bodies.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const word of reply.split(/(?<= )/)) res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: word } }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'no such route' } }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    hits,
    bodies,
    close: () => new Promise((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

// Outbound generation requests: which base URLs are accepted (at save and at request time),
// no redirects followed, and no raw upstream body reaching the renderer.
// The endpoint is a real HTTP server on 127.0.0.1.
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAiProvider } from '../../electron/generation/openai.ts';
import { Layout } from '../../electron/store/layout.ts';
import { endpoint, setup } from '../generation/endpoint.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const sse = (res: ServerResponse, text: string) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(`data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\ndata: [DONE]\n\n`);
};

const REFUSED = [
  'http://169.254.169.254/latest/meta-data',
  'http://169.254.0.1:8080/v1',
  'http://[fe80::1]:8080/v1',
  'http://[febf::1]/v1',
  'http://metadata.google.internal/computeMetadata/v1',
  'http://METADATA.google.internal./v1',
  'http://100.100.100.200/v1',
  'http://[fd00:ec2::254]/v1',
  'http://[::ffff:169.254.169.254]/v1',
  'http://[::ffff:a9fe:a9fe]/v1',
  'http://0xa9fea9fe/v1', // 169.254.169.254 spelled as one hex number
  'http://user:pw@127.0.0.1:5001/v1',
  'http://user@127.0.0.1:5001/v1',
  'http://127.0.0.1:5001/v1?x=1',
  'http://127.0.0.1:5001/v1?',
  'http://127.0.0.1:5001/v1#frag',
  'http://evil.example/steal?',
  'ftp://127.0.0.1/v1',
  'file:///etc/passwd',
  'javascript:alert(1)',
];

const ACCEPTED = [
  'http://127.0.0.1:5001/v1',
  'http://localhost:11434/v1',
  'http://[::1]:8080/v1',
  'http://192.168.1.20:5001/v1',
  'http://10.0.0.5/v1',
  'http://100.64.0.1/v1',
  'https://api.openai.com/v1',
];

describe('base URL at save', () => {
  it('refuses link-local, metadata, userinfo, query, fragment and non-http URLs with INVALID_INPUT; keeps the old value', async () => {
    const { call } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: 'http://127.0.0.1:5001/v1' });
    for (const baseUrl of REFUSED) {
      const r = await call('setGenerationSettings', { baseUrl });
      expect(r, baseUrl).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
      expect(r.error.message.length, baseUrl).toBeGreaterThan(10);
    }
    expect((await call('getGenerationSettings')).data.baseUrl).toBe('http://127.0.0.1:5001/v1');
  });

  it('accepts loopback, private LAN and public http(s) URLs', async () => {
    const { call } = await setup(cleanups);
    for (const baseUrl of ACCEPTED) {
      expect(await call('setGenerationSettings', { baseUrl }), baseUrl).toMatchObject({ ok: true, data: { baseUrl } });
    }
  });
});

describe('base URL at request time', () => {
  it('a refused URL written into the settings file by hand is not requested', async () => {
    const ep = await endpoint(cleanups, (_req, res) => sse(res, 'reached'));
    const hosts = [`127.0.0.1:${ep.port}`, `localhost:${ep.port}`];
    for (const baseUrl of [`${ep.base}?x=1`, `${ep.base}#x`, `http://user:pw@${hosts[0]}/v1`, `http://user:pw@${hosts[1]}/v1`]) {
      const { generate } = await setup(cleanups, { provider: 'openai', baseUrl, model: '', apiKey: 'sk-x', paceMs: 0 });
      const end = await generate();
      expect(end, baseUrl).toMatchObject({ status: 'error', error: { code: 'INVALID_INPUT' } });
    }
    expect(ep.hits).toHaveLength(0);
  });

  it('a host name that resolves to a link-local or metadata address is not requested', async () => {
    const ep = await endpoint(cleanups, (_req, res) => sse(res, 'reached'));
    for (const address of ['169.254.169.254', 'fe80::1', 'fe80::1%eth0', '::ffff:169.254.169.254', '::ffff:0:169.254.1.1', '64:ff9b::a9fe:a9fe', 'fd00:ec2::254', '100.100.100.200']) {
      // "localhost" really is this server; the lookup claims otherwise, as a hostile DNS answer would.
      const provider = openAiProvider({
        baseUrl: `http://localhost:${ep.port}/v1`,
        model: '',
        apiKey: 'sk-x',
        lookup: async () => [{ address: '127.0.0.1' }, { address }],
      });
      const out: string[] = [];
      const err = await (async () => {
        for await (const d of provider({ messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal, variant: 0 })) out.push(d);
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, address).toMatchObject({ code: 'INVALID_INPUT' });
      expect(String((err as Error).message)).toContain(address);
      expect(out).toEqual([]);
    }
    expect(ep.hits).toHaveLength(0);
  });

  it('a host name that resolves to loopback is requested as usual', async () => {
    const ep = await endpoint(cleanups, (_req, res) => sse(res, 'hello from localhost'));
    const { call, generate } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: `http://localhost:${ep.port}/v1` });
    expect(await generate()).toMatchObject({ status: 'complete', message: { content: 'hello from localhost' } });
    expect(ep.hits.map((r) => r.url)).toEqual(['/v1/chat/completions']);
  });
});

describe('redirects', () => {
  it('a redirect to another origin is refused: the other server never sees the request or the key', async () => {
    const other = await endpoint(cleanups, (_req, res) => sse(res, 'LEAKED'));
    const first = await endpoint(cleanups, (_req, res) => {
      res.writeHead(307, { location: `http://localhost:${other.port}/v1/chat/completions` });
      res.end();
    });
    const { call, generate } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: first.base, apiKey: 'sk-secret' });
    const end = await generate();
    expect(end).toMatchObject({ status: 'error', error: { code: 'IO_ERROR' } });
    expect(end.error.message).toContain('307');
    expect(end.error.message).toMatch(/redirect/);
    expect(JSON.stringify(end)).not.toContain(String(other.port));
    expect(first.hits).toHaveLength(1);
    expect(other.hits).toHaveLength(0);
  });
});

describe('upstream error bodies', () => {
  it('only the status and the parsed error.message reach the renderer, never the raw body', async () => {
    const bodies: [number, string][] = [
      [401, JSON.stringify({ error: { message: 'Incorrect API key \u0007provided\nplease check', type: 'auth' }, debug: 'SECRET-TOKEN-123 /home/user/.cache' })],
      [404, JSON.stringify({ error: 'model "llama" not found', trace: 'SECRET-TOKEN-123' })],
      [500, `<html>SECRET-TOKEN-123 internal stack trace at /srv/app.py</html>`],
      [503, JSON.stringify({ error: { message: 'x'.repeat(5_000) + 'SECRET-TOKEN-123' } })],
    ];
    let next = 0;
    const ep = await endpoint(cleanups, (_req, res) => {
      const [status, body] = bodies[next++]!;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    const { call, generate, events } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });
    const ends = [];
    for (let i = 0; i < bodies.length; i++) ends.push(await generate());
    for (const end of ends) expect(end).toMatchObject({ status: 'error', error: { code: 'IO_ERROR' } });
    expect(ends.map((e) => e.error.message)).toEqual([
      'generation endpoint answered 401: Incorrect API key provided please check',
      'generation endpoint answered 404: model "llama" not found',
      'generation endpoint answered 500',
      `generation endpoint answered 503: ${'x'.repeat(199)}…`,
    ]);
    expect(JSON.stringify(events)).not.toContain('SECRET-TOKEN-123');
    expect(JSON.stringify(events)).not.toContain('/srv/app.py');
  });
});

describe('settings file', () => {
  it('a refused URL is never written', async () => {
    const { call, dataDir } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: 'http://127.0.0.1:5001/v1' });
    await call('setGenerationSettings', { baseUrl: 'http://169.254.169.254/v1' });
    expect(await readFile(path.join(new Layout(dataDir).deviceAppDir, 'config.json'), 'utf8')).not.toContain('169.254');
  });
});

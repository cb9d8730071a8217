// Issue 15 §6: an API key that an HTTP header cannot carry is refused when saved (a typed
// INVALID_INPUT the settings UI shows), and no network error's own text reaches a window: Node's
// fetch quotes an invalid header value in its message, which once went out in stream:end.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openAiProvider } from '../../electron/generation/openai.ts';
import { testConnection } from '../../electron/generation/connection-test.ts';
import { DEFAULT_GENERATION_SETTINGS } from '../../electron/generation/generation-settings.ts';
import { chunk, endpoint, setup, type Cleanup } from './endpoint.ts';
import { Layout } from '../../electron/store/layout.ts';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SECRET = 'sk-SECRET-4711';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
const UNSAFE = [`${SECRET}\nX-Injected: 1`, `${SECRET}\r`, `${SECRET}\u0000`, `${SECRET}\t`, `${SECRET}\u007f`, `${SECRET}\u0085`, `${SECRET}ключ`, `${SECRET}🔑`];

describe('saving an API key', () => {
  it('refuses a key with a line break, NUL, tab, other control characters or beyond Latin-1, without quoting it; keeps the old key', async () => {
    const { call, dataDir } = await setup(cleanups);
    expect((await call('setGenerationSettings', { provider: 'openai', apiKey: 'sk-good' })).data.hasApiKey).toBe(true);
    for (const apiKey of UNSAFE) {
      const r = await call('setGenerationSettings', { apiKey });
      expect(r, JSON.stringify(apiKey)).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: 'apiKey' } } });
      expect(r.error.message).toMatch(/^setGenerationSettings: apiKey: the API key may hold only printable characters/);
      expect(JSON.stringify(r)).not.toContain(SECRET);
    }
    const { readFile } = await import('node:fs/promises');
    const file = await readFile(`${new Layout(dataDir).deviceAppDir}/config.json`, 'utf8');
    expect(JSON.parse(file).apiKey).toBe('sk-good');
    // Printable ASCII and Latin-1 are header-safe.
    expect((await call('setGenerationSettings', { apiKey: 'sk-ok_~ !"#$%&\'()*+,-./09:;<=>?@AZ[\\]^`az{|}éÿ' })).ok).toBe(true);
  });
});

describe('network errors never reach a window as they are', () => {
  it('a key with a line break in the settings file is dropped at start, and a failed request says only our words', async () => {
    // A port nothing listens on (taken and let go): the request fails.
    const port = await freePort();
    const { generate, events, call } = await setup(cleanups, { provider: 'openai', baseUrl: `http://127.0.0.1:${port}/v1`, model: '', apiKey: `${SECRET}\nX-Injected: 1` });
    const end = await generate();
    expect(JSON.stringify(events)).not.toContain(SECRET);
    expect(JSON.stringify(events)).not.toMatch(/Headers|Bearer|fetch failed|invalid header/i);
    expect(end).toMatchObject({ status: 'error', error: { code: 'IO_ERROR', message: expect.stringMatching(/^the generation endpoint refused the connection \(ECONNREFUSED\)/) } });
    expect((await call('getGenerationSettings')).data.hasApiKey).toBe(false);
  });

  it('the provider refuses a key that is not header-safe before any request, without quoting it', async () => {
    const ep = await endpoint(cleanups, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`${chunk('reached')}data: [DONE]\n\n`);
    });
    for (const apiKey of UNSAFE) {
      const provider = openAiProvider({ baseUrl: ep.base, model: '', apiKey });
      const err = await (async () => {
        for await (const _ of provider({ messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal, variant: 0 }));
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(apiKey)).toMatchObject({ code: 'INVALID_INPUT' });
      expect(String((err as Error).message)).not.toContain(SECRET);
      const tested = await testConnection({ ...DEFAULT_GENERATION_SETTINGS, provider: 'openai', baseUrl: ep.base, apiKey });
      expect(tested.ok).toBe(false);
      expect(JSON.stringify(tested)).not.toContain(SECRET);
    }
    expect(ep.hits).toHaveLength(0);
  });

  it('a connection cut mid-reply is described in our words; the text so far is kept as interrupted', async () => {
    const ep = await endpoint(cleanups, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('Half a '), () => setTimeout(() => res.socket?.destroy(), 50));
    });
    const { call, generate, events, chatId } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, apiKey: SECRET });
    const end = await generate();
    expect(end).toMatchObject({ status: 'error', error: { code: 'IO_ERROR', message: expect.stringMatching(/^the generation endpoint broke off the reply/) } });
    expect(JSON.stringify(events)).not.toMatch(/terminated|other side closed|fetch failed/);
    expect(JSON.stringify(events)).not.toContain(SECRET);
    const last = (await call('loadChat', { chatId })).data.messages.at(-1);
    expect(last).toMatchObject({ role: 'assistant', content: 'Half a ', status: 'interrupted' });
  });
});

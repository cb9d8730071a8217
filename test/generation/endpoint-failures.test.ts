// Issue 15 §8: a failing endpoint always says so. Real HTTP servers on 127.0.0.1 that never
// answer, stall mid-reply, or answer 200 with something that is not the promised stream; the
// timeouts are settings (validated ranges); Test connection is OK only for a well-formed answer.
import { afterEach, describe, expect, it } from 'vitest';
import { testConnection } from '../../electron/generation/connection-test.ts';
import { DEFAULT_GENERATION_SETTINGS } from '../../electron/generation/generation-settings.ts';
import { chunk, endpoint, setup, type Cleanup } from './endpoint.ts';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An endpoint answering every completion with `body` (status 200, SSE content type). */
async function answering(body: string) {
  return endpoint(cleanups, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(body);
  });
}

describe('timeout settings', () => {
  it('default to 60 s, are validated (1 s to 10 min), and are saved', async () => {
    const { call } = await setup(cleanups);
    expect((await call('getGenerationSettings')).data).toMatchObject({ connectTimeoutMs: 60_000, idleTimeoutMs: 60_000 });
    for (const bad of [999, 600_001, 1.5, -1]) {
      for (const key of ['connectTimeoutMs', 'idleTimeoutMs']) {
        expect(await call('setGenerationSettings', { [key]: bad }), `${key}=${bad}`).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT', details: { field: key } } });
      }
    }
    expect((await call('setGenerationSettings', { connectTimeoutMs: 1_000, idleTimeoutMs: 600_000 })).data).toMatchObject({ connectTimeoutMs: 1_000, idleTimeoutMs: 600_000 });
    expect((await call('getGenerationSettings')).data).toMatchObject({ connectTimeoutMs: 1_000, idleTimeoutMs: 600_000 });
  });
});

describe('timeouts', () => {
  it('an endpoint that never answers ends the reply at the connect timeout', async () => {
    const ep = await endpoint(cleanups, () => {}); // takes the request, never answers
    const { call, generate, chatId } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, connectTimeoutMs: 1_000 });
    const t0 = Date.now();
    const end = await generate(20_000);
    const took = Date.now() - t0;
    expect(end).toMatchObject({ status: 'error', error: { code: 'IO_ERROR', message: expect.stringMatching(/^the generation endpoint did not answer within 1 s/) } });
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(10_000);
    await expect.poll(() => ep.closed).toBe(1); // the request was given up, not left open
    // Nothing arrived: nothing stored.
    expect((await call('loadChat', { chatId })).data.messages.map((m: { role: string }) => m.role)).toEqual(['user']);
  });

  it('an answer that stalls mid-reply ends at the idle timeout, the text so far kept as interrupted', async () => {
    const ep = await endpoint(cleanups, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('Once upon '));
      res.write(': keep-alive comments count as activity\n\n');
      // then nothing, ever
    });
    const { call, generate, chatId } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, idleTimeoutMs: 1_000 });
    const end = await generate(20_000);
    expect(end).toMatchObject({ status: 'error', error: { code: 'IO_ERROR', message: expect.stringMatching(/^the generation endpoint sent nothing for 1 s; the reply so far is kept/) } });
    expect(end.message).toMatchObject({ content: 'Once upon ', status: 'interrupted' });
    expect((await call('loadChat', { chatId })).data.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Once upon ', status: 'interrupted' });
    await expect.poll(() => ep.closed).toBe(1);
  });

  it('an error status whose body stalls still ends, with the status', async () => {
    const ep = await endpoint(cleanups, (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.write('{"error": {"mess');
    });
    const { call, generate } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, idleTimeoutMs: 1_000 });
    expect(await generate(20_000)).toMatchObject({ status: 'error', error: { code: 'IO_ERROR', message: 'generation endpoint answered 503' } });
  });
});

describe('malformed answers', () => {
  const CASES: [string, string, RegExp][] = [
    ['invalid JSON', 'data: {"choices": [{"delta": {"content": "Hi"\n\n', /malformed: the data on line 1 is not valid JSON$/],
    ['JSON without choices', `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk' })}\n\n`, /malformed: the chunk on line 1 has no "choices" list$/],
    ['a JSON array', 'data: [1, 2]\n\n', /malformed: the data on line 1 is not a JSON object$/],
    ['content that is not text', `data: ${JSON.stringify({ choices: [{ delta: { content: 42 } }] })}\n\n`, /malformed: choices\[0\]\.delta\.content on line 1 is not text$/],
    ['an HTML page', '<!doctype html>\n<html><body>Welcome to nginx!</body></html>\n', /malformed: line 1 is not a server-sent event field/],
    ['a non-streamed JSON answer', JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'Hi' } }] }), /malformed: line 1 is not a server-sent event field/],
    ['an empty body', '', /malformed: it held no data: chunks/],
    ['only comments', ': ping\n\n: ping\n\n', /malformed: it held no data: chunks/],
  ];
  for (const [name, body, message] of CASES) {
    it(`${name} ends the stream with an error naming what was wrong`, async () => {
      const ep = await answering(body);
      const { call, generate } = await setup(cleanups);
      await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });
      const end = await generate();
      expect(end).toMatchObject({ status: 'error', error: { code: 'IO_ERROR', message: expect.stringMatching(/^the generation endpoint's answer was malformed: /) } });
      expect(end.error.message).toMatch(message);
    });
  }

  it('a bad chunk after good ones keeps the text so far as interrupted, and names its line', async () => {
    const ep = await answering(`${chunk('Good ')}${chunk('start. ')}data: not json\n\n${chunk('never shown')}data: [DONE]\n\n`);
    const { call, generate } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });
    const end = await generate();
    expect(end).toMatchObject({ status: 'error', message: { content: 'Good start. ', status: 'interrupted' } });
    expect(end.error.message).toMatch(/the data on line 5 is not valid JSON/);
  });

  it('an error object mid-stream ends the reply with its (cleaned) message', async () => {
    const ep = await answering(`${chunk('Partial ')}data: ${JSON.stringify({ error: { message: 'model\noverloaded', type: 'server_error' } })}\n\n`);
    const { call, generate } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });
    const end = await generate();
    expect(end).toMatchObject({ status: 'error', error: { message: 'the generation endpoint reported an error mid-reply: model overloaded' }, message: { content: 'Partial ', status: 'interrupted' } });
  });

  it('what real servers send besides content is no error: role, finish and usage chunks, comments, event/id fields, CRLF, no [DONE]', async () => {
    const body = [
      ': connected',
      'event: message',
      'id: 1',
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: '' } }] })}`,
      '',
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }] })}`,
      '',
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}`,
      '',
      `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1 } })}`,
      '',
      `data:${JSON.stringify({ choices: [{ delta: { content: ' there' } }] })}`,
      '',
    ].join('\r\n');
    const ep = await answering(body);
    const { call, generate } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });
    const end = await generate();
    expect(end.error).toBeUndefined();
    expect(end).toMatchObject({ status: 'complete', message: { content: 'Hello there', status: 'complete' } });
  });
});

describe('Test connection', () => {
  const settings = (baseUrl: string) => ({ ...DEFAULT_GENERATION_SETTINGS, provider: 'openai' as const, baseUrl });
  async function models(body: string) {
    const ep = await endpoint(cleanups, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    return testConnection(settings(ep.base));
  }

  it('is OK only for a well-formed model list', async () => {
    for (const garbage of ['<html>It works!</html>', '{}', '{"data": "llama"}', '{"data": [{"name": "llama"}]}', '{"data": [{"id": 7}]}', '[{"id": "llama"}]', '']) {
      const r = await models(garbage);
      expect(r, garbage).toMatchObject({ ok: false, status: 200, message: expect.stringMatching(/^The endpoint answered 200, but not with a model list/) });
      expect(r.message).not.toContain('It works');
    }
    expect(await models('{"object": "list", "data": [{"id": "llama-3", "object": "model"}]}')).toMatchObject({ ok: true, models: ['llama-3'] });
    expect(await models('{"data": []}')).toMatchObject({ ok: true, message: 'Connected (200): no models listed.' });
  });

  it('a completion fallback is OK only with a "choices" list', async () => {
    const ep = await endpoint(cleanups, (req, res) => {
      res.writeHead(req.url!.endsWith('/models') ? 404 : 200, { 'content-type': 'application/json' });
      res.end('{"result": "hi"}');
    });
    expect(await testConnection(settings(ep.base))).toMatchObject({ ok: false, status: 200, message: expect.stringMatching(/not with a chat completion/) });
  });

  it('a hanging endpoint is reported in plain English', async () => {
    const ep = await endpoint(cleanups, () => {});
    expect(await testConnection(settings(ep.base), { timeoutMs: 500 })).toEqual({ ok: false, message: 'The endpoint did not answer within 0.5 s.' });
  });
});

// The request a reply sends, end to end through the services: card fields and persona in the
// system prompt, the history paged back to fill the context budget, samplers in the body; a new
// chat's greeting with its swipes; "Test connection". The endpoint is a real HTTP server on 127.0.0.1.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { PromptCard } from '../../electron/generation/prompt/card.ts';
import { streamEnd } from './services-under-test.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

async function endpoint(handler: (hit: Hit, res: ServerResponse) => void) {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const hit = { method: req.method!, url: req.url!, headers: req.headers, body };
      hits.push(hit);
      handler(hit, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  cleanups.push(() => new Promise((r) => (server.closeAllConnections(), server.close(r))));
  return { base: `http://127.0.0.1:${port}/v1`, hits };
}

const sse = (res: ServerResponse, text: string) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(`data: ${JSON.stringify({ choices: [{ delta: { content: text } }] })}\n\ndata: [DONE]\n\n`);
};

const CARD: PromptCard = {
  name: 'Seraphina',
  description: 'DESC: {{char}} guards the forest.',
  personality: 'PERS: gentle',
  scenario: 'SCEN: {{user}} is lost.',
  first_mes: 'Welcome, {{user}}.',
  alternate_greetings: ['Hello again, {{user}}.', 'I am {{char}}.'],
  mes_example: '<START>\n{{user}}: hi\n{{char}}: EXAMPLE',
  system_prompt: 'SYS for {{char}}',
  post_history_instructions: 'POST: never speak for {{user}}',
};

async function setup(opts: { card?: PromptCard } = {}) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-prompt-'));
  const store = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({
    store,
    emit: (e, p) => events.push([e, p]),
    isTrustedSender: (s) => s,
    ...(opts.card ? { loadCard: async () => opts.card } : {}),
  });
  cleanups.push(async () => {
    await services.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const call = (ch: string, p: unknown = {}) => services.binding.handle(true, ch, p) as Promise<any>;
  const character = (await call('createCharacter', { name: 'Sera' })).data;
  const generate = async (chatId: string) => {
    const started = await call('generate', { mode: 'new', chatId });
    expect(started.ok).toBe(true);
    return streamEnd(events, started.data.streamId);
  };
  return { dataDir, store, call, events, character, generate };
}

describe('the generation request', () => {
  it('sends the card, the persona, the history and the samplers', async () => {
    const ep = await endpoint((_hit, res) => sse(res, 'a reply'));
    const { call, character, generate } = await setup({ card: CARD });
    const set = await call('setGenerationSettings', {
      provider: 'openai',
      baseUrl: ep.base,
      model: 'test-model',
      apiKey: 'sk-test',
      personaName: 'Ann',
      personaDescription: 'PERSONA: {{user}} is a traveller.',
      temperature: 0.55,
      topP: 0.85,
      maxTokens: 77,
      stopSequences: ['\nAnn:', '</s>'],
      contextTokens: 4096,
    });
    expect(set).toMatchObject({ ok: true, data: { personaName: 'Ann', temperature: 0.55, topP: 0.85, maxTokens: 77, stopSequences: ['\nAnn:', '</s>'], contextTokens: 4096 } });
    expect(JSON.stringify(set)).not.toContain('sk-test');
    const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
    await call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'Where am I?' } });
    expect(await generate(chat.chatId)).toMatchObject({ status: 'complete', message: { content: 'a reply' } });

    expect(ep.hits).toHaveLength(1);
    const hit = ep.hits[0]!;
    expect(hit.url).toBe('/v1/chat/completions');
    expect(hit.headers.authorization).toBe('Bearer sk-test');
    const body = JSON.parse(hit.body);
    expect(body).toMatchObject({ model: 'test-model', stream: true, temperature: 0.55, top_p: 0.85, max_tokens: 77, stop: ['\nAnn:', '</s>'] });
    const roles = body.messages.map((m: any) => m.role);
    expect(roles).toEqual(['system', 'system', 'assistant', 'user', 'system']);
    const system = body.messages[0].content as string;
    for (const part of ['SYS for Seraphina', 'DESC: Seraphina guards the forest.', 'PERS: gentle', 'SCEN: Ann is lost.', 'PERSONA: Ann is a traveller.']) expect(system).toContain(part);
    expect(body.messages[1].content).toContain('Ann: hi\nSeraphina: EXAMPLE');
    expect(body.messages[2]).toEqual({ role: 'assistant', content: 'Welcome, Ann.' }); // the greeting
    expect(body.messages[3]).toEqual({ role: 'user', content: 'Where am I?' });
    expect(body.messages[4]).toEqual({ role: 'system', content: 'POST: never speak for Ann' });
    expect(hit.body).not.toMatch(/\{\{(char|user)\}\}/);
  });

  it('pages back past the first 50 messages to fill a big budget, and trims to a small one', async () => {
    const ep = await endpoint((_hit, res) => sse(res, 'ok'));
    const { call, character, generate } = await setup({ card: { name: 'Sera' } });
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, contextTokens: 200_000, maxTokens: 100 });
    const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
    const messages = Array.from({ length: 600 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `message ${i} ${'lorem ipsum '.repeat(5)}` }));
    for (let i = 0; i < messages.length; i += 300) expect((await call('appendMessages', { chatId: chat.chatId, messages: messages.slice(i, i + 300) })).ok).toBe(true);
    await call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'last' } });
    await generate(chat.chatId);
    const all = JSON.parse(ep.hits[0]!.body).messages.filter((m: any) => m.role !== 'system');
    expect(all).toHaveLength(601); // all 600 + 'last' (no greeting: the card has no first_mes)
    expect(all[0].content).toBe(messages[0]!.content);

    await call('setGenerationSettings', { contextTokens: 1024, maxTokens: 100 });
    await call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'again' } });
    await generate(chat.chatId);
    const some = JSON.parse(ep.hits[1]!.body).messages.filter((m: any) => m.role !== 'system');
    expect(some.length).toBeGreaterThan(10);
    expect(some.length).toBeLessThan(60);
    expect(some.at(-1)).toEqual({ role: 'user', content: 'again' });
    expect(some.at(-2)).toEqual({ role: 'assistant', content: 'ok' });
  });
});

describe('a new chat', () => {
  it('starts with the first message, the alternate greetings as its swipes, macros replaced', async () => {
    const { call, character, events } = await setup({ card: CARD });
    await call('setGenerationSettings', { personaName: 'Ann' });
    const chat = await call('createChat', { characterId: character.id, title: 't' });
    expect(chat).toMatchObject({ ok: true, data: { messageCount: 1 } });
    const page = (await call('loadChat', { chatId: chat.data.chatId })).data;
    expect(page.messages).toHaveLength(1);
    expect(page.messages[0]).toMatchObject({
      role: 'assistant',
      content: 'Welcome, Ann.',
      swipes: ['Welcome, Ann.', 'Hello again, Ann.', 'I am Seraphina.'],
      swipe_id: 0,
    });
    expect(events.find(([e]) => e === 'chat:changed')?.[1].summary.messageCount).toBe(1);
  });

  it('a character with only a name starts empty (today\'s registry, no card file)', async () => {
    const { call, character } = await setup();
    const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
    expect(chat.messageCount).toBe(0);
  });

  it('the card comes from the character registry: an imported V2 card greets with its swipes', async () => {
    const { call } = await setup();
    const bytesBase64 = Buffer.from(JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: CARD })).toString('base64');
    const { character } = (await call('importCharacter', { fileName: 'sera.json', bytesBase64 })).data;
    const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
    const page = (await call('loadChat', { chatId: chat.chatId })).data;
    expect(page.messages[0]).toMatchObject({ content: 'Welcome, User.', swipes: ['Welcome, User.', 'Hello again, User.', 'I am Seraphina.'] });
  });
});

describe('test connection', () => {
  it('ok with the models listed; the key goes only to the saved endpoint', async () => {
    const ep = await endpoint((hit, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'llama-3' }, { id: 'mistral' }] }));
    });
    const { call } = await setup();
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, apiKey: 'sk-test', model: 'llama-3' });
    const r = await call('testConnection');
    expect(r).toEqual({ ok: true, data: { ok: true, status: 200, message: 'Connected (200): 2 models listed.', models: ['llama-3', 'mistral'] } });
    expect(ep.hits.map((h) => `${h.method} ${h.url} ${h.headers.authorization}`)).toEqual(['GET /v1/models Bearer sk-test']);
  });

  it('reports the status and the parsed error message, never the raw body', async () => {
    const ep = await endpoint((_hit, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'Invalid API key' }, debug: 'SECRET-TRACE' }));
    });
    const { call } = await setup();
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });
    const r = await call('testConnection');
    expect(r).toEqual({ ok: true, data: { ok: false, status: 401, message: 'The endpoint answered 401: Invalid API key.' } });
    expect(JSON.stringify(r)).not.toContain('SECRET-TRACE');
  });

  it('falls back to a 1-token completion when the server has no /models', async () => {
    const ep = await endpoint((hit, res) => {
      if (hit.url.endsWith('/models')) {
        res.writeHead(404);
        res.end('<html>not here</html>');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ choices: [{ message: { content: 'H' } }] }));
      }
    });
    const { call } = await setup();
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });
    expect((await call('testConnection')).data).toMatchObject({ ok: true, status: 200 });
    expect(ep.hits.map((h) => `${h.method} ${h.url}`)).toEqual(['GET /v1/models', 'POST /v1/chat/completions']);
    expect(JSON.parse(ep.hits[1]!.body)).toMatchObject({ max_tokens: 1, stream: false });
  });

  it('follows the URL policy: no redirects followed, refused URLs never requested, unreachable reported', async () => {
    const other = await endpoint((_hit, res) => res.end('{}'));
    const first = await endpoint((_hit, res) => {
      res.writeHead(302, { location: `${other.base}/models` });
      res.end();
    });
    const { call } = await setup();
    await call('setGenerationSettings', { provider: 'openai', baseUrl: first.base });
    expect((await call('testConnection')).data).toMatchObject({ ok: false, status: 302, message: expect.stringMatching(/redirect/) });
    expect(other.hits).toHaveLength(0);

    // Port 1 on loopback: nothing listens there.
    await call('setGenerationSettings', { baseUrl: 'http://127.0.0.1:1/v1' });
    expect((await call('testConnection')).data).toMatchObject({ ok: false, message: 'The endpoint could not be reached.' });
    expect((await call('setGenerationSettings', { baseUrl: 'http://169.254.169.254/v1' })).ok).toBe(false);
  });

  it('the demo provider needs no connection', async () => {
    const { call } = await setup();
    expect((await call('testConnection')).data).toMatchObject({ ok: true });
  });
});

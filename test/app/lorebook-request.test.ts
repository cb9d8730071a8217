// The lorebook and the author's note, end to end: a V2 card imported through the binding (its
// lorebook has Seraphina's "Eldoria" entry), a real OpenAI-compatible server on 127.0.0.1, and
// the request bodies it receives. The prompt viewer's answer is checked against what was sent.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openServices, recordingEndpoint } from './services-under-test.ts';
import { v2Json } from '../fixtures/cards.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});


const ELDORIA = 'Eldoria is the ancient forest realm Seraphina protects; its heart is the Glade.';
const CARD = v2Json({
  extensions: { depth_prompt: { prompt: 'DEPTH: {{char}} is gentle.', depth: 0, role: 'system' } },
  character_book: {
    name: 'Seraphina lore',
    scan_depth: 2,
    token_budget: 500,
    extensions: {},
    entries: [
      { id: 0, keys: ['Eldoria'], content: ELDORIA, extensions: {}, enabled: true, insertion_order: 100, name: 'Eldoria' },
      { id: 1, keys: ['moon'], content: 'NEVER: disabled entry', extensions: {}, enabled: false, insertion_order: 100 },
    ],
  },
});


describe('lorebook and author\'s note in the request', () => {
  it('the Eldoria entry is sent when a message mentions Eldoria and not otherwise; the note sits at its depth and survives a restart', async () => {
    const ep = await recordingEndpoint(cleanups);
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-lore-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    let app = await openServices(dataDir, { watch: false });
    cleanups.push(() => app.services.shutdown());
    await app.call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base, model: 'm', personaName: 'Ann', contextTokens: 8192, maxTokens: 100 });
    const { character } = await app.call('importCharacter', { fileName: 'sera.json', bytesBase64: Buffer.from(JSON.stringify(CARD)).toString('base64') });
    const chat = await app.call('createChat', { characterId: character.id, title: 'lore' });
    expect(await app.call('getAuthorsNote', { chatId: chat.chatId })).toEqual({ text: '', depth: 4, role: 'system' });
    await app.call('setAuthorsNote', { chatId: chat.chatId, note: { text: 'NOTE: it is raining on {{user}}.', depth: 1, role: 'system' } });

    await app.call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'Hello, where am I?' } });
    const preview = await app.call('previewPrompt', { chatId: chat.chatId });
    await app.generate(chat.chatId);
    const first = ep.bodies[0]!.messages as { role: string; content: string }[];
    expect(JSON.stringify(first)).not.toContain('Eldoria is the ancient');
    expect(JSON.stringify(first)).not.toContain('NEVER');
    // depth 1: just before the newest message (the greeting is older); the card's depth prompt (depth 0) after it
    const last = first.findIndex((m) => m.content === 'Hello, where am I?');
    expect(first[last - 1]).toEqual({ role: 'system', content: 'NOTE: it is raining on Ann.' });
    expect(first[last + 1]).toEqual({ role: 'system', content: 'DEPTH: Seraphina is gentle.' });
    // the prompt viewer showed exactly this request, part by part
    expect(preview.messages.map((m: any) => ({ role: m.role, content: m.content }))).toEqual(first);
    expect(preview.tokenCounter).toBe('gpt-tokenizer'); // the endpoint has no tokenizer API
    expect(preview.parts.map((p: any) => p.kind)).toEqual(expect.arrayContaining(['main_prompt', 'card', 'authors_note', 'depth_prompt', 'history']));
    expect(preview.totalTokens).toBeGreaterThan(0);

    await app.call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'Tell me about Eldoria.' } });
    const withLore = await app.call('previewPrompt', { chatId: chat.chatId });
    expect(withLore.lore).toEqual([expect.objectContaining({ name: 'Eldoria', position: 'before_char' })]);
    expect(withLore.parts.find((p: any) => p.kind === 'lorebook')).toMatchObject({ label: 'Lorebook: Eldoria', content: ELDORIA, message: 0 });
    await app.generate(chat.chatId);
    const second = ep.bodies[1]!.messages as { role: string; content: string }[];
    expect(second[0]!.content).toContain(ELDORIA);

    // The note is the chat's: it is there after a restart, and it is sent again.
    await app.services.shutdown();
    app = await openServices(dataDir, { watch: false });
    expect(await app.call('getAuthorsNote', { chatId: chat.chatId })).toEqual({ text: 'NOTE: it is raining on {{user}}.', depth: 1, role: 'system' });
    await app.call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'And the moon?' } });
    await app.generate(chat.chatId);
    const third = ep.bodies[2]!.messages as { role: string; content: string }[];
    const i = third.findIndex((m) => m.content === 'And the moon?');
    expect(third[i - 1]).toEqual({ role: 'system', content: 'NOTE: it is raining on Ann.' });
    // two messages on, Eldoria has left the scan depth
    expect(JSON.stringify(third)).not.toContain('Eldoria is the ancient');
  });

  it('a bad author\'s note is a typed error and changes nothing', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-lore-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const app = await openServices(dataDir, { watch: false });
    cleanups.push(() => app.services.shutdown());
    const character = await app.call('createCharacter', { name: 'S' });
    const chat = await app.call('createChat', { characterId: character.id, title: 'x' });
    for (const note of [{ text: 'x', depth: -1, role: 'system' }, { text: 'x', depth: 1, role: 'narrator' }, { text: 5, depth: 1, role: 'system' }, { text: 'x'.repeat(20_001), depth: 1, role: 'system' }]) {
      const r = (await app.services.binding.handle(true, 'setAuthorsNote', { chatId: chat.chatId, note })) as any;
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
    expect(await app.call('getAuthorsNote', { chatId: chat.chatId })).toEqual({ text: '', depth: 4, role: 'system' });
  });

  it('lorebook entries edited in the character editor are saved, exported with the card, and used by the prompt', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-lore-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const app = await openServices(dataDir, { watch: false });
    cleanups.push(() => app.services.shutdown());
    const { character } = await app.call('importCharacter', { fileName: 'sera.json', bytesBase64: Buffer.from(JSON.stringify(CARD)).toString('base64') });
    const loaded = await app.call('getCharacter', { id: character.id });
    const book = loaded.card.character_book;
    // as the editor saves it: the book whole, one entry's keys and text changed, one entry added
    const entries = [{ ...book.entries[0], keys: ['Eldoria', 'the realm'], content: 'EDITED: Eldoria lore.' }, book.entries[1], { keys: ['Glade'], content: 'NEW: the glade is warm.', enabled: true, constant: false, insertion_order: 101, extensions: {} }];
    const saved = await app.call('updateCharacter', { id: character.id, card: { character_book: { ...book, entries } } });
    expect(saved.card.character_book.entries).toHaveLength(3);
    expect(saved.card.character_book.entries[0]).toMatchObject({ id: 0, name: 'Eldoria', keys: ['Eldoria', 'the realm'], content: 'EDITED: Eldoria lore.' });
    expect(saved.card.character_book.token_budget).toBe(500);

    const exported = await app.call('exportCharacter', { id: character.id, format: 'json' });
    const json = JSON.parse(Buffer.from(exported.bytesBase64, 'base64').toString('utf8'));
    expect(json.data.character_book.entries.map((e: any) => e.content)).toEqual(['EDITED: Eldoria lore.', 'NEVER: disabled entry', 'NEW: the glade is warm.']);

    const chat = await app.call('createChat', { characterId: character.id, title: 'x' });
    await app.call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'The realm and the glade.' } });
    const preview = await app.call('previewPrompt', { chatId: chat.chatId });
    expect(preview.lore.map((l: any) => l.name)).toEqual(['Eldoria', 'Entry 3']);

    for (const bad of [{ entries: 'x' }, { entries: [{ keys: 'x', content: 'y', enabled: true, insertion_order: 1 }] }, { entries: [{ keys: [], content: 'y', enabled: 'yes', insertion_order: 1 }] }]) {
      const r = (await app.services.binding.handle(true, 'updateCharacter', { id: character.id, card: { character_book: bad } })) as any;
      expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
    }
    expect((await app.call('getCharacter', { id: character.id })).card.character_book.entries).toHaveLength(3);
  });

  it("the prompt viewer counts with the endpoint's tokenizer when it has one (llama.cpp, KoboldCPP), else counts with gpt-tokenizer, labelled as an estimate", async () => {
    const words = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const servers: Record<string, (path: string, body: any) => unknown> = {
      'llama.cpp': (p, b) => (p === '/tokenize' ? { tokens: Array.from({ length: words(b.content) }, (_, i) => i) } : undefined),
      koboldcpp: (p, b) => (p === '/api/extra/tokencount' ? { value: words(b.prompt) * 2 } : undefined),
      'gpt-tokenizer': () => undefined,
    };
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-lore-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const app = await openServices(dataDir, { watch: false });
    cleanups.push(() => app.services.shutdown());
    const character = await app.call('createCharacter', { name: 'S' });
    const chat = await app.call('createChat', { characterId: character.id, title: 'x' });
    await app.call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'one two three four five' } });
    for (const [kind, answer] of Object.entries(servers)) {
      const seen: string[] = [];
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (d) => (body += d));
        req.on('end', () => {
          seen.push(req.url!);
          const out = answer(req.url!, JSON.parse(body || '{}'));
          res.writeHead(out ? 200 : 404, { 'content-type': 'application/json' });
          res.end(JSON.stringify(out ?? { error: 'no' }));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      cleanups.push(() => new Promise((r) => (server.closeAllConnections(), server.close(r))));
      await app.call('setGenerationSettings', { provider: 'openai', baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model: 'm' });
      const preview = await app.call('previewPrompt', { chatId: chat.chatId });
      expect(preview.tokenCounter).toBe(kind);
      const last = preview.messages.at(-1);
      expect(last.content).toBe('one two three four five');
      // gpt-tokenizer (o200k_base) counts 5 tokens where the old estimate (23 characters / 4, rounded up) said 6
      expect(last.tokens).toBe(kind === 'llama.cpp' ? 5 + 4 : kind === 'koboldcpp' ? 10 + 4 : 5 + 4);
      expect(preview.totalTokens).toBe(preview.messages.reduce((n: number, m: any) => n + m.tokens, 0));
      if (kind === 'gpt-tokenizer') expect(seen).toEqual(['/tokenize', '/api/extra/tokencount']);
    }
  });
});

// Main-side services behind the binding: settings, documents, generation at quit, static files.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore, type ChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { demoProvider } from '../../electron/generation/demo.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { Layout } from '../../electron/store/layout.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(provider: Provider = demoProvider(0)) {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-app-'));
  const store: ChatStore = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: (s) => s, provider });
  let shut = false;
  cleanups.push(async () => {
    if (!shut) await services.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const call = (ch: string, p: unknown = {}) => services.binding.handle(true, ch, p) as Promise<any>;
  const shutdown = async () => {
    shut = true;
    await services.shutdown();
  };
  return { dataDir, store, events, call, shutdown };
}

describe('generation settings', () => {
  it('drops the API key when the base URL moves to another server without a new key', async () => {
    const { call, dataDir } = await setup();
    await call('setGenerationSettings', { provider: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: 'sk-secret' });
    expect((await call('setGenerationSettings', { baseUrl: 'https://api.openai.com/v2' })).data.hasApiKey).toBe(true);
    const moved = await call('setGenerationSettings', { baseUrl: 'http://attacker.example/v1' });
    expect(moved.data.hasApiKey).toBe(false);
    expect(await readFile(path.join(new Layout(dataDir).deviceAppDir, 'config.json'), 'utf8')).not.toContain('sk-secret');
    expect((await call('setGenerationSettings', { baseUrl: 'http://other.example/v1', apiKey: 'sk-new' })).data.hasApiKey).toBe(true);
  });
});

describe('app documents', () => {
  it('a failed read is retried, and errors reach the renderer without paths', async () => {
    const { call, dataDir } = await setup();
    await rm(path.join(dataDir, 'app'), { recursive: true, force: true }); // made already, or not (the settings live in this device's folder)
    await writeFile(path.join(dataDir, 'app'), 'a file where a folder belongs');
    const during = await call('listCharacters');
    expect(during).toMatchObject({ ok: false, error: { code: 'IO_ERROR' } });
    expect(JSON.stringify(during)).not.toContain(dataDir);
    await rm(path.join(dataDir, 'app'));
    await mkdir(path.join(dataDir, 'app'));
    expect(await call('listCharacters')).toEqual({ ok: true, data: [] });
    expect((await call('createCharacter', { name: 'Ada' })).ok).toBe(true);
  });

  it('one bad character entry keeps the others and the damaged file', async () => {
    const { call, dataDir } = await setup();
    const good = (i: number) => ({ id: `char-${i}`, name: `Char ${i}`, created: 1 });
    const original = JSON.stringify({ characters: [good(1), { id: 'bad', name: 'x'.repeat(500), created: 1 }, good(2)] });
    await mkdir(path.join(dataDir, 'app'), { recursive: true });
    await writeFile(path.join(dataDir, 'app', 'characters.json'), original);
    expect((await call('listCharacters')).data.map((c: { id: string }) => c.id)).toEqual(['char-1', 'char-2']);
    await call('createCharacter', { name: 'New' });
    expect((await call('listCharacters')).data).toHaveLength(3);
    const damaged = (await readdir(path.join(dataDir, 'app'))).filter((n) => n.startsWith('characters.json.damaged-'));
    expect(damaged).toHaveLength(1);
    expect(await readFile(path.join(dataDir, 'app', damaged[0]!), 'utf8')).toBe(original);
  });
});

describe('generation at quit', () => {
  it('a reply whose start races the quit is stored, or refused with CLOSED: never lost', async () => {
    for (const ticks of [0, 1, 2, 3, 5, 8, 13]) {
      const { call, shutdown, store, events, dataDir } = await setup(demoProvider(1));
      const character = (await call('createCharacter', { name: 'x' })).data;
      const chat = (await call('createChat', { characterId: character.id, title: 't' })).data;
      await call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'hi' } });
      const generated = call('generate', { mode: 'new', chatId: chat.chatId });
      for (let i = 0; i < ticks; i++) await Promise.resolve();
      await shutdown();
      const g = await generated;
      const ends = events.filter(([e]) => e === 'stream:end').map(([, p]) => p);
      if (g.ok) {
        // The stream ended once, without error; whatever text it had is in the chat after the quit.
        expect(ends, `ticks ${ticks}`).toHaveLength(1);
        expect(ends[0].error, `ticks ${ticks}`).toBeUndefined();
        const reopened = await openChatStore({ dataDir });
        const msgs = (await reopened.loadChat(chat.chatId)).messages;
        await reopened.close();
        if (ends[0].message) expect(msgs.map((m) => [m.role, m.content]), `ticks ${ticks}`).toEqual([['user', 'hi'], ['assistant', ends[0].message.content]]);
        else expect(msgs.map((m) => m.role), `ticks ${ticks}`).toEqual(['user']);
      } else {
        expect(g.error.code, `ticks ${ticks}`).toBe('CLOSED');
        expect(ends).toEqual([]);
      }
      void store;
    }
  });
});

describe('payload limits', () => {
  it('deeply nested extra is INVALID_INPUT, not an internal error', async () => {
    const { call } = await setup();
    const character = (await call('createCharacter', { name: 'x' })).data;
    const chat = (await call('createChat', { characterId: character.id })).data;
    let deep: unknown = {};
    for (let i = 0; i < 200_000; i++) deep = { d: deep };
    const r = await call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: 'x', extra: deep } });
    expect(r).toMatchObject({ ok: false, error: { code: 'INVALID_INPUT' } });
  });
});

describe('browser host static files', () => {
  it('a file that vanishes between stat and read ends that response, not the host', async () => {
    const { createRequire, syncBuiltinESMExports } = await import('node:module');
    const fsp = createRequire(import.meta.url)('node:fs/promises') as { stat: (...a: unknown[]) => Promise<unknown> };
    const { serveStatic } = await import('../../electron/host/static.ts');
    const root = await mkdtemp(path.join(os.tmpdir(), 'cardshark-static-'));
    await writeFile(path.join(root, 'index.html'), '<p>hi</p>');
    await writeFile(path.join(root, 'app.js'), 'console.log(1)');
    // Make the race deterministic: the file is deleted right after stat() saw it (as a rebuild does).
    const realStat = fsp.stat;
    fsp.stat = async (...a: unknown[]) => {
      const st = await realStat(...a);
      if (String(a[0]).endsWith('app.js')) await rm(String(a[0]), { force: true });
      return st;
    };
    syncBuiltinESMExports();
    cleanups.push(async () => {
      fsp.stat = realStat;
      syncBuiltinESMExports();
      await rm(root, { recursive: true, force: true });
    });
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    cleanups.push(async () => void process.off('uncaughtException', onUncaught));
    const server = createServer((req, res) => void serveStatic(root, req, res, {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    const port = (server.address() as { port: number }).port;
    await fetch(`http://127.0.0.1:${port}/app.js`).then((r) => r.text()).catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 100));
    expect(uncaught).toEqual([]);
    expect(await fetch(`http://127.0.0.1:${port}/index.html`).then((r) => r.status)).toBe(200);
  });
});

// The binding: invalid payloads and untrusted senders write nothing; a smaller fuzz run.
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices, type Services } from '../../electron/ipc/services.ts';
import { demoProvider, demoReply } from '../../electron/generation/demo.ts';
import { runFuzz } from './fuzz-core.ts';

async function snapshot(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      h.update(p);
      if (e.isDirectory()) await walk(p);
      // index.json is a cache of summaries, rewritten on a timer, and .cache/ holds the library search's
      // index (written in the background): not data a call could corrupt.
      else if (e.name !== 'cardshark.lock' && e.name !== 'index.json' && !p.includes(`${path.sep}.cache${path.sep}`)) h.update(await readFile(p));
    }
  };
  await walk(dir);
  return h.digest('hex');
}

let open: Services<boolean>[] = [];
afterEach(async () => {
  await Promise.all(open.map((s) => s.shutdown()));
  open = [];
});

async function setup() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-binding-'));
  const store = await openChatStore({ dataDir });
  const events: { event: string; payload: unknown }[] = [];
  const services = createServices<boolean>({ store, emit: (event, payload) => events.push({ event, payload }), isTrustedSender: (t) => t, provider: demoProvider(0) });
  open.push(services);
  const call = (ch: string, payload: unknown, trusted = true) => services.binding.handle(trusted, ch, payload);
  const c = await call('createCharacter', { name: 'Eve' });
  const characterId = (c as { data: { id: string } }).data.id;
  const chat = await call('createChat', { characterId, title: 'T' });
  const chatId = (chat as { data: { chatId: string } }).data.chatId;
  return { dataDir, services, call, characterId, chatId, events };
}

describe('binding: revisions and chat:changed', () => {
  it('chat:changed carries the revision and what changed; a stale expectedRevision is CONFLICT and writes nothing', async () => {
    const { dataDir, call, chatId, events } = await setup();
    const sent = (await call('appendMessage', { chatId, message: { role: 'user', content: 'hi' } })) as { ok: true; data: { id: string } };
    const changed = events.filter((e) => e.event === 'chat:changed').at(-1)!.payload as { revision: number; messages: { id: string }[]; summary: { revision: number } };
    expect(changed.messages.map((m) => m.id)).toEqual([sent.data.id]);
    expect(changed.revision).toBe(changed.summary.revision);
    const page = (await call('loadChat', { chatId })) as { ok: true; data: { revision: number } };
    expect(page.data.revision).toBe(changed.revision);
    const edit = await call('updateMessage', { chatId, messageId: sent.data.id, patch: { content: 'edit 1' }, expectedRevision: page.data.revision });
    expect(edit).toMatchObject({ ok: true });
    const after = events.filter((e) => e.event === 'chat:changed').at(-1)!.payload as { revision: number; messages: { content: string }[] };
    expect(after.revision).toBeGreaterThan(page.data.revision);
    expect(after.messages.map((m) => m.content)).toEqual(['edit 1']);
    const before = await snapshot(dataDir);
    const stale = await call('updateMessage', { chatId, messageId: sent.data.id, patch: { content: 'stale' }, expectedRevision: page.data.revision });
    expect(stale).toMatchObject({ ok: false, error: { code: 'CONFLICT', details: { reason: 'revision', revision: after.revision } } });
    expect(await call('deleteMessage', { chatId, messageId: sent.data.id, expectedRevision: page.data.revision })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await snapshot(dataDir)).toBe(before);
    expect(await call('deleteMessage', { chatId, messageId: sent.data.id, expectedRevision: after.revision })).toMatchObject({ ok: true });
    expect(events.filter((e) => e.event === 'chat:changed').at(-1)!.payload).toMatchObject({ deletedIds: [sent.data.id] });
  });
});

describe('binding', () => {
  it('answers invalid payloads with INVALID_INPUT and writes nothing', async () => {
    const { dataDir, call, chatId, characterId } = await setup();
    const before = await snapshot(dataDir);
    const bad: [string, unknown][] = [
      ['appendMessage', { chatId, message: { role: 'user', content: 5 } }],
      ['appendMessage', { chatId: '../x', message: { role: 'user', content: 'hi' } }],
      ['createChat', { characterId: '../../etc' }],
      ['createChat', { characterId, title: '' }],
      ['renameChat', { chatId, title: 'x'.repeat(201) }],
      ['createCharacter', { name: '   ' }],
      ['setActiveChat', { characterId, chatId: 'nope' }],
      ['setGenerationSettings', { baseUrl: 'javascript:alert(1)' }],
      ['deleteChat', {}],
      ['nope', {}],
    ];
    for (const [ch, p] of bad) {
      const r = await call(ch, p);
      expect(r.ok, ch).toBe(false);
      if (!r.ok) expect(r.error.code, ch).toBe('INVALID_INPUT');
    }
    expect(await snapshot(dataDir)).toBe(before);
  });

  it('refuses an edit that would empty a message, and a search or jump with bad options', async () => {
    const { dataDir, call, chatId } = await setup();
    const m = (await call('appendMessage', { chatId, message: { id: 'k1', role: 'user', content: 'keep' } })) as { ok: true };
    expect(m.ok).toBe(true);
    const before = await snapshot(dataDir);
    for (const [ch, p] of [
      ['updateMessage', { chatId, messageId: 'k1', patch: { content: '' } }],
      ['updateMessage', { chatId, messageId: 'k1', patch: { content: ' \n\t' } }],
      ['searchChat', { chatId, query: '' }],
      ['searchChat', { chatId, query: 'x', limit: 501 }],
      ['searchChat', { chatId, query: 'x', offset: -1 }],
      ['loadChat', { chatId, options: { around: 'k1', before: 'k1' } }],
    ] as [string, unknown][]) {
      const r = await call(ch, p);
      expect(r.ok, ch).toBe(false);
      if (!r.ok) expect(r.error.code, ch).toBe('INVALID_INPUT');
    }
    expect(await snapshot(dataDir)).toBe(before);
    const found = await call('searchChat', { chatId, query: 'KEE' });
    expect(found).toEqual({ ok: true, data: { matches: [expect.objectContaining({ id: 'k1', snippet: 'keep' })], total: 1, offset: 0 } });
    const around = await call('loadChat', { chatId, options: { around: 'k1' } });
    expect(around).toMatchObject({ ok: true, data: { messages: [{ id: 'k1' }], hasMore: false, hasNewer: false } });
  });

  it('refuses an untrusted sender even with a valid payload', async () => {
    const { dataDir, call, chatId } = await setup();
    const before = await snapshot(dataDir);
    const r = await call('appendMessage', { chatId, message: { role: 'user', content: 'hi' } }, false);
    expect(r).toMatchObject({ ok: false, error: { code: 'FORBIDDEN', details: { reason: 'sender' } } });
    expect(await snapshot(dataDir)).toBe(before);
  });

  it('stores a generated reply once, with the final text', async () => {
    const { services, call, chatId, events } = await setup();
    await call('appendMessage', { chatId, message: { role: 'user', content: 'Hello?' } });
    const g = await call('generate', { mode: 'new', chatId });
    expect(g.ok).toBe(true);
    const again = await call('generate', { mode: 'new', chatId });
    expect(again).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    await services.generation.stopAll();
    await new Promise((r) => setTimeout(r, 50));
    const page = await call('loadChat', { chatId });
    if (!page.ok) throw new Error(page.error.message);
    const msgs = (page.data as { messages: { role: string; content: string }[] }).messages;
    const replies = msgs.filter((m) => m.role === 'assistant');
    expect(replies).toHaveLength(1);
    expect(demoReply({ messages: [{ role: 'user', content: 'Hello?' }], variant: 0 }).startsWith(replies[0]!.content)).toBe(true);
    expect(events.filter((e) => e.event === 'stream:end')).toHaveLength(1);
  });

  it('survives a fuzz run on every channel (small count; `npm run fuzz` does 10,000)', async () => {
    const report = await runFuzz({ runs: 200, seed: 42 });
    for (const [name, stats] of Object.entries(report.calls)) expect(stats.runs, name).toBe(200);
    await rm(report.dataDir, { recursive: true, force: true });
  }, 120_000);
});

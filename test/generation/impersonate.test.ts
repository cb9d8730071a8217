// Issue 18, Impersonate: the user's next message is generated into the composer (events to the
// renderer) and nothing is written to the chat; the prompt ends with the impersonation request;
// Stop stops it; the chat is busy meanwhile. Real store, real binding, a scripted provider.
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { GenerateContext, Provider } from '../../electron/generation/provider.ts';
import { chatPath, tempDir } from '../store/helpers.ts';

/** Yields `parts` one at a time; each waits for `gate` when given (so a test can stop mid-way). */
function scripted(parts: string[], seen: GenerateContext[], gate?: () => Promise<void>): Provider {
  return async function* (ctx) {
    seen.push(ctx);
    for (const p of parts) {
      if (gate) await gate();
      if (ctx.signal.aborted) return;
      yield p;
    }
  };
}

async function setup(provider: Provider) {
  const dataDir = tempDir();
  const store = await openChatStore({ dataDir });
  const events: { event: string; payload: Record<string, unknown> }[] = [];
  const services = createServices<boolean>({ store, emit: (event, payload) => events.push({ event, payload: payload as Record<string, unknown> }), isTrustedSender: (t) => t, provider, watch: false });
  const call = (ch: string, payload: unknown) => services.binding.handle(true, ch, payload) as Promise<{ ok: boolean; data?: any; error?: any }>;
  const c = await call('createCharacter', { name: 'Seraphina' });
  await call('setGenerationSettings', { personaName: 'Ann' });
  const chat = await call('createChat', { characterId: c.data.id, title: 'T' });
  const chatId: string = chat.data.chatId;
  await call('appendMessage', { chatId, message: { role: 'user', content: 'Hello there.' } });
  await call('appendMessage', { chatId, message: { role: 'assistant', content: 'Welcome, traveller.' } });
  const file = chatPath(dataDir, c.data.id, chatId);
  return { services, call, chatId, events, file };
}

const ended = (events: { event: string; payload: Record<string, unknown> }[]) => events.find((e) => e.event === 'impersonate:end');

describe('impersonate', () => {
  it('streams the user\'s next message as impersonate events; the chat file is not touched', async () => {
    const seen: GenerateContext[] = [];
    const { services, call, chatId, events, file } = await setup(scripted(['I look ', 'around.'], seen));
    const before = await readFile(file);
    const r = await call('impersonate', { chatId });
    expect(r.ok).toBe(true);
    await expect.poll(() => ended(events)).toBeTruthy();
    expect(events.filter((e) => e.event === 'impersonate:chunk').map((e) => e.payload.delta)).toEqual(['I look ', 'around.']);
    expect(ended(events)!.payload).toMatchObject({ streamId: r.data.streamId, chatId, status: 'complete', text: 'I look around.' });
    // No reply stream, nothing stored.
    expect(events.some((e) => e.event.startsWith('stream:'))).toBe(false);
    expect((await readFile(file)).equals(before)).toBe(true);
    // The request: the chat as for a reply, then the impersonation request naming the persona.
    const last = seen[0]!.messages.at(-1)!;
    expect(last.role).toBe('system');
    expect(last.content).toContain('from the point of view of Ann');
    expect(last.content).toContain("Don't write as Seraphina");
    expect(seen[0]!.messages.some((m) => m.content === 'Welcome, traveller.')).toBe(true);
    // The chat is free again: a reply can start.
    expect(await call('generate', { mode: 'new', chatId })).toMatchObject({ ok: true });
    await services.shutdown();
  });

  it('Stop ends it as stopped with the text so far; meanwhile the chat is busy (a reply is refused)', async () => {
    let release: (() => void) | undefined;
    const gate = () => new Promise<void>((r) => (release = r));
    const open = () => {
      const r = release!;
      release = undefined;
      r();
    };
    const { services, call, chatId, events, file } = await setup(scripted(['one ', 'two ', 'three'], [], gate));
    const before = await readFile(file);
    const r = await call('impersonate', { chatId });
    await expect.poll(() => release !== undefined).toBe(true);
    open();
    await expect.poll(() => events.filter((e) => e.event === 'impersonate:chunk').length).toBe(1);
    expect(await call('generate', { mode: 'new', chatId })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await call('impersonate', { chatId })).toMatchObject({ ok: false, error: { code: 'CONFLICT' } });
    expect(await call('stopGeneration', { streamId: r.data.streamId })).toMatchObject({ ok: true, data: { stopped: true } });
    await expect.poll(() => release !== undefined).toBe(true);
    open();
    await expect.poll(() => ended(events)).toBeTruthy();
    expect(ended(events)!.payload).toMatchObject({ status: 'stopped', text: 'one ' });
    expect((await readFile(file)).equals(before)).toBe(true);
    await services.shutdown();
  });
});

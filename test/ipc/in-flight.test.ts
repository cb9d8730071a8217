// The binding's optional per-sender bound on calls in flight (for Electron IPC).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { demoProvider } from '../../electron/generation/demo.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('per-sender calls in flight', () => {
  it('past the bound one sender is refused with TOO_LARGE (busy); other senders, and later calls, go through', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-inflight-'));
    const real = await openChatStore({ dataDir });
    let release!: () => void;
    let gate = new Promise<void>((r) => (release = r));
    // getChat waits for the gate, so calls stay in flight as long as the test wants.
    const store = new Proxy(real, {
      get: (t, prop, r) => (prop === 'getChat' ? async (id: string) => (await gate, t.getChat(id)) : Reflect.get(t, prop, r)),
    }) as ChatStore;
    type Sender = { webContents: { id: number } };
    const services = createServices<Sender>({
      store,
      emit: () => {},
      isTrustedSender: () => true,
      provider: demoProvider(0),
      bindingLimits: { maxInFlightPerSender: 4, senderKey: (s) => s.webContents },
    });
    cleanups.push(async () => {
      release();
      await services.shutdown();
      await rm(dataDir, { recursive: true, force: true });
    });
    const { chatId } = await real.createChat({ characterId: 'char-1', title: 't' });
    const a = { id: 1 };
    const b = { id: 2 };
    // Electron gives every call its own event object; the key is the WebContents behind it.
    const call = (wc: { id: number }) => services.binding.handle({ webContents: wc }, 'getChat', { chatId }) as Promise<any>;

    const fromA = Array.from({ length: 10 }, () => call(a));
    const fromB = call(b);
    const refused = await Promise.all(fromA.slice(4));
    for (const r of refused) expect(r).toMatchObject({ ok: false, error: { code: 'TOO_LARGE', details: { reason: 'busy' } } });
    release();
    expect((await Promise.all(fromA.slice(0, 4))).every((r) => r.ok)).toBe(true);
    expect((await fromB).ok).toBe(true);
    gate = Promise.resolve();
    expect((await Promise.all(Array.from({ length: 4 }, () => call(a)))).every((r) => r.ok)).toBe(true);
  });
});

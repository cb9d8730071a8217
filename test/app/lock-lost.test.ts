// A store that lost its data-folder lock (issue 14, fault 2): every window is told, and writes
// through the binding fail LOCK_LOST.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { takeOverLock } from '../store/helpers.ts';

it('tells every window (store:lock-lost) and refuses writes with LOCK_LOST; shutdown still completes', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-app-'));
  try {
    const store = await openChatStore({ dataDir, lock: { heartbeatMs: 20, staleAfterMs: 400 } });
    const events: [string, unknown][] = [];
    const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: (s) => s, watch: false });
    const call = (ch: string, p: unknown) => services.binding.handle(true, ch, p) as Promise<{ ok: boolean; error?: { code: string } }>;
    const { chatId } = await store.createChat({ characterId: 'alice' });
    expect((await call('appendMessage', { chatId, message: { role: 'user', content: 'before' } })).ok).toBe(true);

    await takeOverLock(dataDir);
    for (const end = Date.now() + 5000; !events.some(([e]) => e === 'store:lock-lost') && Date.now() < end; ) await new Promise((r) => setTimeout(r, 20));
    expect(events.find(([e]) => e === 'store:lock-lost')?.[1]).toMatchObject({ message: expect.stringMatching(/took over this data folder.*restart/) });
    expect(await call('appendMessage', { chatId, message: { role: 'user', content: 'after' } })).toMatchObject({ ok: false, error: { code: 'LOCK_LOST' } });
    expect(await call('loadChat', { chatId })).toMatchObject({ ok: true });
    await services.shutdown();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});

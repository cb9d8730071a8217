// A randomized session through the services and the binding (the renderer's path), with the
// chats-folder watcher running: switches of character and chat interleaved with appends,
// streamed replies (started, stopped), edits, message deletes and chat deletes over
// 3 characters × 3 chats. At the end, and after a reopen, each chat holds exactly the messages
// acknowledged to it, in order; no own write was taken for an outside change; every character's
// active chat is one of its chats.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openChatStore, readFullState } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { tempDir } from '../store/helpers.ts';

/** Replies `echo <history length> done` in three chunks (the card's system parts not counted), yielding to the event loop between them. */
const provider: Provider = async function* (ctx) {
  for (const chunk of ['echo ', `${ctx.messages.filter((m) => m.role !== 'system').length}`, ' done']) {
    await tick();
    if (ctx.signal.aborted) return;
    yield chunk;
  }
};

type Cmd =
  | { t: 'switchChar'; c: number }
  | { t: 'switchChat'; c: number; k: number }
  | { t: 'append'; c: number; k: number; text: string }
  | { t: 'stream'; c: number; k: number }
  | { t: 'stop'; c: number; k: number }
  | { t: 'edit'; c: number; k: number; i: number; text: string }
  | { t: 'delMsg'; c: number; k: number; i: number }
  | { t: 'delChat'; c: number; k: number }
  | { t: 'tick' };

const ck = { c: fc.nat(2), k: fc.nat(2) };
const text = fc.string({ minLength: 1, maxLength: 12 });
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ t: fc.constant('switchChar' as const), c: fc.nat(2) }),
  fc.record({ t: fc.constant('switchChat' as const), ...ck }),
  { arbitrary: fc.record({ t: fc.constant('append' as const), ...ck, text }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant('stream' as const), ...ck }), weight: 2 },
  fc.record({ t: fc.constant('stop' as const), ...ck }),
  fc.record({ t: fc.constant('edit' as const), ...ck, i: fc.nat(20), text }),
  fc.record({ t: fc.constant('delMsg' as const), ...ck, i: fc.nat(20) }),
  fc.record({ t: fc.constant('delChat' as const), ...ck }),
  { arbitrary: fc.constant({ t: 'tick' as const }), weight: 2 },
);

interface Msg {
  id: string;
  role: string;
  content: string;
}

async function session(cmds: Cmd[]) {
  const dataDir = tempDir();
  const store = await openChatStore({ dataDir });
  const events: [string, any][] = [];
  const services = createServices<boolean>({ store, emit: (e, p) => events.push([e, p]), isTrustedSender: () => true, provider, autosaveIntervalMs: () => 5 });
  let down = false;
  try {
    await services.ready;
    const call = async (ch: string, p: unknown = {}) => (await services.binding.handle(true, ch, p)) as any;
    const ok = async (ch: string, p: unknown = {}) => {
      const r = await call(ch, p);
      if (!r.ok) throw new Error(`${ch} ${JSON.stringify(p)}: ${JSON.stringify(r.error)}`);
      return r.data;
    };
    const chars: string[] = [];
    const slots: { id: string; msgs: Msg[] }[][] = [];
    for (let c = 0; c < 3; c++) {
      chars.push((await ok('createCharacter', { name: `C${c}` })).id);
      slots.push([]);
      for (let k = 0; k < 3; k++) slots[c]!.push({ id: (await ok('createChat', { characterId: chars[c] })).chatId, msgs: [] });
    }
    /** streamId → the slot it writes into; its reply joins the model when it ends. */
    const streams = new Map<string, { slot: { id: string; msgs: Msg[] }; done: boolean; context: number }>();
    const live = (id: string) => [...streams.values()].some((s) => !s.done && s.slot.id === id);
    const settle = () => {
      for (const [n, p] of events.splice(0)) {
        if (n === 'chat:changed' || n === 'chat:removed') expect(p.source, `${n} ${JSON.stringify(p)}`).not.toBe('external');
        if (n !== 'stream:end') continue;
        const s = streams.get(p.streamId);
        if (!s || s.done) continue;
        s.done = true;
        // The whole history fits the default context budget (the prompt builder pages back past 50).
        if (p.status === 'complete') expect(p.message.content).toBe(`echo ${s.context} done`);
        if (p.message) s.slot.msgs.push({ id: p.message.id, role: 'assistant', content: p.message.content });
      }
    };

    for (const c of cmds) {
      settle();
      const slot = 'c' in c && 'k' in c ? slots[c.c]![c.k]! : undefined;
      switch (c.t) {
        case 'tick':
          await tick();
          break;
        case 'switchChar':
          await ok('setActiveCharacter', { characterId: chars[c.c] });
          break;
        case 'switchChat':
          await ok('setActiveChat', { characterId: chars[c.c], chatId: slot!.id });
          break;
        case 'append': {
          const r = await call('appendMessage', { chatId: slot!.id, message: { role: 'user', content: c.text } });
          if (r.ok) slot!.msgs.push({ id: r.data.id, role: 'user', content: c.text });
          else expect(r.error.details?.reason ?? r.error.code).toBe('streaming'); // only refused while a reply streams
          break;
        }
        case 'stream': {
          const r = await call('generate', { mode: 'new', chatId: slot!.id });
          if (r.ok) streams.set(r.data.streamId, { slot: slot!, done: false, context: slot!.msgs.length });
          else expect(r.error.code).toBe('CONFLICT');
          break;
        }
        case 'stop':
          for (const [streamId, s] of streams) if (s.slot === slot && !s.done) await ok('stopGeneration', { streamId });
          break;
        case 'edit': {
          const m = slot!.msgs[c.i % Math.max(1, slot!.msgs.length)];
          if (!m) break;
          const r = await call('updateMessage', { chatId: slot!.id, messageId: m.id, patch: { content: c.text } });
          if (r.ok) m.content = c.text;
          else throw new Error(`edit refused: ${JSON.stringify(r.error)}`);
          break;
        }
        case 'delMsg': {
          const i = c.i % Math.max(1, slot!.msgs.length);
          const m = slot!.msgs[i];
          if (!m) break;
          await ok('deleteMessage', { chatId: slot!.id, messageId: m.id });
          slot!.msgs.splice(i, 1);
          break;
        }
        case 'delChat': {
          const r = await call('deleteChat', { chatId: slot!.id });
          if (!r.ok) {
            expect(r.error.code).toBe('CONFLICT');
            expect(live(slot!.id)).toBe(true);
            break;
          }
          const active = (await ok('getActiveChat', { characterId: chars[c.c] })).chatId;
          expect(active).not.toBe(slot!.id);
          expect(slots[c.c]!.some((s) => s.id === active)).toBe(true); // the other two remain
          slots[c.c]![c.k] = { id: (await ok('createChat', { characterId: chars[c.c] })).chatId, msgs: [] };
          break;
        }
      }
    }
    // Let every reply end, then write everything deferred.
    const end = Date.now() + 10_000; // a correctness bound: a stream that never ends fails the run
    while ([...streams.values()].some((s) => !s.done)) {
      if (Date.now() > end) throw new Error('a stream never ended');
      await sleep(1);
      settle();
    }
    await services.autosave.flush();
    await services.watcher!.idle();
    settle();
    const expectAll = async (load: (id: string) => Promise<Msg[]>) => {
      for (const row of slots) for (const s of row) expect((await load(s.id)).map(({ id, role, content }) => ({ id, role, content }))).toEqual(s.msgs);
    };
    await expectAll(async (id) => (await ok('loadChat', { chatId: id, options: { limit: 1000 } })).messages);
    await services.shutdown();
    down = true;

    // After a reopen: the store, and an independent full read of each file.
    const again = await openChatStore({ dataDir });
    try {
      await expectAll(async (id) => (await again.loadChat(id, { limit: 1000 })).messages);
      for (let c = 0; c < 3; c++) {
        for (const s of slots[c]!) {
          const state = readFullState(await readFile(path.join(dataDir, 'chats', chars[c]!, `${s.id}.jsonl`)));
          if ('error' in state) throw new Error(state.error);
          expect(state.messages.map((m) => m.content)).toEqual(s.msgs.map((m) => m.content));
        }
      }
    } finally {
      await again.close();
    }
  } finally {
    if (!down) await services.shutdown().catch(() => {});
  }
}

describe('randomized session', () => {
  it('3 characters × 3 chats: every chat holds exactly what was acknowledged to it, in order, also after a reopen', { timeout: 600_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.array(cmd, { minLength: 5, maxLength: 40 }), session), { numRuns: 200 });
  });
});

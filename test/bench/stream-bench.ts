// The streaming figures of `npm run bench`:
//   stream_writes        durable writes for a simulated 60 s stream of 10,000 chunks at the default interval
//   stream_bytes_ratio   bytes that stream added to the chat file ÷ bytes of the final reply
//   stream_loss_ms_max   worst loss window (kill time − emit time of the first chunk not on disk) over real SIGKILLs
//   edit_coalesce_writes disk writes caused by 1,000 draft updates within one interval
// Time is simulated (an injected clock) for the first and last, so the bench does not take 60 s.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { createDebouncer, DEFAULT_AUTOSAVE_MS, type Debouncer } from '../../electron/autosave/debouncer.ts';
import { openDrafts } from '../../electron/drafts/drafts.ts';
import type { Provider } from '../../electron/generation/provider.ts';
import { FakeClock } from '../stream/fake-clock.ts';
import { chunkText, killRound } from '../stream/stream-kill.ts';

const WRITES = new Set(['appendMessage', 'appendMessages', 'appendText', 'updateMessage']);

/** The store, counting the durable writes made through it. */
function counting(store: ChatStore): { store: ChatStore; writes: () => number } {
  let n = 0;
  const proxy = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (WRITES.has(String(prop))) n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: proxy, writes: () => n };
}

export async function simulatedStream(chunks = 10_000, streamMs = 60_000): Promise<{ writes: number; bytesRatio: number; replyBytes: number; fileBytes: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cardshark-bench-stream-'));
  const clock = new FakeClock();
  const real = await openChatStore({ dataDir: dir });
  const { store, writes } = counting(real);
  const gap = streamMs / chunks;
  let services!: ReturnType<typeof createServices<boolean>>;
  const provider: Provider = async function* () {
    for (let i = 0; i < chunks; i++) {
      yield chunkText(i);
      clock.advance(gap); // fires due checkpoints
      await services.autosave.idle(); // a checkpoint (≈0.3 ms) completes well within one chunk gap
    }
  };
  let ended!: () => void;
  const end = new Promise<void>((r) => (ended = r));
  services = createServices<boolean>({ store, provider, clock, autosaveIntervalMs: () => DEFAULT_AUTOSAVE_MS, isTrustedSender: () => true, emit: (e) => e === 'stream:end' && ended() });
  try {
    const chat = await real.createChat({ characterId: 'bench' });
    await real.appendMessage(chat.chatId, { role: 'user', content: 'Go on.' });
    const file = join(dir, 'chats', 'bench', `${chat.chatId}.jsonl`);
    const before = statSync(file).size;
    const w0 = writes();
    const r = await services.binding.handle(true, 'generate', { mode: 'new', chatId: chat.chatId });
    if (!r.ok) throw new Error(JSON.stringify(r));
    await end;
    const page = await real.loadChat(chat.chatId);
    const reply = page.messages[1]!;
    let expected = '';
    for (let i = 0; i < chunks; i++) expected += chunkText(i);
    if (reply.content !== expected || reply.status !== 'complete') throw new Error('simulated stream: the stored reply is not the streamed text');
    const fileBytes = statSync(file).size - before;
    const replyBytes = Buffer.byteLength(reply.content);
    return { writes: writes() - w0, bytesRatio: fileBytes / replyBytes, replyBytes, fileBytes };
  } finally {
    await services.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function draftCoalesce(updates = 1000): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'cardshark-bench-drafts-'));
  const clock = new FakeClock();
  const inner = createDebouncer({ clock, intervalMs: () => DEFAULT_AUTOSAVE_MS });
  let writes = 0;
  const autosave: Debouncer = { ...inner, set: (key, write) => inner.set(key, async () => (writes++, write())) };
  try {
    const drafts = openDrafts(dir, autosave);
    const chatId = '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11';
    for (let i = 1; i <= updates; i++) {
      await drafts.set(chatId, 'x'.repeat(i));
      clock.advance((DEFAULT_AUTOSAVE_MS * 0.9) / updates);
    }
    clock.advance(DEFAULT_AUTOSAVE_MS);
    await inner.idle();
    if ((await openDrafts(dir, createDebouncer()).get(chatId)).length !== updates) throw new Error('drafts: the last update is not on disk');
    return writes;
  } finally {
    inner.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function killLoss(kills = 20): Promise<{ worstMs: number; rounds: number; problems: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'cardshark-bench-kill-'));
  let worst = 0;
  const problems: string[] = [];
  try {
    for (let i = 0; i < kills; i++) {
      const r = await killRound({ dataDir: dir, mode: i % 4 === 3 ? 'swipe' : 'new', intervalMs: DEFAULT_AUTOSAVE_MS, paceMs: 5, killAfterMs: Math.random() * 3 * DEFAULT_AUTOSAVE_MS });
      problems.push(...r.problems);
      worst = Math.max(worst, r.lossMs);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { worstMs: worst, rounds: kills, problems };
}

// Issue 15, items 1 and 4 (cards): a generated corpus of hostile cards, imported one after another
// through the IPC binding on a real data folder, as the app's main process would. Each is answered
// by a typed error or a safe import (with its thumbnail, or without and a warning saying so); the
// process stays alive; the longest main-thread stall (an event-loop delay monitor) and the peak RSS
// stay bounded. Before the card worker, the 300 MiB bomb alone froze main for seconds.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { demoProvider } from '../../electron/generation/demo.ts';
import { bigCard, hostileCards } from '../fixtures/hostile-cards.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-hostile-'));
  const store = await openChatStore({ dataDir });
  const services = createServices<boolean>({ store, emit: () => {}, isTrustedSender: (s) => s, provider: demoProvider(0) });
  cleanups.push(async () => {
    await services.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const call = (ch: string, p: unknown = {}) => services.binding.handle(true, ch, p) as Promise<any>;
  return { dataDir, call };
}

/**
 * While `work` runs: the longest main-thread stall in wall time (ms; the event-loop delay monitor,
 * and the longest gap between ticks of a 5 ms interval, which also catches a block that starts
 * before the monitor's first sample), the most CPU the main thread spent between two ticks (ms;
 * unlike wall time, not inflated when other processes hold both cores), and the peak RSS growth (MB).
 */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; stallMs: number; busyMs: number; rssMb: number }> {
  const rss0 = process.memoryUsage().rss;
  let rssPeak = rss0;
  let last = performance.now();
  let lastCpu = process.threadCpuUsage();
  let gap = 0;
  let busy = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    const cpu = process.threadCpuUsage();
    gap = Math.max(gap, now - last);
    busy = Math.max(busy, (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000);
    last = now;
    lastCpu = cpu;
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 5);
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  try {
    const result = await work();
    await new Promise((r) => setTimeout(r, 20)); // one more tick: a block at the very end is counted too
    return { result, stallMs: Math.max(delay.max / 1e6, gap), busyMs: busy, rssMb: (rssPeak - rss0) / 1e6 };
  } finally {
    delay.disable();
    clearInterval(ticker);
  }
}

// Bounds that do not flake on a shared 2-core box (the issue's goal is 100 ms; the bench keeps it).
// CPU between ticks measured 65–91 ms here for an 8 MiB card: zod's base64 check and the base64
// decode of the IPC call (~40 ms), a copy, GC. Wall-clock stalls also count time other processes
// held both cores (755 ms was seen while a vite build ran beside this test). Before the card worker:
// 2.1 s for the 8 MiB card, 18.7 s for the corpus.
const BUSY_BOUND_MS = 250;
const STALL_BOUND_MS = 1_500;
const RSS_BOUND_MB = 1_000;

describe('hostile cards', () => {
  it('each gets a typed error or a safe import; the process lives; main never stalls long', { timeout: 900_000 }, async () => {
    const { call, dataDir } = await setup();
    const corpus = hostileCards().map((c) => ({ ...c, base64: c.bytes.toString('base64') }));
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    // Only the imports are measured; the checks (which parse big card.json files here) come after.
    const { result: answers, stallMs, busyMs, rssMb } = await measured(async () => {
      const out: any[] = [];
      for (const c of corpus) out.push(await call('importCharacter', { fileName: `${c.name}.png`, bytesBase64: c.base64 }));
      return out;
    });
    const outcomes: string[] = [];
    for (const [i, c] of corpus.entries()) {
      const r = answers[i];
      if (!r.ok) {
        outcomes.push(`${c.name}: ${['INVALID_INPUT', 'TOO_LARGE'].includes(r.error.code) && c.expect === 'refused' ? 'ok' : `refused ${r.error.code} ${r.error.message}`}`);
        continue;
      }
      const { id } = r.data.character;
      const card = await readFile(path.join(dataDir, 'app', 'characters', id, 'card.json'), 'utf8').catch(() => '{}');
      const avatar = (await call('getCharacterAvatar', { id })).data.dataUrl;
      const got = avatar ? 'thumb' : 'no-thumb';
      const warned = (r.data.warnings ?? []).length > 0;
      const fine = got === c.expect && warned === (got === 'no-thumb') && JSON.parse(card).id === id;
      outcomes.push(`${c.name}: ${fine ? 'ok' : `imported (${got}, warnings ${JSON.stringify(r.data.warnings)})`}`);
    }
    console.log(`hostile cards: ${corpus.length} imported; main thread: longest stall ${stallMs.toFixed(1)} ms, most CPU between ticks ${busyMs.toFixed(1)} ms; peak RSS +${rssMb.toFixed(0)} MB`);
    expect(outcomes).toEqual(corpus.map((c) => `${c.name}: ok`));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Alive and serving: the registry lists every imported card and still answers.
    const listed = (await call('listCharacters')).data;
    expect(listed.length).toBe(corpus.filter((c) => c.expect !== 'refused').length);
    expect(busyMs).toBeLessThan(BUSY_BOUND_MS);
    expect(stallMs).toBeLessThan(STALL_BOUND_MS);
    expect(rssMb).toBeLessThan(RSS_BOUND_MB);
  });

  it('an 8 MiB card imports whole without stalling main (png-chunk-text read it a byte at a time)', { timeout: 300_000 }, async () => {
    const { call } = await setup();
    const bytesBase64 = bigCard(8 * 1024 * 1024).toString('base64');
    const { result: r, stallMs, busyMs } = await measured(() => call('importCharacter', { fileName: 'big.png', bytesBase64 }));
    expect(r.ok, JSON.stringify(r.error)).toBe(true);
    const card = (await call('getCharacter', { id: r.data.character.id })).data.card;
    expect(card.alternate_greetings.join('').length).toBeGreaterThan(5_000_000);
    console.log(`8 MiB card: main thread: longest stall ${stallMs.toFixed(1)} ms, most CPU between ticks ${busyMs.toFixed(1)} ms`);
    expect(busyMs).toBeLessThan(BUSY_BOUND_MS);
    expect(stallMs).toBeLessThan(STALL_BOUND_MS);
  });
});

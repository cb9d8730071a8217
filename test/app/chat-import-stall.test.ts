// Issue 15 §4: a big foreign chat file, imported the way the UI does it (bytes over the binding),
// never holds the main process: parsing, validating and encoding run in slices of ~5 ms, and an
// append to another chat made meanwhile is acknowledged promptly and kept.
// Bounds (generous: a busy 2-core box; the tight goal is import_stall_max_ms in `npm run bench`):
// the CPU this thread spends in one event-loop turn ≤ 500 ms (the code as found spent the whole
// import in one turn: over 1 s for 2 MiB, over 10 s for 20 MiB; now a turn is a ~5 ms slice, and
// the longest ones measured, 50–330 ms under load, are garbage-collector pauses); the wall stall
// (monitorEventLoopDelay and a 1 ms ticker, which also count the time the OS gave to other
// processes) and each append's latency ≤ 5 s; peak RSS ≤ 1.5 GB.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';
import { tinyLinesChat, watchEventLoop } from '../fixtures/event-loop-stalls.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
}, 120_000);

const MIB = 1024 * 1024;
const CPU_TURN_MAX_MS = 500;
const WALL_STALL_MAX_MS = 5_000;
const APPEND_MAX_MS = 5_000;
const RSS_MAX_MB = 1_500;

async function setup() {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cardshark-import-stall-'));
  const store = await openChatStore({ dataDir });
  const services = createServices<boolean>({ store, emit: () => {}, isTrustedSender: (s) => s });
  cleanups.push(async () => {
    await services.shutdown();
    await rm(dataDir, { recursive: true, force: true });
  });
  const call = async (ch: string, p: unknown = {}) => {
    const r = (await services.binding.handle(true, ch, p)) as { ok: boolean; data?: any; error?: unknown };
    if (!r.ok) throw new Error(`${ch}: ${JSON.stringify(r.error)}`);
    return r.data;
  };
  return { call };
}

describe('a big chat import never holds the main process', () => {
  for (const mib of [2, 20]) {
    it(`${mib} MiB of tiny lines over the binding: no long turn, and another chat's appends are acknowledged meanwhile`, async () => {
      const { call } = await setup();
      const other = await call('createChat', { characterId: (await call('createCharacter', { name: 'Other' })).id });
      const bytes = tinyLinesChat(mib * MIB);
      const expected = bytes.toString().split('\n').length - 2; // every line after the header is a message (and a final newline)
      const bytesBase64 = bytes.toString('base64');
      // A first small import loads and compiles the import's modules (vitest transforms them on
      // first use; the app ships them bundled): the turns measured below are the big file's work.
      await call('importChatFile', { fileName: 'warm-up.jsonl', bytesBase64: tinyLinesChat(4096).toString('base64') });

      const monitor = watchEventLoop();
      let importing = true;
      const appends: { ms: number; duringImport: boolean }[] = [];
      const appender = (async () => {
        for (let i = 0; importing; i++) {
          const t = performance.now();
          await call('appendMessage', { chatId: other.chatId, message: { role: 'user', content: `during the import ${i}` } });
          appends.push({ ms: performance.now() - t, duringImport: importing });
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const t0 = performance.now();
      const result = await call('importChatFile', { fileName: 'tiny.jsonl', bytesBase64 });
      const importMs = performance.now() - t0;
      importing = false;
      await appender;
      const stalls = monitor.stop();
      const appendMax = Math.max(...appends.map((a) => a.ms));
      console.log(`import of ${mib} MiB (${expected} messages): ${importMs.toFixed(0)} ms; longest turn: ${stalls.cpuMaxMs.toFixed(1)} ms CPU, ${stalls.wallMaxMs.toFixed(0)} ms wall (monitorEventLoopDelay ${stalls.eldMaxMs.toFixed(0)} ms); ${appends.length} appends to another chat, slowest ${appendMax.toFixed(0)} ms; peak RSS ${stalls.rssMaxMb.toFixed(0)} MB`);

      // The import itself is whole.
      expect(result.failed).toEqual([]);
      expect(result.chats).toMatchObject([{ status: 'created', messageCount: expected, linesNotImported: 0 }]);
      // The other chat was served during the import, and kept every acknowledged message.
      expect(appends.filter((a) => a.duringImport).length).toBeGreaterThanOrEqual(3);
      expect(appendMax).toBeLessThanOrEqual(APPEND_MAX_MS);
      const page = await call('loadChat', { chatId: other.chatId, options: { limit: 1000 } });
      expect(page.messages.map((m: { content: string }) => m.content)).toEqual(appends.map((_, i) => `during the import ${i}`));
      // No long turn.
      expect(stalls.cpuMaxMs).toBeLessThanOrEqual(CPU_TURN_MAX_MS);
      expect(stalls.wallMaxMs).toBeLessThanOrEqual(WALL_STALL_MAX_MS);
      expect(stalls.eldMaxMs).toBeLessThanOrEqual(WALL_STALL_MAX_MS);
      expect(stalls.rssMaxMb).toBeLessThanOrEqual(RSS_MAX_MB);
    }, 900_000);
  }
});

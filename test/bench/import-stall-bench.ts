// Import stall benchmark (issue 15 §4): the longest event-loop stall of the process serving the UI
// while a 20 MiB chat file of tiny lines and an 8 MiB card (a PNG whose `chara` tEXt chunk holds
// 40 greetings of 150,000 characters) are imported at the same time, each the way the UI sends it:
// base64 bytes over the binding (importChatFile, importCharacter). bench.ts runs it in a process of
// its own, as the app's main is one (measureImportStallInChild), not beside the bench's own state
// (2.5 GB RSS by then at --messages 1000000).
// Runnable alone:
//   node test/bench/import-stall-bench.ts [--chat-only] [--dir PARENT]   (--chat-only: the chat file alone)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServices } from '../../electron/ipc/services.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { v2Png } from '../fixtures/cards.ts';
import { tinyLinesChat, watchEventLoop } from '../fixtures/event-loop-stalls.ts';

export interface ImportStallResult {
  /** Longest wall time between two turns of the event loop (1 ms ticker or monitorEventLoopDelay). */
  import_stall_max_ms: number;
  /** Most CPU the main thread spent in one turn (the part not due to other processes). */
  import_turn_cpu_max_ms: number;
  import_stall_total_ms: number;
  chat_mb: number;
  card_mb: number;
  rss_max_mb: number;
}

export function bigCard(): Buffer {
  return v2Png({ name: 'Big card', alternate_greetings: Array.from({ length: 40 }, (_, i) => `Greeting ${i}: ${'x'.repeat(150_000)}`) });
}

export async function measureImportStall(root: string, opts: { card?: boolean } = {}): Promise<ImportStallResult> {
  const dataDir = join(root, 'import-stall-data');
  const store = await openChatStore({ dataDir });
  const services = createServices<boolean>({ store, emit: () => {}, isTrustedSender: (s) => s });
  try {
    await services.ready;
    const call = async (ch: string, p: unknown) => {
      const r = (await services.binding.handle(true, ch, p)) as { ok: boolean; data?: any; error?: unknown };
      if (!r.ok) throw new Error(`import stall bench: ${ch} failed: ${JSON.stringify(r.error)}`);
      return r.data;
    };
    const chat = tinyLinesChat(20 * 1024 * 1024);
    const card = opts.card === false ? Buffer.alloc(0) : bigCard();
    const chatB64 = chat.toString('base64');
    const cardB64 = card.toString('base64');
    // Modules loaded first (run from the .ts sources they are compiled on first use; the app ships them bundled).
    await call('importChatFile', { fileName: 'warm-up.jsonl', bytesBase64: tinyLinesChat(4096).toString('base64') });
    if (card.length) await call('importCharacter', { fileName: 'warm-up.png', bytesBase64: v2Png({ name: 'Warm-up' }).toString('base64') });
    const monitor = watchEventLoop();
    const t = performance.now();
    const [imported] = await Promise.all([call('importChatFile', { fileName: 'tiny.jsonl', bytesBase64: chatB64 }), card.length ? call('importCharacter', { fileName: 'big.png', bytesBase64: cardB64 }) : null]);
    const total = performance.now() - t;
    const stalls = monitor.stop();
    if (imported.chats[0]?.status !== 'created' || imported.failed.length) throw new Error(`import stall bench: unexpected chat import ${JSON.stringify(imported).slice(0, 300)}`);
    return {
      import_stall_max_ms: Math.max(stalls.wallMaxMs, stalls.eldMaxMs),
      import_turn_cpu_max_ms: stalls.cpuMaxMs,
      import_stall_total_ms: total,
      chat_mb: chat.length / 1e6,
      card_mb: card.length / 1e6,
      rss_max_mb: stalls.rssMaxMb,
    };
  } finally {
    await services.shutdown();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** measureImportStall in a fresh child process (this file), its temp folder made in `parent`. */
export function measureImportStallInChild(parent: string): ImportStallResult {
  const r = spawnSync(process.execPath, [import.meta.filename, '--dir', parent], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`import stall child failed (status ${r.status}, signal ${r.signal}): ${r.stderr.slice(-500)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as ImportStallResult;
}

if (import.meta.main) {
  const dirAt = process.argv.indexOf('--dir');
  const root = fs.mkdtempSync(join(dirAt > 0 ? process.argv[dirAt + 1]! : tmpdir(), 'cardshark-import-stall-'));
  try {
    console.log(JSON.stringify(await measureImportStall(root, { card: !process.argv.includes('--chat-only') })));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

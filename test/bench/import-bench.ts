// Import benchmark (issue 9 §4): a 100,000-message SillyTavern chat, generated here with the
// same text generator as the big chat, imported through importPath (read, parse, map, validate
// every message with zod, one atomic verified write). Used by bench.ts; runnable alone:
//   node test/bench/import-bench.ts [messages]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPath } from '../../electron/import/index.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { prng, roleplayText } from '../fixtures/big-chat.ts';

/** A SillyTavern chat file: older header, `\n`-joined, no trailing newline, swipes with swipe_info. */
export function writeStChat(path: string, messages: number, seed = 0x57a7): number {
  const rand = prng(seed);
  const start = Date.UTC(2024, 0, 1);
  // Written as it is made, a few MiB at a time: a 1,000,000-message chat is ~575 MB, more than one string can hold.
  const fd = fs.openSync(path, 'w');
  let bytes = 0;
  let pending: string[] = [];
  let pendingChars = 0;
  const flush = () => {
    const buf = Buffer.from(pending.join(''));
    fs.writeSync(fd, buf);
    bytes += buf.length;
    pending = [];
    pendingChars = 0;
  };
  const put = (text: string) => {
    pending.push(text);
    pendingChars += text.length;
    if (pendingChars > 4_000_000) flush();
  };
  put(JSON.stringify({ user_name: 'Wren', character_name: 'Séraphine', create_date: '2024-01-01@00h00m00s', chat_metadata: { integrity: '0b6a3f5e-8f7e-4f7e-9d1e-3c1c7a1a2b3c', note_prompt: '', note_interval: 1, tainted: false } }));
  let ts = start;
  for (let i = 0; i < messages; i++) {
    ts += 5_000 + Math.floor(rand() * 115_000);
    const user = i % 2 === 0;
    const send_date = new Date(ts).toISOString();
    const len = user ? 40 + Math.floor(rand() ** 2 * 420) : 70 + Math.floor(rand() ** 3 * 1050);
    const m: Record<string, unknown> = { name: user ? 'Wren' : 'Séraphine', is_user: user, is_system: false, send_date, mes: '', extra: user ? {} : { api: 'openai', model: 'gpt-4o-mini', reasoning: '', token_count: Math.floor(rand() * 400) } };
    if (!user) {
      m.gen_started = new Date(ts - 4000).toISOString();
      m.gen_finished = send_date;
    }
    if (!user && rand() < 0.12) {
      const swipes = Array.from({ length: 2 + Math.floor(rand() * 2) }, () => roleplayText(rand, len));
      m.swipe_id = Math.floor(rand() * swipes.length);
      m.swipes = swipes;
      m.swipe_info = swipes.map(() => ({ send_date, gen_started: m.gen_started, gen_finished: send_date, extra: {} }));
      m.mes = swipes[m.swipe_id as number];
    } else m.mes = roleplayText(rand, len);
    put(`\n${JSON.stringify(m)}`);
  }
  flush();
  fs.closeSync(fd);
  return bytes;
}

export interface ImportBenchResult {
  import_ms: number[];
  source_mb: number;
  messages: number;
}

/** Each run imports into a fresh data directory (a re-import would be recognised and skipped). */
export async function measureImport(root: string, messages: number, runs: number): Promise<ImportBenchResult> {
  const src = join(root, 'import-source.jsonl');
  const bytes = writeStChat(src, messages);
  const import_ms: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const dataDir = join(root, `import-data-${i}`);
    const store = await openChatStore({ dataDir });
    try {
      const t = performance.now();
      const report = await importPath(store, src, { characterId: 'bench-import' });
      const ms = performance.now() - t;
      const chat = report.chats[0];
      if (report.chats.length !== 1 || chat?.messageCount !== messages || chat.problems.length > 0) throw new Error(`import bench: unexpected report ${JSON.stringify(report).slice(0, 500)}`);
      if (i > 0) import_ms.push(ms); // the first run is a warm-up
    } finally {
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  fs.rmSync(src, { force: true });
  return { import_ms, source_mb: bytes / 1e6, messages };
}

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'import-child.ts');
const CLI = join(HERE, '..', '..', 'electron', 'entry', 'cli.mjs'); // what `npm run cli` runs

export type BigImportResult = { import_ms: number; max_rss_mb: number; rss_before_mb: number; source_mb: number; gen_ms: number } | { error: string };

/**
 * A `messages`-message chat imported once in a fresh process (import-child.ts): its import time
 * and peak RSS. Killed after `timeoutMs` of import (not counting the generation of the source):
 * then `error` says so.
 */
export async function measureBigImport(root: string, messages: number, timeoutMs: number): Promise<BigImportResult> {
  const src = join(root, 'import-big-source.jsonl');
  const dataDir = join(root, 'import-big-data');
  const g = performance.now();
  const bytes = writeStChat(src, messages);
  const genMs = performance.now() - g;
  try {
    const child = spawn(process.execPath, [CHILD, src, dataDir, String(messages)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    if (signal === 'SIGKILL') return { error: `did not finish within ${(timeoutMs / 1000).toFixed(0)} s on this machine` };
    if (code !== 0) return { error: `the import child failed (status ${code}): ${err.slice(-300)}` };
    return { ...(JSON.parse(out.trim().split('\n').at(-1)!) as { import_ms: number; max_rss_mb: number; rss_before_mb: number }), source_mb: bytes / 1e6, gen_ms: genMs };
  } finally {
    fs.rmSync(src, { force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The CLI's import as a user runs it (`npm run cli`): `node electron/entry/cli.mjs import FILE --character ID
 * --data-dir DIR`, process start to exit, into a fresh data dir each time; 1 warm-up run (it fills
 * Node's compile cache, as any earlier command of the user's has) + `runs`.
 */
export function measureCliImport(root: string, messages: number, runs: number): { cli_ms: number[]; source_mb: number } {
  const src = join(root, 'import-cli-source.jsonl');
  const bytes = writeStChat(src, messages);
  const cli_ms: number[] = [];
  try {
    for (let i = 0; i < runs + 1; i++) {
      const dataDir = join(root, `import-cli-data-${i}`);
      const t = performance.now();
      const r = spawnSync(process.execPath, [CLI, 'import', src, '--character', 'bench-import', '--json', '--data-dir', dataDir], { encoding: 'utf8', timeout: 300_000 });
      const ms = performance.now() - t;
      fs.rmSync(dataDir, { recursive: true, force: true });
      const report = r.status === 0 ? (JSON.parse(r.stdout) as { chats: { messageCount: number }[] }) : null;
      if (report?.chats[0]?.messageCount !== messages) throw new Error(`CLI import bench: status ${r.status}, ${r.stderr.slice(-500)}`);
      if (i > 0) cli_ms.push(ms);
    }
  } finally {
    fs.rmSync(src, { force: true });
  }
  return { cli_ms, source_mb: bytes / 1e6 };
}

if (import.meta.main) {
  const root = fs.mkdtempSync(join(tmpdir(), 'cardshark-import-bench-'));
  try {
    const r = await measureImport(root, Number(process.argv[2] ?? 100_000), 3);
    console.log(JSON.stringify(r));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

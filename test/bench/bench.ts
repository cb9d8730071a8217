// CardShark chat store benchmark (issue 2, "Benchmarks").
//
//   npm run bench [-- --messages N] [--samples N] [--rewrites N] [--children N] [--keep] [--dir PATH] [--only PARTS]
//
// --only jump,import,merge runs only those parts (jump: jump_100k_ms and jump_1m_ms; import: import_100k_ms
// and import_cli_100k_ms; merge: rewrite_baseline_ms and sync_merge_100k_ms), measured as in the full run, and prints their keys (the last line of
// stdout is still one JSON object). The full run's big chat has taken 200 appends and 200 edits
// before its jumps are measured; --only jumps on the chat as built. --only merge first gives the chat
// what the full run gives it before its merge (those edits and appends, the prompt bench's metadata change).
//
// Builds a big chat (default 100,000 messages, ~50 MB) in a temp dir, in the store's exact format,
// then measures, in one run and in the same directory:
//   append_p50_ms          store.appendMessage (resolves after fdatasync) on the big chat
//   fsync_floor_ms         raw appendFile equivalent: open('a') + write + fdatasync + close, same line size
//   rewrite_baseline_ms    write-file-atomic (fsync) of the whole chat + directory fsync (SillyTavern-style save)
//   branch_100k_ms         store.branchChat at the newest message of the big chat (branch-bench.ts), goal ≤ rewrite_baseline_ms
//   sync_merge_100k_ms     a sync tool's conflict copy of the big chat merged into it, 1,000 divergent messages
//                          each side (merge-bench.ts), goal ≤ rewrite_baseline_ms
//   edit_last_p50_ms       updateMessage of the last message, alternating a content edit and addSwipe
//   open_tail_ms           fresh child process: openChatStore() → loadChat(id, { limit: 50 }), startup excluded;
//                          the child runs the store bundled by Vite, as the app ships it
//   open_tail_rss_mb       that child's peak RSS (open_tail_rss_source_mb: the same child run from the .ts
//                          sources, where Node's type stripping adds ~35 MB before the store is touched)
//   full_parse_baseline_ms read the whole file and JSON.parse every line
//   stream_writes, stream_bytes_ratio, stream_loss_ms_max, edit_coalesce_writes: see stream-bench.ts
//   import_100k_ms         importPath of a generated SillyTavern chat of as many messages (at most 100,000;
//                          import-bench.ts), into a fresh data dir; import_ratio = import / (full_parse + rewrite)
//                          of the fixture's size (at --messages 1000000: import_1m_ms), goal ≤ 2
//   import_1m_ms, import_1m_rss_mb  a 1,000,000-message (~575 MB) SillyTavern chat imported in a fresh process
//                          set up as the CLI is: importPath's time and the process's peak RSS (goal ≤ 256);
//                          null (with why) if it does not finish within 90 s in a default run
//   import_cli_100k_ms     `node electron/entry/cli.mjs import` (npm run cli) on a 100,000-message chat, process start to exit,
//                          goal ≤ 1.5 × import_100k_ms
//   import_stall_max_ms    longest event-loop stall while a 20 MiB chat and an 8 MiB card are imported at once
//                          over the binding, in a fresh process like the app's main (import-stall-bench.ts), goal ≤ 100
//   find_100k_ms           store.searchChat for a phrase from a message near the chat's start (whole-file search)
//   find_all_100k_ms       store.searchChat for a common word ("lantern", ≥ 20,000 matches at 100k): every
//                          match counted, the first page (the newest 500) with snippets; goal ≤ full_parse
//   jump_100k_ms           fresh child process (the store bundled, as for open_tail): openChatStore() →
//                          loadChat(id, { around: a message 90,000 back }), through the chat's position index
//                          (a first child, without one, builds it: jump_100k_cold_ms); see jump-bench.ts
//   jump_1m_ms             the same on a 1,000,000-message chat (this one, or one built for it: ~20 s)
//   list_chats_10k_ms, list_all_10k_ms, list_big_chat_ms, startup_10k_ms, index_rebuild_10k_ms: see index-bench.ts
//   external_edit_seen_p50_ms, external_edit_seen_max_ms: outside append → chat:changed (see watch-bench.ts)
//   search_library_ms, search_update_ms, search_index_build_ms, search_index_mb: see search-bench.ts
//   richtext_1m_ms         tokenize a 1,000,000-character hostile message; the old tokenizer and today's on
//                          30,000 characters as the baseline (richtext-bench.ts)
//   sync_converge_ms       two computers (app hosts in own UTS namespaces, real Syncthing on loopback): an append
//                          acknowledged on A → shown by B's app, p50/max of 20, and Syncthing's share (sync-bench.ts)
//   prompt_build_100k_ms   the next reply's request for the big chat with a 200-entry lorebook, as generation
//                          builds it; the same without a lorebook as the baseline (prompt-bench.ts)
//   send_to_first_token_ms Send (appendMessage, then generate) → the first stream:chunk, through the browser host
//                          (its own process, demo provider at pace 0) over its WebSocket; median of 20, with
//                          ws_roundtrip_ms, a call that does nothing, for scale (first-token-bench.ts); reported
// Append and floor samples are interleaved, so drift in the disk's latency hits both alike.
// Prints a human table, then, as the very last line of stdout, one JSON object.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import writeFileAtomic from 'write-file-atomic';
import { openChatStore } from '../../electron/store/index.ts';
import { openOpLog } from '../../electron/oplog/oplog.ts';
import { serialize } from '../../electron/store/records.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import type { NewMessageInput } from '../../shared/chat-format.ts';
import { buildBigChat, prng, roleplayText, type BigChat } from '../fixtures/big-chat.ts';
import { bundleChild } from './bundle-child.ts';
import { draftCoalesce, killLoss, simulatedStream } from './stream-bench.ts';
import { measureBigImport, measureCliImport, measureImport } from './import-bench.ts';
import { measureImportStallInChild } from './import-stall-bench.ts';
import { indexBench } from './index-bench.ts';
import { idOnLine, jumpBundle, measureJump1m, measureJumps, type JumpResult } from './jump-bench.ts';
import { externalEditSeen } from './watch-bench.ts';
import { measureRichText } from './richtext-bench.ts';
import { searchBench } from './search-bench.ts';
import { measurePromptBuild } from './prompt-bench.ts';
import { measureBranch } from './branch-bench.ts';
import { measureFirstToken, summarize as summarizeFirstToken } from './first-token-bench.ts';
import { measureSyncConverge, syncConvergeKeys, syncConvergeRow } from './sync-bench.ts';
import { DIVERGENT, measureSyncMerge } from './merge-bench.ts';

// ---- arguments ----

interface Args {
  messages: number;
  samples: number;
  warmups: number;
  rewrites: number;
  children: number;
  kills: number;
  keep: boolean;
  dir: string | undefined;
  /** --only: the parts to run (ONLY_PARTS); null runs everything. */
  only: Set<OnlyPart> | null;
}

const ONLY_PARTS = ['jump', 'import', 'merge'] as const;
type OnlyPart = (typeof ONLY_PARTS)[number];

function parseArgs(argv: string[]): Args {
  const args: Args = { messages: 100_000, samples: 200, warmups: 3, rewrites: 5, children: 5, kills: 20, keep: false, dir: undefined, only: null };
  const int = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      console.error(`bench: ${name} needs an integer ≥ ${min}, got ${v}`);
      process.exit(2);
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--messages':
        args.messages = int(flag, value(), 60);
        break;
      case '--samples':
        args.samples = int(flag, value(), 1);
        break;
      case '--warmups':
        args.warmups = int(flag, value(), 0);
        break;
      case '--rewrites':
        args.rewrites = int(flag, value(), 1);
        break;
      case '--children':
        args.children = int(flag, value(), 1);
        break;
      case '--kills':
        args.kills = int(flag, value(), 1);
        break;
      case '--keep':
        args.keep = true;
        break;
      case '--dir':
        args.dir = value();
        break;
      case '--only': {
        const parts = (value() ?? '').split(',').filter(Boolean);
        const unknown = parts.filter((x) => !(ONLY_PARTS as readonly string[]).includes(x));
        if (parts.length === 0 || unknown.length) {
          console.error(`bench: --only takes a comma-separated list of ${ONLY_PARTS.join(', ')}; got ${parts.length ? unknown.join(', ') : 'nothing'}`);
          process.exit(2);
        }
        args.only = new Set(parts as OnlyPart[]);
        break;
      }
      case '--help':
      case '-h':
        console.log(
          'usage: npm run bench -- [--messages N=100000] [--samples N=200] [--warmups N=3] [--rewrites N=5] [--children N=5] [--kills N=20] [--dir PARENT] [--keep] [--only jump,import,merge]',
        );
        process.exit(0);
      default:
        console.error(`bench: unknown argument ${a} (try --help)`);
        process.exit(2);
    }
  }
  return args;
}

// ---- statistics ----

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
const median = (xs: number[]) => quantile(xs, 0.5);
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

// ---- phases ----

/** The whole file read, then every line JSON.parse'd (what a naive loader does on open). */
async function fullParse(path: string): Promise<{ ms: number; lines: number }> {
  if ((await fsp.stat(path)).size > STRING_SAFE_BYTES) return fullParseInBlocks(path);
  let lines = 0;
  const ms = await time(async () => {
    const text = await fsp.readFile(path, 'utf8');
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      const end = nl === -1 ? text.length : nl;
      if (end > start) {
        JSON.parse(text.slice(start, end));
        lines++;
      }
      if (nl === -1) break;
      start = nl + 1;
    }
  });
  return { ms, lines };
}

/** V8 caps a string at ~512 MB: a bigger file (1,000,000 messages) is read and decoded a block at a time. */
const STRING_SAFE_BYTES = 256 * 1024 * 1024;

async function fullParseInBlocks(path: string): Promise<{ ms: number; lines: number }> {
  let lines = 0;
  const ms = await time(async () => {
    const data = await fsp.readFile(path);
    for (let start = 0; start < data.length; ) {
      let end = data.indexOf(0x0a, Math.min(data.length, start + 8 * 1024 * 1024));
      if (end === -1) end = data.length;
      const text = data.toString('utf8', start, end);
      let from = 0;
      for (;;) {
        const nl = text.indexOf('\n', from);
        const stop = nl === -1 ? text.length : nl;
        if (stop > from) {
          JSON.parse(text.slice(from, stop));
          lines++;
        }
        if (nl === -1) break;
        from = nl + 1;
      }
      start = end + 1;
    }
  });
  return { ms, lines };
}

interface AppendResults {
  append: number[];
  floor: number[];
  floorKeepOpen: number[];
  lineBytes: number[];
}

/**
 * Interleaves: a store append, a raw open/write/fdatasync/close of a line of the same size, and a
 * raw write/fdatasync on a file descriptor kept open (what the store itself does underneath).
 */
async function measureAppends(store: ChatStore, chatId: string, dir: string, samples: number, warmups: number, rand: () => number): Promise<AppendResults> {
  const floorPath = join(dir, 'fsync-floor.jsonl');
  const keepPath = join(dir, 'fsync-floor-keepopen.jsonl');
  const keep = await fsp.open(keepPath, 'a');
  const res: AppendResults = { append: [], floor: [], floorKeepOpen: [], lineBytes: [] };
  try {
    for (let i = 0; i < warmups + samples; i++) {
      const user = i % 2 === 0;
      const content = roleplayText(rand, user ? 80 + Math.floor(rand() * 300) : 150 + Math.floor(rand() * 600));
      const input: NewMessageInput = user ? { role: 'user', content, name: 'Wren' } : { role: 'assistant', content, name: 'Séraphine', status: 'complete' };
      let stored: object = {};
      const a = await time(async () => {
        stored = await store.appendMessage(chatId, input);
      });
      // Exactly the bytes the store just wrote for this message.
      const line = Buffer.from(serialize(stored));
      const f = await time(async () => {
        const fh = await fsp.open(floorPath, 'a');
        try {
          await fh.write(line, 0, line.length);
          await fh.datasync();
        } finally {
          await fh.close();
        }
      });
      const k = await time(async () => {
        await keep.write(line, 0, line.length);
        await keep.datasync();
      });
      if (i < warmups) continue;
      res.append.push(a);
      res.floor.push(f);
      res.floorKeepOpen.push(k);
      res.lineBytes.push(line.length);
    }
  } finally {
    await keep.close();
  }
  return res;
}

/** updateMessage of the chat's last message, alternating a content edit and a new swipe. */
async function measureEdits(store: ChatStore, chatId: string, samples: number, warmups: number, rand: () => number): Promise<{ edit: number[]; swipe: number[] }> {
  const page = await store.loadChat(chatId, { limit: 1 });
  let target = page.messages.at(-1)!;
  let swipes = target.swipes?.length ?? 1;
  const edit: number[] = [];
  const swipe: number[] = [];
  for (let i = 0; i < warmups + samples; i++) {
    const addSwipe = i % 2 === 1;
    if (addSwipe && swipes >= 990) {
      // Stay under the 1000-swipe cap on long runs: a fresh last message (not timed).
      target = await store.appendMessage(chatId, { role: 'assistant', content: roleplayText(rand, 300), name: 'Séraphine' });
      swipes = 1;
    }
    const text = roleplayText(rand, 150 + Math.floor(rand() * 600));
    const ms = await time(() => store.updateMessage(chatId, target.id, addSwipe ? { addSwipe: text } : { content: text }));
    if (addSwipe) swipes++;
    if (i < warmups) continue;
    (addSwipe ? swipe : edit).push(ms);
  }
  return { edit, swipe };
}

/**
 * SillyTavern-style save: the whole chat, held in memory as message objects, is serialised and
 * written through write-file-atomic (fsync), then the directory is fsync'd. Serialising is part
 * of every whole-file save (the append path serialises its one line too, inside append_p50).
 * The I/O alone is reported separately.
 */
async function measureRewrites(chatPath: string, runs: number): Promise<{ ms: number[]; ioMs: number[]; bytes: number }> {
  const data = await fsp.readFile(chatPath);
  const records = data.toString('utf8').split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as unknown);
  // A sibling file (the store holds the real one open); the name matches no store pattern.
  const target = join(dirname(chatPath), 'rewrite-baseline.jsonl');
  const ms: number[] = [];
  const ioMs: number[] = [];
  // One untimed warm-up: a real app rewrites the same file over and over, so the target exists
  // and the rename frees the previous version, as in every timed run.
  for (let i = 0; i < runs + 1; i++) {
    let io = 0;
    const t = await time(async () => {
      const text = records.map((r) => JSON.stringify(r)).join('\n');
      io = await time(async () => {
        await writeFileAtomic(target, text, { fsync: true });
        await fsyncDir(dirname(target));
      });
    });
    if (i > 0) {
      ms.push(t);
      ioMs.push(io);
    }
  }
  await fsp.rm(target, { force: true });
  return { ms, ioMs, bytes: data.length };
}

interface ChildResult {
  open_tail_ms: number;
  open_ms: number;
  load_ms: number;
  messages: number;
  has_more: boolean;
  last_id: string | null;
  warnings: number;
  rss_before_open_mb: number;
  max_rss_mb: number;
}

/** A fresh process per run: module import happens before the timer starts (see open-tail-child.ts). */
const OPEN_TAIL_SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'open-tail-child.ts');

function openTailChild(dataDir: string, chatId: string, script = OPEN_TAIL_SOURCE): ChildResult {
  const r = spawnSync(process.execPath, [script, dataDir, chatId, '50'], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`open-tail child failed (status ${r.status}, signal ${r.signal}): ${r.stderr}`);
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as ChildResult;
}

/** The id of the message `back` messages before the fixture's newest, and a phrase from a message near the start. */
function findTargets(path: string, count: number, back: number): { jumpId: string; phrase: string; phraseId: string } {
  // Line by line: a 1,000,000-message file is longer than a string may be.
  const jumpId = idOnLine(path, 1 + count - back);
  const head = Buffer.alloc(1024 * 1024);
  const fd = fs.openSync(path, 'r');
  const got = fs.readSync(fd, head, 0, head.length, 0);
  fs.closeSync(fd);
  const early = JSON.parse(head.subarray(0, got).toString('utf8').split('\n')[1 + 3]!) as { id: string; content: string };
  // Three plain words in a row, exactly as they stand in the text.
  const words = early.content.split(' ');
  let at = words.findIndex((_, i) => words.slice(i, i + 3).length === 3 && words.slice(i, i + 3).every((w) => /^\p{L}+$/u.test(w)));
  if (at === -1) at = 0;
  const phrase = words.slice(at, at + 3).join(' ');
  return { jumpId, phrase, phraseId: early.id };
}

/** A common word of the fixture's vocabulary: in about a quarter of its messages. */
const FIND_ALL_WORD = 'lantern';

// ---- main ----

interface Row {
  metric: string;
  value: string;
  goal: string;
  pass: boolean | null;
  note: string;
}

function printTable(title: string, rows: Row[]): void {
  const cells = rows.map((r) => [r.metric, r.value, r.goal, r.pass === null ? '' : r.pass ? 'PASS' : 'FAIL', r.note]);
  const head = ['metric', 'value', 'goal', 'result', 'how it was measured'];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const fmt = (c: string[]) => c.map((x, i) => (i === 1 ? x.padStart(widths[i]!) : x.padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(title);
  console.log(fmt(head));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const c of cells) console.log(fmt(c));
}

/** --only: the parts asked for, each measured as the full run measures it; a table, then one JSON line. */
async function runOnly(args: Args, only: Set<OnlyPart>, root: string, dataDir: string, fixture: BigChat): Promise<void> {
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  const rows: Row[] = [];
  const result: Record<string, unknown> = { messages: args.messages, only: [...only].join(',') };
  if (only.has('jump')) {
    // A new library is indexed (index.json) in the background after open: done before the children, as in the full run.
    const s = await openChatStore({ dataDir });
    await s.whenIndexed();
    await s.close();
    const targets = findTargets(fixture.path, args.messages, Math.min(90_000, args.messages - 1));
    const jumpScript = await jumpBundle(join(dataDir, 'bench-bundle'));
    log(`jump: a cold jump + ${args.children} fresh child processes`);
    const jumps = measureJumps(dataDir, fixture.chatId, targets.jumpId, args.children, jumpScript);
    const jumpMs = median(jumps.runs.map((j) => j.jump_ms));
    const parts = (runs: JumpResult[]) => `median of ${runs.length}: ${runs.map((j) => j.jump_ms.toFixed(1)).join(', ')} (open ${ms(median(runs.map((j) => j.open_ms)))}, load ${ms(median(runs.map((j) => j.load_ms)))})`;
    rows.push({ metric: 'jump_100k_ms', value: ms(jumpMs), goal: '≤ 20', pass: jumpMs <= 20, note: `as in the full run (a message 90,000 back), on the chat as built; ${parts(jumps.runs)}; cold ${ms(jumps.cold.jump_ms)}` });
    Object.assign(result, { jump_100k_ms: round(jumpMs, 2), jump_100k_open_ms: round(median(jumps.runs.map((j) => j.open_ms)), 2), jump_100k_load_ms: round(median(jumps.runs.map((j) => j.load_ms)), 2), jump_100k_cold_ms: round(jumps.cold.jump_ms, 1) });
    log(args.messages >= 1_000_000 ? 'jump_1m: this chat' : 'jump_1m: building a 1,000,000-message chat (~20 s), then a cold jump + fresh child processes');
    const jump1m = await measureJump1m(root, args.children, jumpScript, args.messages >= 1_000_000 ? { dataDir, chatId: fixture.chatId, path: fixture.path } : undefined);
    if ('skipped' in jump1m) {
      rows.push({ metric: 'jump_1m_ms', value: 'null', goal: '≤ 20', pass: null, note: `not measured: ${jump1m.skipped}` });
      Object.assign(result, { jump_1m_ms: null, jump_1m_skipped: jump1m.skipped });
    } else {
      const j1 = median(jump1m.runs.map((j) => j.jump_ms));
      rows.push({ metric: 'jump_1m_ms', value: ms(j1), goal: '≤ 20', pass: j1 <= 20, note: `a message 900,000 back; ${parts(jump1m.runs)}; cold ${ms(jump1m.cold.jump_ms)}` });
      Object.assign(result, { jump_1m_ms: round(j1, 2), jump_1m_open_ms: round(median(jump1m.runs.map((j) => j.open_ms)), 2), jump_1m_load_ms: round(median(jump1m.runs.map((j) => j.load_ms)), 2), jump_1m_cold_ms: round(jump1m.cold.jump_ms, 1) });
    }
  }
  if (only.has('merge')) {
    // The chat as the full run leaves it for the merge: edits, swipes and appends (change records), then
    // the prompt bench's author's note (a meta record), all in the beginning the conflict copy shares.
    log(`merge: the chat first takes ${args.samples} edits/swipes, ${args.samples} appends and the prompt bench's metadata change, as in the full run`);
    const rand = prng(0xbe4c4);
    const s = await openChatStore({ dataDir, oplog: await openOpLog(dataDir, { source: 'bench' }) });
    try {
      await s.whenIndexed();
      await measureEdits(s, fixture.chatId, args.samples, args.warmups, rand);
      await measureAppends(s, fixture.chatId, dirname(fixture.path), args.samples, args.warmups, rand);
    } finally {
      await s.close();
    }
    await measurePromptBuild(dataDir, fixture.chatId, 1);
    log(`rewrite baseline: 1 warm-up + ${args.rewrites} runs`);
    const rewrites = await measureRewrites(fixture.path, args.rewrites);
    log(`sync merge: a conflict copy of the big chat (${DIVERGENT} messages each side) merged into it, 1 warm-up + ${args.rewrites} runs`);
    const merges = await measureSyncMerge({ root, chatPath: fixture.path, chatId: fixture.chatId, characterId: fixture.characterId, runs: args.rewrites });
    const rewriteMs = median(rewrites.ms);
    const mergeMs = median(merges.ms);
    rows.push({ metric: 'rewrite_baseline_ms', value: ms(rewriteMs), goal: '', pass: null, note: `as in the full run; ${rewrites.ms.map((x) => x.toFixed(0)).join(', ')}` });
    rows.push({ metric: 'sync_merge_100k_ms', value: ms(mergeMs), goal: `≤ ${ms(rewriteMs)}`, pass: mergeMs <= rewriteMs, note: `as in the full run; ${merges.ms.map((x) => x.toFixed(0)).join(', ')} (${merges.messages.toLocaleString('en-US')} messages after); ${(mergeMs / rewriteMs).toFixed(2)}× rewrite_baseline_ms` });
    Object.assign(result, { rewrite_baseline_ms: round(rewriteMs, 2), sync_merge_100k_ms: round(mergeMs, 1), sync_merge_ratio: round(mergeMs / rewriteMs, 2) });
  }
  if (only.has('import')) {
    const importN = Math.min(args.messages, 100_000);
    log(`import: a ${importN.toLocaleString('en-US')}-message SillyTavern chat, 1 warm-up + 3 runs`);
    const imports = await measureImport(root, importN, 3);
    log('import through the CLI: the same size, process start to exit, 1 warm-up + 3 runs');
    const cli = measureCliImport(root, importN, 3);
    const importMs = median(imports.import_ms);
    const cliMs = median(cli.cli_ms);
    rows.push({ metric: 'import_100k_ms', value: ms(importMs), goal: '', pass: null, note: `as in the full run; median of ${imports.import_ms.length}: ${imports.import_ms.map((x) => x.toFixed(0)).join(', ')}` });
    rows.push({ metric: 'import_cli_100k_ms', value: ms(cliMs), goal: `≤ ${ms(1.5 * importMs)}`, pass: cliMs / importMs <= 1.5, note: `as in the full run; median of ${cli.cli_ms.length}: ${cli.cli_ms.map((x) => x.toFixed(0)).join(', ')}; ${(cliMs / importMs).toFixed(2)}× import_100k_ms` });
    Object.assign(result, { import_100k_ms: round(importMs, 1), import_cli_100k_ms: round(cliMs, 0), import_cli_ratio: round(cliMs / importMs, 2) });
  }
  console.log('');
  printTable(`CardShark store bench, --only ${[...only].join(',')}: ${args.messages.toLocaleString('en-US')} messages, node ${process.version}, ${root}`, rows);
  const failed = rows.filter((r) => r.pass === false).map((r) => r.metric);
  console.log(failed.length ? `goals missed: ${failed.join(', ')}` : 'all goals met');
  console.log('');
  console.log(JSON.stringify({ ...result, goals_met: failed.length === 0 }));
}


async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const root = fs.mkdtempSync(join(args.dir ?? tmpdir(), 'cardshark-bench-'));
  const dataDir = join(root, 'data');
  const rand = prng(0xbe4c4);
  let store: ChatStore | null = null;
  try {
    log(`building a ${args.messages.toLocaleString('en-US')}-message chat in ${root}`);
    const tBuild = performance.now();
    const fixture = buildBigChat({ dataDir, messages: args.messages });
    const buildMs = performance.now() - tBuild;
    const fileMb = fixture.bytes / 1e6;
    log(`built ${fileMb.toFixed(1)} MB in ${buildMs.toFixed(0)} ms (fsync'd)`);
    if (args.only) return await runOnly(args, args.only, root, dataDir, fixture);
    const chatDir = dirname(fixture.path);

    log('full parse baseline');
    const parses: number[] = [];
    let parsedLines = 0;
    for (let i = 0; i < 3; i++) {
      const p = await fullParse(fixture.path);
      parses.push(p.ms);
      parsedLines = p.lines;
    }

    log('opening the store in this process');
    // With the operations log the app passes: appends must not get slower for it.
    store = await openChatStore({ dataDir, oplog: await openOpLog(dataDir, { source: 'bench' }) });
    await store.whenIndexed(); // a new library: its index is built in the background; not during the measurements
    const first = await store.loadChat(fixture.chatId, { limit: 50 });
    if (first.messages.length !== 50 || first.messages.at(-1)?.id !== fixture.lastIds.at(-1)) throw new Error('the store did not return the fixture’s newest page');

    log(`edit_last: ${args.samples} samples after ${args.warmups} warm-ups`);
    const edits = await measureEdits(store, fixture.chatId, args.samples, args.warmups, rand);

    log(`append + fsync floor: ${args.samples} interleaved samples after ${args.warmups} warm-ups`);
    const appends = await measureAppends(store, fixture.chatId, chatDir, args.samples, args.warmups, rand);
    const tail = await store.loadChat(fixture.chatId, { limit: 1 });
    const expectedLastId = tail.messages.at(-1)?.id ?? null;

    await store.close();
    store = null;

    log('doctor: validate the whole chat (full forward parse), 1 warm-up + 3 runs');
    const doctorRuns: number[] = [];
    {
      const s = await openChatStore({ dataDir });
      try {
        for (let i = 0; i < 4; i++) {
          const t0 = performance.now();
          const report = await s.validateChat(fixture.chatId);
          const dt = performance.now() - t0;
          if (!report.ok || report.messageCount < args.messages) throw new Error(`doctor found problems in the bench chat: ${JSON.stringify(report.problems.slice(0, 3))}`);
          if (i > 0) doctorRuns.push(dt);
        }
      } finally {
        await s.close();
      }
    }

    log(`open_tail: the store bundled as it ships, 1 warm-up + ${args.children} fresh child processes, then 1 from the sources`);
    const bundled = await bundleChild(OPEN_TAIL_SOURCE, join(dataDir, 'bench-bundle'));
    openTailChild(dataDir, fixture.chatId, bundled);
    const fromSource = openTailChild(dataDir, fixture.chatId);
    const children: ChildResult[] = [];
    for (let i = 0; i < args.children; i++) {
      const c = openTailChild(dataDir, fixture.chatId, bundled);
      if (c.messages !== 50 || c.last_id !== expectedLastId) throw new Error(`open-tail child returned ${c.messages} messages ending at ${c.last_id}, expected 50 ending at ${expectedLastId}`);
      children.push(c);
    }

    log('find and jump: whole-file search in-process, then 1 warm-up + fresh child processes for the jump');
    const targets = findTargets(fixture.path, args.messages, Math.min(90_000, args.messages - 1));
    const finds: number[] = [];
    let found = { total: 0, matches: [] as { id: string }[] };
    {
      const s2 = await openChatStore({ dataDir });
      try {
        for (let i = 0; i < 3; i++) {
          finds.push(await time(async () => (found = await s2.searchChat(fixture.chatId, targets.phrase))));
        }
      } finally {
        await s2.close();
      }
    }
    if (!found.matches.some((m) => m.id === targets.phraseId)) throw new Error(`search for "${targets.phrase}" did not find message ${targets.phraseId}`);
    log('find_all: every match of a common word, the first page; 1 warm-up + 3 runs');
    const findAll: number[] = [];
    let foundAll = { total: 0, matches: [] as { id: string }[], offset: 0 };
    {
      const s2 = await openChatStore({ dataDir });
      try {
        for (let i = 0; i < 4; i++) {
          const t = await time(async () => (foundAll = await s2.searchChat(fixture.chatId, FIND_ALL_WORD)));
          if (i > 0) findAll.push(t);
        }
      } finally {
        await s2.close();
      }
    }
    if (foundAll.matches.length !== Math.min(500, foundAll.total) || foundAll.offset !== foundAll.total - foundAll.matches.length) throw new Error(`find_all returned a wrong page: ${foundAll.matches.length} matches at ${foundAll.offset} of ${foundAll.total}`);
    // Bundled like open_tail's child: the store as the app ships it.
    const jumpScript = await jumpBundle(join(dataDir, 'bench-bundle'));
    const jumpRuns = measureJumps(dataDir, fixture.chatId, targets.jumpId, args.children, jumpScript);
    const jumps = jumpRuns.runs;
    log(args.messages >= 1_000_000 ? 'jump_1m: this chat' : 'jump_1m: building a 1,000,000-message chat (~20 s), then a cold jump + fresh child processes');
    const jump1m = await measureJump1m(root, args.children, jumpScript, args.messages >= 1_000_000 ? { dataDir, chatId: fixture.chatId, path: fixture.path } : undefined);

    log('prompt build: the next request with a 200-entry lorebook, 1 warm-up + 9 runs, each beside one without a lorebook');
    const promptBuild = await measurePromptBuild(dataDir, fixture.chatId, 9);
    log('send to first token: the browser host as a process, demo provider at pace 0, 3 warm-ups + 20 sends');
    const firstTokenRuns = await measureFirstToken(20, 3);
    const firstToken = summarizeFirstToken(firstTokenRuns);

    // Last, so its 50 MB writes and frees do not disturb the small-I/O measurements above.
    log(`rewrite baseline: 1 warm-up + ${args.rewrites} runs`);
    const rewrites = await measureRewrites(fixture.path, args.rewrites);
    log(`branch: Branch from here at the newest message, 1 warm-up + ${args.rewrites} runs`);
    const branches = await measureBranch({ dataDir, chatId: fixture.chatId, characterId: fixture.characterId, runs: args.rewrites });
    log(`sync merge: a conflict copy of the big chat (${DIVERGENT} messages each side) merged into it, 1 warm-up + ${args.rewrites} runs`);
    const merges = await measureSyncMerge({ root, chatPath: fixture.path, chatId: fixture.chatId, characterId: fixture.characterId, runs: args.rewrites });

    log('stream: a simulated 60 s stream of 10,000 chunks, 1,000 draft updates, then real SIGKILLs mid-stream');
    const sim = await simulatedStream();
    const coalesce = await draftCoalesce();
    const kill = await killLoss(args.kills);
    if (kill.problems.length) throw new Error(`stream kill loop found problems: ${kill.problems.slice(0, 3).join('; ')}`);
    const importN = Math.min(args.messages, 100_000);
    log(`import: a ${importN.toLocaleString('en-US')}-message SillyTavern chat, 1 warm-up + 3 runs`);
    const imports = await measureImport(root, importN, 3);
    log(`import through the CLI: the same size, process start to exit, 1 warm-up + 3 runs`);
    const cliImports = measureCliImport(root, importN, 3);
    // At --messages 1000000 it must be measured; in a default run it is, if it fits in 90 s here.
    const bigTimeoutMs = args.messages >= 1_000_000 ? 30 * 60_000 : 90_000;
    log(`import: a 1,000,000-message SillyTavern chat in a fresh process (peak RSS), at most ${(bigTimeoutMs / 1000).toFixed(0)} s`);
    const big = await measureBigImport(root, 1_000_000, bigTimeoutMs);
    log('import stall: a 20 MiB chat file of tiny lines and an 8 MiB card imported at once over the binding, in a process of its own');
    const stall = measureImportStallInChild(root);

    log('chat index: a 10,000-chat library (100 characters × 100 chats), rebuilt, opened and listed; the big chat listed');
    const idx = await indexBench(root, { dataDir, characterId: fixture.characterId, messages: args.messages });
    if (idx.problems.length) throw new Error(`index bench found problems: ${idx.problems.slice(0, 3).join('; ')}`);
    log('watcher: 20 outside appends to a chat file, each until its chat:changed (external)');
    const seen = await externalEditSeen(20);
    log('rich text: a 1,000,000-character hostile message tokenized, 1 warm-up + 5 runs; the old tokenizer on 30,000 characters');
    const rich = measureRichText(5);
    log('library search: a 10,000-chat, 1,000,000-message library indexed (SQLite FTS5), searched, appended to');
    const lib = await searchBench(root, log);
    if (lib.problems.length) throw new Error(`search bench found problems: ${lib.problems.slice(0, 3).join('; ')}`);
    log('sync: two computers over two Syncthing instances on loopback, 20 appends on A until B shows each');
    const converge = await measureSyncConverge(20);

    const finalBytes = (await fsp.stat(fixture.path)).size;
    const appendP50 = median(appends.append);
    const floorP50 = median(appends.floor);
    const keepP50 = median(appends.floorKeepOpen);
    const rewriteMs = median(rewrites.ms);
    const branchMs = median(branches.ms);
    const mergeMs = median(merges.ms);
    const rewriteIoMs = median(rewrites.ioMs);
    const editAll = [...edits.edit, ...edits.swipe];
    const editP50 = median(editAll);
    const openTail = median(children.map((c) => c.open_tail_ms));
    const rss = median(children.map((c) => c.max_rss_mb));
    const rssMax = Math.max(...children.map((c) => c.max_rss_mb));
    const fullParseMs = median(parses);
    const lineAvg = appends.lineBytes.reduce((a, b) => a + b, 0) / appends.lineBytes.length;
    const ms = (x: number) => `${x.toFixed(3)} ms`;
    const findMs = median(finds);
    const findAllMs = median(findAll);
    const jump1mMs = 'skipped' in jump1m ? null : median(jump1m.runs.map((j) => j.jump_ms));
    const jumpMs = median(jumps.map((j) => j.jump_ms));

    const rows: Row[] = [
      { metric: 'append_p50_ms', value: ms(appendP50), goal: '≤ 2', pass: appendP50 <= 2, note: `store.appendMessage, resolves after fdatasync; n=${appends.append.length}, p95 ${ms(quantile(appends.append, 0.95))}, max ${ms(Math.max(...appends.append))}` },
      { metric: 'fsync_floor_ms', value: ms(floorP50), goal: '', pass: null, note: `raw appendFile equivalent: open('a') + write + fdatasync + close of the same ${lineAvg.toFixed(0)}-byte lines, same dir, interleaved; p95 ${ms(quantile(appends.floor, 0.95))}` },
      { metric: 'fsync_floor_keepopen_ms', value: ms(keepP50), goal: '', pass: null, note: `raw write + fdatasync on an fd kept open (the store's own pattern); p95 ${ms(quantile(appends.floorKeepOpen, 0.95))}` },
      { metric: 'append_overhead', value: (appendP50 / floorP50).toFixed(2), goal: '≤ 1.5', pass: appendP50 / floorP50 <= 1.5, note: `append_p50 / fsync_floor, with the operations log on; vs keep-open floor: ${(appendP50 / keepP50).toFixed(2)}` },
      { metric: 'doctor_100k_ms', value: ms(median(doctorRuns)), goal: '', pass: null, note: `store.validateChat of the whole ${args.messages.toLocaleString('en-US')}-message chat (read, UTF-8 check, zod per line, duplicate/orphan checks), median of 3: ${doctorRuns.map((x) => x.toFixed(0)).join(', ')}` },
      { metric: 'rewrite_baseline_ms', value: ms(rewriteMs), goal: '', pass: null, note: `serialise the in-memory chat + write-file-atomic {fsync:true} + dir fsync of the whole ${(rewrites.bytes / 1e6).toFixed(1)} MB chat, 1 warm-up, median of ${rewrites.ms.length}: ${rewrites.ms.map((x) => x.toFixed(0)).join(', ')}` },
      { metric: 'branch_100k_ms', value: ms(branchMs), goal: `≤ ${rewriteMs.toFixed(0)}`, pass: branchMs <= rewriteMs, note: `store.branchChat at the newest message (${branches.messages.toLocaleString('en-US')} messages copied: read, scan, one atomic verified write), warm store, 1 warm-up, median of ${branches.ms.length}: ${branches.ms.map((x) => x.toFixed(0)).join(', ')}; goal: rewrite_baseline_ms of this run` },
      { metric: 'sync_merge_100k_ms', value: ms(mergeMs), goal: `≤ ${rewriteMs.toFixed(0)}`, pass: mergeMs <= rewriteMs, note: `a conflict copy merged into the chat as the watcher does it (store.discoverChat: the chat read, the copy compared with it and its own bytes read, merged, the old file hard-linked into backups, one atomic verified write, the copy moved into backups, the summary counted by the merge): ${DIVERGENT.toLocaleString('en-US')} messages each side, ${merges.messages.toLocaleString('en-US')} after, warm store, 1 warm-up, median of ${merges.ms.length}: ${merges.ms.map((x) => x.toFixed(0)).join(', ')}; ratio to rewrite_baseline_ms of this run: ${(mergeMs / rewriteMs).toFixed(2)}` },
      { metric: 'rewrite_io_only_ms', value: ms(rewriteIoMs), goal: '', pass: null, note: `the I/O part of the same rewrites (no serialising): ${rewrites.ioMs.map((x) => x.toFixed(0)).join(', ')}; ratio to append_p50: ${(rewriteIoMs / appendP50).toFixed(0)}×` },
      { metric: 'append_speedup', value: `${(rewriteMs / appendP50).toFixed(0)}×`, goal: '≥ 500', pass: rewriteMs / appendP50 >= 500, note: 'rewrite_baseline / append_p50' },
      { metric: 'edit_last_p50_ms', value: ms(editP50), goal: '≤ 5', pass: editP50 <= 5, note: `updateMessage of the last message, alternating content edit / addSwipe; n=${editAll.length}; edit p50 ${ms(median(edits.edit))}, swipe p50 ${ms(median(edits.swipe))}, p95 ${ms(quantile(editAll, 0.95))}` },
      { metric: 'open_tail_ms', value: ms(openTail), goal: '≤ 50', pass: openTail <= 50, note: `fresh process, openChatStore → loadChat(limit 50), imports done first; median of ${children.length}: ${children.map((c) => c.open_tail_ms.toFixed(1)).join(', ')} (open ${ms(median(children.map((c) => c.open_ms)))}, load ${ms(median(children.map((c) => c.load_ms)))})` },
      { metric: 'open_tail_rss_mb', value: `${rss.toFixed(1)} MB`, goal: '≤ 100', pass: rss <= 100, note: `peak RSS of that process (VmHWM), median; max ${rssMax.toFixed(1)} MB; ${median(children.map((c) => c.rss_before_open_mb)).toFixed(1)} MB before opening; run from the .ts sources: ${fromSource.max_rss_mb.toFixed(1)} MB (${fromSource.rss_before_open_mb.toFixed(1)} before opening), ${fromSource.open_tail_ms.toFixed(1)} ms` },
      { metric: 'full_parse_baseline_ms', value: ms(fullParseMs), goal: '', pass: null, note: `readFile + JSON.parse of all ${parsedLines.toLocaleString('en-US')} lines, in-process, median of 3: ${parses.map((x) => x.toFixed(0)).join(', ')}` },
      { metric: 'find_100k_ms', value: ms(findMs), goal: `≤ ${fullParseMs.toFixed(0)}`, pass: findMs <= fullParseMs, note: `store.searchChat("${targets.phrase}") over the whole chat (${found.total} match(es)), in-process, median of 3: ${finds.map((x) => x.toFixed(0)).join(', ')}; goal: full_parse_baseline_ms of this run` },
      { metric: 'find_all_100k_ms', value: ms(findAllMs), goal: `≤ ${fullParseMs.toFixed(0)}`, pass: findAllMs <= fullParseMs && foundAll.total >= 20_000, note: `store.searchChat("${FIND_ALL_WORD}"): all ${foundAll.total.toLocaleString('en-US')} matches counted (goal ≥ 20,000), the newest page of ${foundAll.matches.length} with snippets, in-process, median of 3: ${findAll.map((x) => x.toFixed(0)).join(', ')}; goal: full_parse_baseline_ms of this run` },
      { metric: 'jump_100k_ms', value: ms(jumpMs), goal: '≤ 20', pass: jumpMs <= 20, note: `fresh process, openChatStore → loadChat({ around: a message 90,000 back, limit 50 }) through the position index (${jumpRuns.index_mb.toFixed(1)} MB), imports done first; median of ${jumps.length}: ${jumps.map((j) => j.jump_ms.toFixed(1)).join(', ')} (open ${ms(median(jumps.map((j) => j.open_ms)))}, load ${ms(median(jumps.map((j) => j.load_ms)))}); peak RSS ${median(jumps.map((j) => j.max_rss_mb)).toFixed(1)} MB; the first jump, without an index (it scans the file and saves one): ${ms(jumpRuns.cold.jump_ms)}` },
      'skipped' in jump1m
        ? { metric: 'jump_1m_ms', value: 'null', goal: '≤ 20', pass: null, note: `not measured: ${jump1m.skipped}` }
        : { metric: 'jump_1m_ms', value: ms(jump1mMs!), goal: '≤ 20', pass: jump1mMs! <= 20, note: `as jump_100k_ms, on a 1,000,000-message chat${args.messages >= 1_000_000 ? '' : ` built for it in ${(jump1m.build_ms / 1000).toFixed(1)} s`}, a message 900,000 back; index ${jump1m.index_mb.toFixed(1)} MB; median of ${jump1m.runs.length}: ${jump1m.runs.map((j) => j.jump_ms.toFixed(1)).join(', ')} (open ${ms(median(jump1m.runs.map((j) => j.open_ms)))}, load ${ms(median(jump1m.runs.map((j) => j.load_ms)))}); peak RSS ${median(jump1m.runs.map((j) => j.max_rss_mb)).toFixed(1)} MB; cold (no index): ${ms(jump1m.cold.jump_ms)}` },
      { metric: 'stream_writes', value: String(sim.writes), goal: '≤ 61', pass: sim.writes <= 61, note: 'durable writes of one simulated 60 s, 10,000-chunk reply at the default 1000 ms autosave interval (injected clock): first text, checkpoints, final status' },
      { metric: 'stream_bytes_ratio', value: sim.bytesRatio.toFixed(2), goal: '≤ 3', pass: sim.bytesRatio <= 3, note: `${sim.fileBytes} bytes added to the chat file for a ${sim.replyBytes}-byte reply (append_text writes only new text)` },
      { metric: 'stream_loss_ms_max', value: `${kill.worstMs.toFixed(1)} ms`, goal: '≤ 1000', pass: kill.worstMs <= 1000, note: `worst (kill time − emit time of the first chunk not on disk) over ${kill.rounds} real SIGKILLs of a streaming child at the default interval` },
      { metric: 'list_chats_10k_ms', value: ms(idx.list_chats_10k_ms), goal: '≤ 5', pass: idx.list_chats_10k_ms <= 5, note: `one character's 100 chats of 10,000, warm, from the index (one stat per chat), median of 50; without an index: ${ms(idx.list_chats_10k_noindex_ms)}` },
      { metric: 'list_all_10k_ms', value: ms(idx.list_all_10k_ms), goal: '≤ 50', pass: idx.list_all_10k_ms <= 50, note: `listAllChats, all 10,000, warm, median of 10; without an index (every file read): ${ms(idx.list_all_10k_noindex_ms)}` },
      { metric: 'list_big_chat_ms', value: ms(idx.list_big_chat_ms), goal: '≤ 5', pass: idx.list_big_chat_ms <= 5, note: `first listChats after opening, the character whose one chat holds ${args.messages.toLocaleString('en-US')} messages; without an index: ${ms(idx.list_big_chat_noindex_ms)}` },
      { metric: 'startup_10k_ms', value: ms(idx.startup_10k_ms), goal: '≤ 500', pass: idx.startup_10k_ms <= 500, note: `openChatStore with a valid index (lock, discovery, one stat per chat) until the chats watcher is ready, median of 3 (the store alone: ${ms(idx.startup_10k_store_ms)}); with no index.json: ${ms(idx.startup_10k_noindex_ms)} (then indexed in the background)` },
      { metric: 'index_rebuild_10k_ms', value: ms(idx.index_rebuild_10k_ms), goal: '', pass: null, note: `open with no index.json → onIndexProgress ready (8 chats at a time); index.json ${idx.index_json_mb.toFixed(1)} MB` },
      { metric: 'external_edit_seen_ms', value: `${seen.p50.toFixed(1)} ms`, goal: '≤ 2000', pass: seen.max <= 2000, note: `outside appendFile → chat:changed {source: 'external'} via chokidar, settle delay (100 ms) and re-read; n=${seen.samples.length}, max ${seen.max.toFixed(1)} ms` },
      { metric: 'richtext_1m_ms', value: ms(rich.ms_1m), goal: '≤ 100', pass: rich.ms_1m <= 100, note: `tokenize a 1,000,000-character hostile message (unclosed quotes and asterisks), median of 5: ${rich.runs_1m.map((x) => x.toFixed(1)).join(', ')}; 30,000 such characters: old tokenizer ${ms(rich.old_30k_ms)}, today's ${ms(rich.new_30k_ms)} (${rich.speedup_30k.toFixed(0)}× faster)` },
      { metric: 'prompt_build_100k_ms', value: ms(promptBuild.ms), goal: '≤ 50', pass: promptBuild.ms <= 50, note: `the next request (assemblePrompt: pages read back to fill ${promptBuild.context_tokens.toLocaleString('en-US')} context tokens, ${promptBuild.history_sent} messages sent, ${promptBuild.lore_sent} of 200 lorebook entries active), median of 9; without a lorebook ${ms(promptBuild.baseline_ms)} (ratio ${(promptBuild.ms / promptBuild.baseline_ms).toFixed(2)})` },
      { metric: 'send_to_first_token_ms', value: ms(firstToken.send_to_first_token_ms), goal: '', pass: null, note: `Send → first stream:chunk through the browser host (own process, demo provider at pace 0, WebSocket client doing what the composer does), median of ${firstTokenRuns.ms.length}, max ${ms(firstToken.send_to_first_token_max_ms)}; a do-nothing call's round trip: ${ms(firstToken.ws_roundtrip_ms)}` },
      { metric: 'edit_coalesce_writes', value: String(coalesce), goal: '= 1', pass: coalesce === 1, note: 'drafts.json writes caused by 1,000 draft updates within one interval' },
    ];
    const importMs = median(imports.import_ms);
    const bigOk = 'import_ms' in big ? big : null;
    // The ratio compares an import with the baselines of a chat of the same size: the fixture's.
    const ratioImportMs = args.messages >= 1_000_000 ? (bigOk?.import_ms ?? NaN) : importMs;
    const importRatio = ratioImportMs / (fullParseMs + rewriteMs);
    const cliMs = median(cliImports.cli_ms);
    const cliRatio = cliMs / importMs;
    const bigWhy = 'error' in big ? big.error : '';
    const importRows: Row[] = [
      { metric: 'import_100k_ms', value: ms(importMs), goal: '', pass: null, note: `importPath of a ${imports.source_mb.toFixed(1)} MB SillyTavern chat (${imports.messages.toLocaleString('en-US')} messages): read in blocks, hash, parse, map, zod-validate, written to a temp file, verified, renamed; fresh data dir each run, 1 warm-up, median of ${imports.import_ms.length}: ${imports.import_ms.map((x) => x.toFixed(0)).join(', ')}` },
      { metric: 'import_ratio', value: Number.isNaN(importRatio) ? 'null' : importRatio.toFixed(2), goal: '≤ 2', pass: Number.isNaN(importRatio) ? false : importRatio <= 2, note: `${args.messages >= 1_000_000 ? 'import_1m_ms' : 'import_100k_ms'} / (full_parse_baseline_ms + rewrite_baseline_ms) of the ${args.messages.toLocaleString('en-US')}-message fixture, same run` },
      { metric: 'import_1m_ms', value: bigOk ? ms(bigOk.import_ms) : 'null', goal: '', pass: null, note: bigOk ? `importPath of a ${bigOk.source_mb.toFixed(0)} MB, 1,000,000-message SillyTavern chat, fresh process set up as the CLI is (modules loaded and store opened first), 1 run; ${(bigOk.import_ms / (10 * importMs)).toFixed(2)}× ten 100k imports (source generated in ${(bigOk.gen_ms / 1000).toFixed(0)} s)` : `not measured: ${bigWhy}` },
      { metric: 'import_1m_rss_mb', value: bigOk ? `${bigOk.max_rss_mb.toFixed(0)} MB` : 'null', goal: '≤ 256', pass: bigOk ? bigOk.max_rss_mb <= 256 : null, note: bigOk ? `peak RSS (VmHWM) of that process; ${bigOk.rss_before_mb.toFixed(0)} MB before the import (node, type stripping, modules, store)` : `not measured: ${bigWhy}` },
      { metric: 'import_cli_100k_ms', value: ms(cliMs), goal: `≤ ${ms(1.5 * importMs)}`, pass: cliRatio <= 1.5, note: `node electron/entry/cli.mjs import (npm run cli; ${imports.messages.toLocaleString('en-US')} messages, --character), process start to exit, fresh data dir, 1 warm-up (fills Node's compile cache) + median of ${cliImports.cli_ms.length}: ${cliImports.cli_ms.map((x) => x.toFixed(0)).join(', ')}; ${cliRatio.toFixed(2)}× import_100k_ms` },
      { metric: 'import_stall_max_ms', value: ms(stall.import_stall_max_ms), goal: '≤ 100', pass: stall.import_stall_max_ms <= 100, note: `longest event-loop stall (1 ms ticker / monitorEventLoopDelay) while a ${stall.chat_mb.toFixed(1)} MB chat of tiny lines and a ${stall.card_mb.toFixed(1)} MB card are imported at once over the binding, in a process of its own (${ms(stall.import_stall_total_ms)} in all); most CPU in one turn ${ms(stall.import_turn_cpu_max_ms)}; peak RSS ${stall.rss_max_mb.toFixed(0)} MB` },
    ];
    const searchRows: Row[] = [
      { metric: 'search_library_ms', value: ms(lib.search_library_ms), goal: '≤ 50', pass: lib.search_library_ms <= 50, note: `library search for a word in ${lib.search_library_chats} of ${lib.chats.toLocaleString('en-US')} chats (${lib.messages.toLocaleString('en-US')} messages, ${lib.library_mb.toFixed(0)} MB), 3 snippets each, warm, median of 20; without the index (every file read and scanned): ${ms(lib.search_scan_baseline_ms)}, ${(lib.search_scan_baseline_ms / lib.search_library_ms).toFixed(0)}× slower` },
      { metric: 'search_update_ms', value: ms(lib.search_update_ms), goal: '≤ 5', pass: lib.search_update_ms <= 5, note: `one append made searchable (ack → indexed), median of 40, max ${ms(lib.search_update_max_ms)}; the append itself ${ms(lib.search_append_ms)}: ${lib.search_append_overhead.toFixed(2)}× a bare fdatasync'd append interleaved with it, ${lib.search_append_overhead_closed.toFixed(2)}× with the index closed` },
      { metric: 'search_index_build_ms', value: ms(lib.search_index_build_ms), goal: '', pass: null, note: `the whole library indexed from nothing (the store's own index ready first); reopened unchanged: checked in ${ms(lib.search_startup_check_ms)}` },
      { metric: 'search_index_mb', value: `${lib.search_index_mb.toFixed(0)} MB`, goal: '', pass: null, note: `the index file after the build (text stored once, with the FTS5 index), for ${lib.library_mb.toFixed(0)} MB of chat files` },
    ];
    console.log('');
    printTable(
      `CardShark store bench: ${args.messages.toLocaleString('en-US')} messages, ${fileMb.toFixed(1)} MB (built in ${buildMs.toFixed(0)} ms; ${(finalBytes / 1e6).toFixed(1)} MB after the run), node ${process.version}, ${root}`,
      [...rows, ...importRows, ...searchRows, syncConvergeRow(converge)],
    );
    const failed = [...rows, ...importRows, ...searchRows].filter((r) => r.pass === false).map((r) => r.metric);
    console.log(failed.length ? `goals missed: ${failed.join(', ')}` : 'all goals met');
    console.log('');

    const result = {
      messages: args.messages,
      file_mb: round(fileMb, 2),
      samples: args.samples,
      append_p50_ms: round(appendP50),
      append_p95_ms: round(quantile(appends.append, 0.95)),
      rewrite_baseline_ms: round(rewriteMs, 2),
      rewrite_io_only_ms: round(rewriteIoMs, 2),
      branch_100k_ms: round(branchMs, 1),
      sync_merge_100k_ms: round(mergeMs, 1),
      sync_merge_ratio: round(mergeMs / rewriteMs, 2),
      append_speedup: round(rewriteMs / appendP50, 1),
      fsync_floor_ms: round(floorP50),
      fsync_floor_p95_ms: round(quantile(appends.floor, 0.95)),
      fsync_floor_keepopen_ms: round(keepP50),
      append_overhead: round(appendP50 / floorP50, 2),
      append_overhead_keepopen: round(appendP50 / keepP50, 2),
      edit_last_p50_ms: round(editP50),
      edit_last_p95_ms: round(quantile(editAll, 0.95)),
      open_tail_ms: round(openTail, 2),
      open_tail_rss_mb: round(rss, 1),
      open_tail_rss_source_mb: round(fromSource.max_rss_mb, 1),
      full_parse_baseline_ms: round(fullParseMs, 1),
      doctor_100k_ms: round(median(doctorRuns), 1),
      stream_writes: sim.writes,
      stream_bytes_ratio: round(sim.bytesRatio, 2),
      stream_loss_ms_max: round(kill.worstMs, 1),
      edit_coalesce_writes: coalesce,
      import_100k_ms: round(importMs, 1),
      import_ratio: Number.isNaN(importRatio) ? null : round(importRatio, 2),
      import_1m_ms: bigOk ? round(bigOk.import_ms, 0) : null,
      import_1m_rss_mb: bigOk ? round(bigOk.max_rss_mb, 1) : null,
      import_1m_null_reason: bigOk ? null : bigWhy,
      import_cli_100k_ms: round(cliMs, 0),
      import_cli_ratio: round(cliRatio, 2),
      import_stall_max_ms: round(stall.import_stall_max_ms, 1),
      import_turn_cpu_max_ms: round(stall.import_turn_cpu_max_ms, 1),
      find_100k_ms: round(findMs, 1),
      find_100k_total: found.total,
      jump_100k_ms: round(jumpMs, 2),
      jump_100k_rss_mb: round(median(jumps.map((j) => j.max_rss_mb)), 1),
      jump_100k_cold_ms: round(jumpRuns.cold.jump_ms, 1),
      jump_1m_ms: jump1mMs === null ? null : round(jump1mMs, 2),
      jump_1m_cold_ms: 'skipped' in jump1m ? null : round(jump1m.cold.jump_ms, 1),
      jump_1m_skipped: 'skipped' in jump1m ? jump1m.skipped : null,
      find_all_100k_ms: round(findAllMs, 1),
      find_all_100k_total: foundAll.total,
      list_chats_10k_ms: round(idx.list_chats_10k_ms),
      list_chats_10k_noindex_ms: round(idx.list_chats_10k_noindex_ms, 1),
      list_all_10k_ms: round(idx.list_all_10k_ms),
      list_all_10k_noindex_ms: round(idx.list_all_10k_noindex_ms, 0),
      list_big_chat_ms: round(idx.list_big_chat_ms),
      list_big_chat_noindex_ms: round(idx.list_big_chat_noindex_ms, 1),
      startup_10k_ms: round(idx.startup_10k_ms, 1),
      startup_10k_store_ms: round(idx.startup_10k_store_ms, 1),
      startup_10k_noindex_ms: round(idx.startup_10k_noindex_ms, 1),
      index_rebuild_10k_ms: round(idx.index_rebuild_10k_ms, 0),
      external_edit_seen_p50_ms: round(seen.p50, 1),
      external_edit_seen_max_ms: round(seen.max, 1),
      richtext_1m_ms: round(rich.ms_1m, 1),
      richtext_old_30k_ms: round(rich.old_30k_ms, 1),
      richtext_new_30k_ms: round(rich.new_30k_ms, 2),
      richtext_speedup_30k: round(rich.speedup_30k, 0),
      search_library_ms: round(lib.search_library_ms, 2),
      search_scan_baseline_ms: round(lib.search_scan_baseline_ms, 0),
      search_update_ms: round(lib.search_update_ms, 2),
      search_update_max_ms: round(lib.search_update_max_ms, 1),
      search_append_overhead: round(lib.search_append_overhead, 2),
      search_append_overhead_closed: round(lib.search_append_overhead_closed, 2),
      search_index_build_ms: round(lib.search_index_build_ms, 0),
      search_index_mb: round(lib.search_index_mb, 1),
      search_startup_check_ms: round(lib.search_startup_check_ms, 0),
      prompt_build_100k_ms: round(promptBuild.ms, 1),
      prompt_build_baseline_ms: round(promptBuild.baseline_ms, 1),
      prompt_build_ratio: round(promptBuild.ms / promptBuild.baseline_ms, 2),
      ...firstToken,
      ...syncConvergeKeys(converge),
      goals_met: failed.length === 0,
    };
    console.log(JSON.stringify(result));
  } finally {
    if (store) await store.close().catch(() => {});
    if (args.keep) log(`kept ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

await main();

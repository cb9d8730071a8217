// Library search benchmarks (issue 16 §3), run by bench.ts (or alone: node test/bench/search-bench.ts [dir]):
//   on a library of 10,000 chats (100 characters × 100 chats) holding 1,000,000 messages, a rare
//   word planted in one message of each of 100 chats:
//   search_index_build_ms   openLibrarySearch on that library (the store already indexed) until whenReady:
//                           every chat read and written into the FTS5 index
//   search_index_mb         the index file (with its WAL) after the build
//   search_library_ms       warm searchLibrary for the rare word (100 chats, 3 snippets each), median of 20;
//                           baseline in the same run: search_scan_baseline_ms, every chat file read and
//                           scanned (what a search costs without the index)
//   search_update_ms        one append made searchable: from the append's ack until the index holds it, median of 20
//   search_append_overhead  append latency (to its ack) with the library search following the store / a bare
//                           fdatasync'd append of the same line, interleaved; search_append_overhead_closed: the same
//                           with the index closed, in the same run (the baseline)
//   search_startup_check_ms reopening the index on the unchanged library until it has checked every chat
import * as fs from 'node:fs';
import { join } from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import { librarySearchFile, openLibrarySearch } from '../../electron/library-search/index.ts';
import { prng, roleplayText } from '../fixtures/big-chat.ts';

const CHARACTERS = 100;
const CHATS_PER_CHARACTER = 100;
const MESSAGES_PER_CHAT = 100;
/** The word searched for: in one message of every 100th chat. */
const RARE = 'quicksilver';

export interface SearchBenchResult {
  chats: number;
  messages: number;
  library_mb: number;
  search_index_build_ms: number;
  search_index_mb: number;
  search_library_ms: number;
  search_library_chats: number;
  search_scan_baseline_ms: number;
  search_update_ms: number;
  search_update_max_ms: number;
  search_append_ms: number;
  search_append_overhead: number;
  search_append_overhead_closed: number;
  search_startup_check_ms: number;
  problems: string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** Writes the library in the chat format (no fsync: a fixture). Texts from a seeded generator. */
function buildLibrary(dataDir: string, characters: number): { chats: number; messages: number; bytes: number } {
  const rand = prng(16);
  const t0 = Date.UTC(2025, 0, 1);
  let n = 0;
  let messages = 0;
  let bytes = 0;
  for (let c = 0; c < characters; c++) {
    const ch = `char-${String(c).padStart(3, '0')}`;
    const dir = join(dataDir, 'chats', ch);
    fs.mkdirSync(dir, { recursive: true });
    for (let k = 0; k < CHATS_PER_CHARACTER; k++, n++) {
      const chatId = uuid(n);
      const lines = [JSON.stringify({ format: 'cardshark-chat', version: 1, chat_id: chatId, character_id: ch, timestamp: t0 + n * 1000, title: `Chat ${k} of ${ch}`, metadata: {} })];
      for (let i = 0; i < MESSAGES_PER_CHAT; i++, messages++) {
        let content = roleplayText(rand, 60 + Math.floor(rand() * 120));
        if (n % 100 === 0 && i === 37) content += ` The vial held ${RARE}.`;
        lines.push(JSON.stringify({ id: `m${i}`, role: i % 2 ? 'assistant' : 'user', content, timestamp: t0 + n * 1000 + i + 1 }));
      }
      const text = lines.join('\n') + '\n';
      bytes += text.length;
      fs.writeFileSync(join(dir, `${chatId}.jsonl`), text);
    }
  }
  return { chats: n, messages, bytes };
}

/** A bare append of a message line of the same text: open('a'), write, fdatasync, close (ms). */
function bareAppend(file: string, content: string): number {
  const s = performance.now();
  const fd = fs.openSync(file, 'a');
  fs.writeSync(fd, `${JSON.stringify({ id: 'f', role: 'user', content, timestamp: Date.now() })}\n`);
  fs.fdatasyncSync(fd);
  fs.closeSync(fd);
  return performance.now() - s;
}

/** The search without an index: every chat file read, every message parsed and its text scanned. */
function scanBaseline(dataDir: string): { ms: number; chats: number } {
  const t = performance.now();
  let chats = 0;
  const chatsDir = join(dataDir, 'chats');
  for (const ch of fs.readdirSync(chatsDir)) {
    for (const f of fs.readdirSync(join(chatsDir, ch))) {
      const lines = fs.readFileSync(join(chatsDir, ch, f), 'utf8').split('\n');
      let hit = false;
      for (let i = 1; i < lines.length; i++) {
        if (!lines[i]) continue;
        const r = JSON.parse(lines[i]!) as { content?: string };
        if (typeof r.content === 'string' && r.content.toLowerCase().includes(RARE)) hit = true;
      }
      if (hit) chats++;
    }
  }
  return { ms: performance.now() - t, chats };
}

function fileMb(path: string): number {
  let size = 0;
  for (const p of [path, `${path}-wal`]) size += fs.statSync(p, { throwIfNoEntry: false })?.size ?? 0;
  return size / 1e6;
}

export async function searchBench(root: string, log: (s: string) => void = () => {}, characters = CHARACTERS): Promise<SearchBenchResult> {
  const problems: string[] = [];
  const dataDir = join(root, 'search-library');
  fs.rmSync(dataDir, { recursive: true, force: true });
  let t = performance.now();
  const lib = buildLibrary(dataDir, characters);
  log(`  library: ${lib.chats.toLocaleString('en-US')} chats, ${lib.messages.toLocaleString('en-US')} messages, ${(lib.bytes / 1e6).toFixed(0)} MB, written in ${(performance.now() - t).toFixed(0)} ms`);

  const store = await openChatStore({ dataDir });
  try {
    t = performance.now();
    await store.whenIndexed(); // the store's own chat index first: the build below is the search index alone
    log(`  store indexed in ${(performance.now() - t).toFixed(0)} ms`);

    t = performance.now();
    let search = openLibrarySearch({ store });
    await search.whenReady();
    const buildMs = performance.now() - t;
    const indexMb = fileMb(librarySearchFile(dataDir));
    log(`  search index built in ${buildMs.toFixed(0)} ms, ${indexMb.toFixed(0)} MB`);

    const runs: number[] = [];
    let found = 0;
    for (let i = 0; i < 23; i++) {
      const s = performance.now();
      const r = await search.search(RARE, { chats: 100 });
      if (i >= 3) runs.push(performance.now() - s); // 3 warm-ups
      found = r.chats.length;
    }
    if (found !== lib.chats / 100) problems.push(`search found ${found} chats, not ${lib.chats / 100}`);
    const scan = scanBaseline(dataDir);
    if (scan.chats !== found) problems.push(`the scan found ${scan.chats} chats, the index ${found}`);

    // One append made searchable, and what following the store costs an append: each append is
    // measured next to a bare fdatasync'd append of the same size in the same folder (interleaved,
    // so the disk's drift hits both), as append_overhead is in bench.ts, where no index follows the store.
    const chatId = uuid(Math.floor(lib.chats / 2) + 42);
    const floorFile = join(dataDir, 'floor.jsonl');
    const appends: number[] = [];
    const floors: number[] = [];
    const updates: number[] = [];
    for (let i = 0; i < 43; i++) {
      const word = `zephyrword${i}x`;
      const content = `A new line with ${word} in it.`;
      const floor = bareAppend(floorFile, content);
      const s = performance.now();
      await store.appendMessage(chatId, { role: 'user', content });
      const acked = performance.now();
      await search.whenIdle();
      const indexed = performance.now();
      if (i >= 3) {
        floors.push(floor);
        appends.push(acked - s);
        updates.push(indexed - acked);
      }
      if ((await search.search(word)).chats[0]?.chatId !== chatId) problems.push(`appended ${word} not found`);
    }
    await search.close();
    // The same without the index following (it is closed): the baseline of the run. These appends
    // are caught up when it opens again (below).
    const appendsClosed: number[] = [];
    const floorsClosed: number[] = [];
    for (let i = 0; i < 43; i++) {
      const content = `A new line with zephyrless${i} in it.`;
      const floor = bareAppend(floorFile, content);
      const s = performance.now();
      await store.appendMessage(chatId, { role: 'user', content });
      if (i >= 3) {
        floorsClosed.push(floor);
        appendsClosed.push(performance.now() - s);
      }
    }

    // Reopened on the library as it is (the 20 appends above came while it was closed: caught up).
    t = performance.now();
    search = openLibrarySearch({ store });
    await search.whenReady();
    const startupMs = performance.now() - t;
    if ((await search.search('zephyrless42')).chats.length !== 1) problems.push('an append made while the index was closed was not caught up');
    await search.close();

    return {
      chats: lib.chats,
      messages: lib.messages,
      library_mb: lib.bytes / 1e6,
      search_index_build_ms: buildMs,
      search_index_mb: indexMb,
      search_library_ms: median(runs),
      search_library_chats: found,
      search_scan_baseline_ms: scan.ms,
      search_update_ms: median(updates),
      search_update_max_ms: Math.max(...updates),
      search_append_ms: median(appends),
      search_append_overhead: median(appends) / median(floors),
      search_append_overhead_closed: median(appendsClosed) / median(floorsClosed),
      search_startup_check_ms: startupMs,
      problems,
    };
  } finally {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const root = process.argv[2] ?? fs.mkdtempSync(join((await import('node:os')).tmpdir(), 'cardshark-search-bench-'));
  const r = await searchBench(root, console.log, Number(process.argv[3] ?? CHARACTERS));
  console.log(JSON.stringify(r));
}

// Chat index benchmarks (issue 8 §1), run by bench.ts:
//   index_rebuild_10k_ms   open a 10,000-chat library (100 characters × 100 small chats) with no
//                          index.json until the background indexing reports ready
//   startup_10k_ms         openChatStore on that library with a valid index (lock, discovery, index
//                          check: one stat per chat) until the chats folder's watcher is ready
//                          (chokidar's ready and the scan for unlisted files), median of 3;
//                          startup_10k_store_ms: the store alone
//   list_chats_10k_ms      one character's 100 chats, warm, median of 50
//   list_all_10k_ms        every chat (listAllChats), warm, median of 10
//   list_big_chat_ms       first listChats after opening the store, for the character whose one chat
//                          holds the big fixture (100,000 messages), served from the index
// Baselines in the same run: the same listings with no index.json (every summary computed from
// its file, which is what listing did before the index).
import * as fs from 'node:fs';
import { join } from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { startChatWatcher } from '../../electron/watcher/chat-watcher.ts';
import type { ConflictKeeper } from '../../electron/watcher/conflict-copy.ts';
import { Layout } from '../../electron/store/layout.ts';

const CHARACTERS = 100;
const CHATS_PER_CHARACTER = 100;
const MESSAGES_PER_CHAT = 6;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function uuid(n: number): string {
  const h = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8000-${h}`;
}

/** Writes the library directly in the chat format (no fsync: a benchmark fixture). */
export function buildLibrary(dataDir: string): { characters: string[]; chats: number } {
  const t0 = Date.UTC(2025, 0, 1);
  const characters: string[] = [];
  let n = 0;
  for (let c = 0; c < CHARACTERS; c++) {
    const ch = `char-${String(c).padStart(3, '0')}`;
    characters.push(ch);
    const dir = join(dataDir, 'chats', ch);
    fs.mkdirSync(dir, { recursive: true });
    for (let k = 0; k < CHATS_PER_CHARACTER; k++, n++) {
      const chatId = uuid(n);
      const lines = [JSON.stringify({ format: 'cardshark-chat', version: 1, chat_id: chatId, character_id: ch, timestamp: t0 + n * 1000, title: `Chat ${k} of ${ch}`, metadata: {} })];
      for (let i = 0; i < MESSAGES_PER_CHAT; i++) {
        lines.push(JSON.stringify({ id: `m${i}`, role: i % 2 ? 'assistant' : 'user', content: `Message ${i} of chat ${k}: a few words of small talk.`, timestamp: t0 + n * 1000 + i + 1 }));
      }
      fs.writeFileSync(join(dir, `${chatId}.jsonl`), lines.join('\n') + '\n');
    }
  }
  return { characters, chats: n };
}

export interface IndexBenchResult {
  index_rebuild_10k_ms: number;
  startup_10k_ms: number;
  startup_10k_store_ms: number;
  startup_10k_noindex_ms: number;
  list_chats_10k_ms: number;
  list_chats_10k_noindex_ms: number;
  list_all_10k_ms: number;
  list_all_10k_noindex_ms: number;
  list_big_chat_ms: number;
  list_big_chat_noindex_ms: number;
  index_json_mb: number;
  problems: string[];
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = performance.now();
  const v = await fn();
  return [performance.now() - t, v];
}

export async function indexBench(root: string, big: { dataDir: string; characterId: string; messages: number }): Promise<IndexBenchResult> {
  const problems: string[] = [];
  const dataDir = join(root, 'library');
  const { characters, chats } = buildLibrary(dataDir);
  const indexFile = new Layout(dataDir).indexFile;
  const probe = characters[CHARACTERS / 2]!;

  // Baselines without an index: the store opens, and a listing computes summaries from the files.
  let store: ChatStore;
  const [startupNoIndex, s0] = await timed(() => openChatStore({ dataDir, onIndexProgress: () => {} }));
  store = s0;
  const [listNoIndex, l0] = await timed(() => store.listChats(probe));
  if (l0.length !== CHATS_PER_CHARACTER) problems.push(`no-index listChats gave ${l0.length} chats`);
  // Every chat from its file (what listing everything cost before): listAllChats waits for the background indexing.
  const [allNoIndex] = await timed(() => store.listAllChats());
  await store.close();

  // Rebuild from scratch: open → ready, measured by the progress events.
  fs.rmSync(indexFile);
  let ready = 0;
  const t = performance.now();
  store = await openChatStore({ dataDir, onIndexProgress: (p) => p.ready && (ready = performance.now()) });
  await store.whenIndexed();
  const rebuild = (ready || performance.now()) - t;
  await store.close();
  if (!fs.existsSync(indexFile)) problems.push('no index.json after close');
  const indexMb = fs.statSync(indexFile).size / 1e6;

  // Start-up with a valid index.
  const startups: number[] = [];
  const storeStartups: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const s = await openChatStore({ dataDir });
    storeStartups.push(performance.now() - t0);
    // The watcher as services starts it (nothing streams here: generation and the keeper are idle).
    const watcher = startChatWatcher({
      chatsDir: join(dataDir, 'chats'),
      store: s,
      generation: { busy: () => false, abandon: async () => undefined },
      keeper: { keep: async () => undefined } as unknown as ConflictKeeper,
      emit: () => {},
      log: () => {},
    });
    await watcher.ready;
    startups.push(performance.now() - t0);
    await watcher.close();
    await s.whenIndexed();
    if (i < 2) await s.close();
    else store = s;
  }
  // Warm listings.
  await store.listChats(probe);
  const lists: number[] = [];
  for (let i = 0; i < 50; i++) {
    const [ms, l] = await timed(() => store.listChats(characters[i % CHARACTERS]!));
    lists.push(ms);
    if (l.length !== CHATS_PER_CHARACTER) problems.push(`listChats gave ${l.length} chats`);
  }
  await store.listAllChats();
  const alls: number[] = [];
  for (let i = 0; i < 10; i++) {
    const [ms, l] = await timed(() => store.listAllChats());
    alls.push(ms);
    if (l.length !== chats) problems.push(`listAllChats gave ${l.length} chats`);
  }
  await store.close();

  // The big chat: first listing after opening, with a valid index (made by one open → indexed →
  // close, since the bench rewrote the file meanwhile), then without one.
  {
    const s = await openChatStore({ dataDir: big.dataDir });
    await s.whenIndexed();
    await s.close();
  }
  const [bigMs, bigList] = await timed(async () => {
    const s = await openChatStore({ dataDir: big.dataDir });
    try {
      const t0 = performance.now();
      const l = await s.listChats(big.characterId);
      return [performance.now() - t0, l] as const;
    } finally {
      await s.close();
    }
  }).then(([, v]) => v);
  if (bigList[0]?.messageCount === undefined || bigList[0].messageCount < big.messages) problems.push(`big chat listed with ${bigList[0]?.messageCount} messages`);
  fs.rmSync(new Layout(big.dataDir).indexFile);
  const bigNoIndex = await (async () => {
    const s = await openChatStore({ dataDir: big.dataDir });
    try {
      const t0 = performance.now();
      const l = await s.listChats(big.characterId);
      if (l[0]?.messageCount !== bigList[0]?.messageCount) problems.push('big chat: listings with and without the index differ');
      return performance.now() - t0;
    } finally {
      await s.close();
    }
  })();

  return {
    index_rebuild_10k_ms: rebuild,
    startup_10k_ms: median(startups),
    startup_10k_store_ms: median(storeStartups),
    startup_10k_noindex_ms: startupNoIndex,
    list_chats_10k_ms: median(lists),
    list_chats_10k_noindex_ms: listNoIndex,
    list_all_10k_ms: median(alls),
    list_all_10k_noindex_ms: allNoIndex,
    list_big_chat_ms: bigMs,
    list_big_chat_noindex_ms: bigNoIndex,
    index_json_mb: indexMb,
    problems,
  };
}

// sync_merge_100k_ms (issue 17): a sync tool's conflict copy of the big chat merged into it, as the
// watcher does it (store.discoverChat of the copy: the chat read, the copy compared with it and only its own bytes read, merged, both backed up, the
// merged chat written atomically and verified, the copy removed). The chat and its copy share the
// big chat and then diverge by 1,000 messages each, their times interleaved. Each run works on a
// fresh copy of the chat in a data dir of its own (made untimed), in a warm store.
//
// Alone: node test/bench/merge-bench.ts [messages] — builds a chat of that many messages (default
// 100,000) and prints the merge beside a rewrite baseline measured as bench.ts measures it.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { openChatStore } from '../../electron/store/index.ts';
import { serialize } from '../../electron/store/records.ts';
import { buildBigChat, prng, roleplayText } from '../fixtures/big-chat.ts';

export const DIVERGENT = 1_000;

/** `count` messages, their times spread over the chat's last stretch and interleaved with the other side's. */
function divergent(side: string, count: number, from: number, seed: number): string {
  const rand = prng(seed);
  let out = '';
  for (let i = 0; i < count; i++) out += serialize({ id: `${side}-${i}`, role: i % 2 ? 'assistant' : 'user', content: roleplayText(rand, 100 + Math.floor(rand() * 400)), timestamp: from + i * 1000 + Math.floor(rand() * 1000) });
  return out;
}

export async function measureSyncMerge(o: { root: string; chatPath: string; chatId: string; characterId: string; runs: number }): Promise<{ ms: number[]; messages: number; mb: number }> {
  const base = await fsp.readFile(o.chatPath);
  const lastTime = Math.max(...base.toString('latin1', base.lastIndexOf(0x0a, base.length - 2) + 1).match(/"timestamp":(\d+)/g)!.map((t) => Number(t.slice(12))));
  const mine = Buffer.concat([base, Buffer.from(divergent('here', DIVERGENT, lastTime + 1, 1))]);
  const theirs = Buffer.concat([base, Buffer.from(divergent('there', DIVERGENT, lastTime + 1, 2))]);
  const ms: number[] = [];
  let messages = 0;
  for (let i = 0; i <= o.runs; i++) {
    const dataDir = await fsp.mkdtemp(join(o.root, 'merge-'));
    const dir = join(dataDir, 'chats', o.characterId);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(join(dir, basename(o.chatPath)), mine);
    const copy = join(dir, `${o.chatId}.sync-conflict-20250102-030405-LAPTOP1.jsonl`);
    await fsp.writeFile(copy, theirs);
    const store = await openChatStore({ dataDir });
    try {
      await store.getChat(o.chatId); // warm: the chat indexed and its log open, as in the app
      const t0 = performance.now();
      const r = await store.discoverChat(copy);
      const dt = performance.now() - t0;
      if (r.kind !== 'merged' || r.merged !== DIVERGENT) throw new Error(`merge bench: ${JSON.stringify(r).slice(0, 300)}`);
      messages = r.summary.messageCount;
      if (i > 0) ms.push(dt); // the first is a warm-up
    } finally {
      await store.close();
      await fsp.rm(dataDir, { recursive: true, force: true });
    }
  }
  return { ms, messages, mb: (mine.length + theirs.length) / 2e6 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Standalone: the merge beside the rewrite baseline of bench.ts (serialise the chat + write-file-atomic with fsync + dir fsync). */
async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 100_000);
  const root = fs.mkdtempSync(join(tmpdir(), 'cardshark-merge-bench-'));
  try {
    const fixture = buildBigChat({ dataDir: join(root, 'data'), messages });
    const records = fs.readFileSync(fixture.path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    const target = join(dirname(fixture.path), 'rewrite-baseline.jsonl');
    const rewrite: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t0 = performance.now();
      await writeFileAtomic(target, records.map((r) => JSON.stringify(r)).join('\n'), { fsync: true });
      const fh = await fsp.open(dirname(target), 'r');
      await fh.sync();
      await fh.close();
      if (i > 0) rewrite.push(performance.now() - t0);
    }
    const merge = await measureSyncMerge({ root, chatPath: fixture.path, chatId: fixture.chatId, characterId: fixture.characterId, runs: 3 });
    const m = median(merge.ms);
    const b = median(rewrite);
    console.log(`merge of a ${merge.mb.toFixed(1)} MB chat with its conflict copy (${DIVERGENT} messages each side; ${merge.messages} after): ${merge.ms.map((x) => x.toFixed(0)).join(', ')} ms; rewrite baseline ${rewrite.map((x) => x.toFixed(0)).join(', ')} ms`);
    console.log(JSON.stringify({ sync_merge_100k_ms: +m.toFixed(1), rewrite_baseline_ms: +b.toFixed(1), sync_merge_ratio: +(m / b).toFixed(2), pass: m <= b }));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.filename === fs.realpathSync(process.argv[1])) await main();

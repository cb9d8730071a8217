// Crash harness: a child runs a random workload and reports every acknowledged operation; we
// SIGKILL it at a random moment, reopen the store (recovering its stale lock), and check that
// every chat opens and holds every acknowledged operation exactly once.
//   node test/crash/torture.ts --kills N [--seed S] [--keep]
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openChatStore } from '../../electron/store/index.ts';
import { applyOp, branchOf, type Op, type Snapshot } from './model.ts';
import { snapshotStore } from './snapshot.ts';

const args = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const kills = flag('--kills', 100);
const initialSeed = flag('--seed', Date.now() % 1_000_000);
let seed = initialSeed;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const worker = fileURLToPath(new URL('./worker.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cardshark-torture-'));
const CHARACTERS = ['hero', 'villain'];

interface Round {
  acked: Op[];
  /** Operations begun and not acknowledged when the kill came, by lane (at most one per chat). */
  inflight: Map<string, Op>;
  exitSignal: string | null;
  stderr: string;
}

function runRound(childSeed: number, killAfterMs: number): Promise<Round> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, dataDir, String(childSeed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const round: Round = { acked: [], inflight: new Map(), exitSignal: null, stderr: '' };
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line === 'READY') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (/^[AB] /.test(line)) {
          const [kind, laneId] = line.split(' ', 2) as [string, string];
          const op = JSON.parse(line.slice(kind.length + laneId.length + 2)) as Op;
          if (kind === 'B') round.inflight.set(laneId, op);
          else {
            round.acked.push(op);
            round.inflight.delete(laneId);
          }
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (round.stderr += c));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      round.exitSignal = signal;
      resolve(round);
    });
  });
}

function strayTemps(): string[] {
  const out: string[] = [];
  for (const c of readdirSync(join(dataDir, 'chats'))) {
    for (const f of readdirSync(join(dataDir, 'chats', c))) if (!/^[0-9a-f-]{36}\.jsonl$/.test(f)) out.push(join(c, f));
  }
  return out;
}

let model: Snapshot = {};
let totalAcked = 0;
const inflightKinds: Record<string, number> = {};
const started = Date.now();
console.log(`torture: ${kills} kills, seed ${initialSeed}, data dir ${dataDir}`);

try {
  for (let k = 1; k <= kills; k++) {
    const round = await runRound(Math.floor(rand() * 2 ** 31), Math.floor(5 + rand() * 120));
    if (round.exitSignal !== 'SIGKILL') throw new Error(`round ${k}: the worker exited on its own (${round.exitSignal}):\n${round.stderr}`);
    totalAcked += round.acked.length;
    for (const op of round.inflight.values()) inflightKinds[op.t] = (inflightKinds[op.t] ?? 0) + 1;

    // Chats are independent and each had at most one operation in flight, so the acknowledged
    // operations fold in acknowledgement order, and each chat is checked on its own.
    const expected = round.acked.reduce(applyOp, model);
    const store = await openChatStore({ dataDir }); // must recover the dead worker's lock at once
    let actual: Snapshot;
    try {
      actual = await snapshotStore(store, CHARACTERS, true);
    } finally {
      await store.close();
    }
    const temps = strayTemps();
    if (temps.length) throw new Error(`round ${k}: stray temp files survived reopening: ${temps.join(', ')}`);

    const inflight = [...round.inflight.values()];
    const problems: string[] = [];
    for (const chatId of Object.keys(expected)) {
      const got = actual[chatId];
      // A branch in flight leaves its parent unchanged (applyOp without the new id changes nothing).
      const op = inflight.find((o) => o.t !== 'create' && o.chat === chatId);
      const ok = [expected, ...(op ? [applyOp(expected, op)] : [])].some((c) => JSON.stringify(c[chatId]) === JSON.stringify(got));
      if (!ok) problems.push(`chat ${chatId}\n   in flight: ${JSON.stringify(op ?? null)}\n   expected:  ${JSON.stringify(expected[chatId])}\n   actual:    ${JSON.stringify(got ?? 'missing')}`);
    }
    // A chat whose creation was in flight may exist (empty, with that title): its id was never reported.
    // So may a branch in flight, and then whole: exactly its parent's messages up to the branch point.
    const creates = inflight.flatMap((o) =>
      o.t === 'create' ? [JSON.stringify({ title: o.title, messages: [] })] : o.t === 'branch' ? [JSON.stringify(branchOf(expected[o.chat]!, o.at, o.title))] : [],
    );
    for (const chatId of Object.keys(actual).filter((id) => !(id in expected))) {
      const i = creates.indexOf(JSON.stringify(actual[chatId]));
      if (i === -1) problems.push(`chat ${chatId} exists but was never created (or is a partial branch): ${JSON.stringify(actual[chatId])}`);
      else creates.splice(i, 1);
    }
    if (problems.length) throw new Error(`round ${k}: the store does not hold what was acknowledged:\n ${problems.join('\n ')}`);
    model = actual;
    if (k % 25 === 0 || k === kills) {
      const msgs = Object.values(model).reduce((n, c) => n + c.messages.length, 0);
      console.log(`  ${k}/${kills} kills ok: ${totalAcked} acknowledged ops verified, ${Object.keys(model).length} chats, ${msgs} live messages`);
    }
  }
  console.log(`torture passed: ${kills} SIGKILLs, ${totalAcked} acknowledged ops, killed mid-op: ${JSON.stringify(inflightKinds)}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (!args.includes('--keep')) rmSync(dataDir, { recursive: true, force: true });
} catch (e) {
  console.error(`torture FAILED (seed ${initialSeed}; data kept in ${dataDir}):\n${(e as Error).stack}`);
  process.exit(1);
}

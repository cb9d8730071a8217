// send_to_first_token_ms (issue 18): what a user waits between pressing Send and the first word of
// the reply, through the browser host as a browser uses it. The host runs as its own process (as
// `npm start` runs it) with the demo provider at pace 0 (it waits for nothing: the time is the
// app's own); a WebSocket client does what the composer does (appendMessage, answered, then
// generate) and stops the clock at the chat's first stream:chunk event. For scale, the round trip
// of a call that does nothing (listStreams) over the same socket is measured in the same run.
//   node test/bench/first-token-bench.ts [--samples N]   (also part of `npm run bench`)
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WS_PATH } from '../../shared/host-protocol.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');

export interface FirstToken {
  /** Send → first token, per sample (ms). */
  ms: number[];
  /** listStreams round trips (ms). */
  rtt_ms: number[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function measureFirstToken(samples = 20, warmups = 3): Promise<FirstToken> {
  const root = await mkdtemp(join(tmpdir(), 'cardshark-bench-first-token-'));
  const staticDir = join(root, 'static');
  await mkdir(staticDir);
  const proc = spawn(process.execPath, [join(ROOT, 'electron/host/cli.ts'), '--data-dir', join(root, 'data'), '--static', staticDir], {
    cwd: ROOT,
    env: { ...process.env, CARDSHARK_DEMO_PACE_MS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    const url = await new Promise<URL>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`first-token bench: the host did not start:\n${out}`)), 30_000);
      const look = (d: Buffer) => {
        out += d;
        const m = /CardShark is running at (http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          res(new URL(m[1]!));
        }
      };
      proc.stdout!.on('data', look);
      proc.stderr!.on('data', (d: Buffer) => (out += d));
      proc.once('exit', () => rej(new Error(`first-token bench: the host exited:\n${out}`)));
    });
    const token = url.hash.replace('#token=', '');
    const ws = new WebSocket(`ws://${url.host}${WS_PATH}?token=${token}`, { origin: url.origin });
    await new Promise((res, rej) => (ws.once('open', res), ws.once('error', rej)));

    let nextId = 1;
    const pending = new Map<number, (r: any) => void>();
    const waiters: { event: string; test: (p: any) => boolean; resolve: (p: any) => void }[] = [];
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw));
      if (msg.kind === 'result') {
        pending.get(msg.id)?.(msg.result);
        pending.delete(msg.id);
      } else if (msg.kind === 'event') {
        for (const w of waiters.splice(0)) {
          if (w.event === msg.event && w.test(msg.payload)) w.resolve(msg.payload);
          else waiters.push(w);
        }
      }
    });
    const call = async (channel: string, payload: unknown): Promise<any> => {
      const id = nextId++;
      const r = await new Promise<any>((res) => {
        pending.set(id, res);
        ws.send(JSON.stringify({ id, channel, payload }));
      });
      if (!r.ok) throw new Error(`first-token bench: ${channel} failed: ${JSON.stringify(r.error)}`);
      return r.data;
    };
    const when = (event: string, test: (p: any) => boolean) => new Promise<any>((res) => waiters.push({ event, test, resolve: res }));

    const character = await call('createCharacter', { name: 'Bench' });
    const chat = await call('createChat', { characterId: character.id, title: 'first token' });
    const result: FirstToken = { ms: [], rtt_ms: [] };
    for (let i = 0; i < warmups + samples; i++) {
      const t0 = performance.now();
      await call('listStreams', {});
      const rtt = performance.now() - t0;

      const first = when('stream:chunk', (p) => p.chatId === chat.chatId);
      const t1 = performance.now();
      await call('appendMessage', { chatId: chat.chatId, message: { role: 'user', content: `Tell me a story, number ${i}.` } });
      const { streamId } = await call('generate', { mode: 'new', chatId: chat.chatId });
      const end = when('stream:end', (p) => p.streamId === streamId);
      await first;
      const dt = performance.now() - t1;
      const ended = await end;
      if (ended.status !== 'complete') throw new Error(`first-token bench: the reply ended ${ended.status}`);
      if (i >= warmups) {
        result.ms.push(dt);
        result.rtt_ms.push(rtt);
      }
    }
    ws.close();
    return result;
  } finally {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
    await rm(root, { recursive: true, force: true });
  }
}

export function summarize(r: FirstToken) {
  return { send_to_first_token_ms: Number(median(r.ms).toFixed(1)), send_to_first_token_max_ms: Number(Math.max(...r.ms).toFixed(1)), ws_roundtrip_ms: Number(median(r.rtt_ms).toFixed(2)) };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--samples');
  const r = await measureFirstToken(i > 0 ? Number(process.argv[i + 1]) : 20);
  console.error(`send → first token: ${r.ms.map((x) => x.toFixed(1)).join(', ')} ms`);
  console.log(JSON.stringify(summarize(r)));
}

// The kill loop behind the SIGKILL proof (test/stream/stream-kill.test.ts) and the bench's
// stream_loss_ms_max: a child streams into a chat, the parent kills it at a random moment,
// reopens the store and checks the reply against what the child reported as emitted.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openChatStore } from '../../electron/store/index.ts';
import type { Message } from '../../shared/chat-format.ts';

/** Chunk i of the fake provider: varied lengths, some non-ASCII and JSON-escaped characters. */
export function chunkText(i: number): string {
  const extra = ['', 'é', ' "q"', '\\', '🐉', '\n'][i % 6]!;
  return `w${i}${extra} `;
}

export const preciseNow = () => performance.timeOrigin + performance.now();

const CHILD = fileURLToPath(new URL('./stream-child.ts', import.meta.url));
const CHARACTER = 'streamer';

export interface KillResult {
  mode: 'new' | 'swipe';
  signal: 'SIGKILL' | 'SIGTERM';
  emittedChars: number;
  storedChars: number;
  status: string | undefined;
  /** Kill time − emit time of the first chunk not on disk (0 if none was lost), ms. */
  lossMs: number;
  /** Problems found; empty when the round passed. */
  problems: string[];
}

interface Chunk {
  t: number;
  text: string;
}

/** Prepares a chat (a user message, and for a swipe round a finished reply), runs one round. */
export async function killRound(opts: { dataDir: string; mode: 'new' | 'swipe'; signal?: 'SIGKILL' | 'SIGTERM'; intervalMs: number; paceMs: number; killAfterMs: number }): Promise<KillResult> {
  const signal = opts.signal ?? 'SIGKILL';
  let store = await openChatStore({ dataDir: opts.dataDir });
  const chat = await store.createChat({ characterId: CHARACTER });
  await store.appendMessage(chat.chatId, { role: 'user', content: 'Tell me a long story.' });
  let target: Message | undefined;
  if (opts.mode === 'swipe') target = await store.appendMessage(chat.chatId, { role: 'assistant', content: 'An earlier reply.', status: 'complete' });
  await store.close();

  const chunks: Chunk[] = [];
  let stderr = '';
  let killedAt = 0;
  const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, opts.dataDir, chat.chatId, opts.mode, target?.id ?? '-', String(opts.intervalMs), String(opts.paceMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    let armed = false;
    child.stdout.setEncoding('utf8').on('data', (data: string) => {
      buf += data;
      let nl;
      while ((nl = buf.indexOf('\n')) !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('C ')) {
          const sp = line.indexOf(' ', 2);
          chunks.push({ t: Number(line.slice(2, sp)), text: JSON.parse(line.slice(sp + 1)) as string });
          // The clock starts at the first chunk: the kill lands mid-stream.
          if (!armed) {
            armed = true;
            setTimeout(() => {
              killedAt = preciseNow();
              child.kill(signal);
            }, opts.killAfterMs);
          }
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve({ code, signal: sig }));
  });

  const problems: string[] = [];
  if (signal === 'SIGKILL' && exit.signal !== 'SIGKILL') problems.push(`child exited with ${exit.code}/${exit.signal} before the kill: ${stderr.slice(0, 500)}`);
  if (signal === 'SIGTERM' && exit.code !== 0) problems.push(`child exited with ${exit.code}/${exit.signal} after SIGTERM: ${stderr.slice(0, 500)}`);
  const emitted = chunks.map((c) => c.text).join('');

  store = await openChatStore({ dataDir: opts.dataDir });
  let reply: Message | undefined;
  let stored = '';
  try {
    const page = await store.loadChat(chat.chatId);
    if (page.warnings.length) problems.push(`warnings: ${JSON.stringify(page.warnings)}`);
    const roles = page.messages.map((m) => m.role);
    if (opts.mode === 'new') {
      reply = page.messages[1];
      if (roles.length > 2 || roles[0] !== 'user' || (reply && reply.role !== 'assistant')) problems.push(`unexpected messages: ${roles.join(',')}`);
      stored = reply?.content ?? '';
    } else {
      reply = page.messages[1];
      if (roles.join(',') !== 'user,assistant' || !reply) problems.push(`unexpected messages: ${roles.join(',')}`);
      else {
        const swipes = reply.swipes ?? [reply.content];
        if (swipes[0] !== 'An earlier reply.') problems.push('the earlier swipe changed');
        // Either the new swipe exists (selected, holding the streamed prefix) or none was stored yet.
        if (swipes.length === 2) {
          if (reply.swipe_id !== 1 || reply.content !== swipes[1]) problems.push('the new swipe is not the selected one');
          stored = swipes[1]!;
        } else if (swipes.length !== 1) problems.push(`${swipes.length} swipes`);
      }
    }
    if (stored) {
      const want = signal === 'SIGKILL' ? 'interrupted' : 'interrupted';
      if (reply?.status !== want) problems.push(`status ${reply?.status}, expected ${want}`);
    }
  } finally {
    await store.close();
  }
  if (!emitted.startsWith(stored)) problems.push(`stored text is not a prefix of the emitted text (stored ${stored.length} chars, emitted ${emitted.length})`);
  // Chunk boundaries: the stored text ends on one (a checkpoint never writes half a chunk).
  let lossMs = 0;
  let acc = 0;
  for (const c of chunks) {
    if (acc >= stored.length) {
      lossMs = Math.max(0, killedAt - c.t);
      break;
    }
    acc += c.text.length;
  }
  if (acc < stored.length) problems.push('stored more than was emitted');
  if (signal === 'SIGTERM' && stored !== emitted) problems.push(`after SIGTERM ${emitted.length - stored.length} emitted chars are missing`);
  return { mode: opts.mode, signal, emittedChars: emitted.length, storedChars: stored.length, status: reply?.status, lossMs, problems };
}

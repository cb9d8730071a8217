// external_edit_seen_ms: from an outside append to a chat file (a plain appendFile, as another
// program would do it) to the services' `chat:changed` event with `source: 'external'`, through
// real chokidar events, the settle delay and the re-read. ~20 appends, spaced so each is its own
// change. Runnable alone: node test/bench/watch-bench.ts
import { appendFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openChatStore } from '../../electron/store/index.ts';
import { createServices } from '../../electron/ipc/services.ts';

export interface ExternalEditSeen {
  samples: number[];
  p50: number;
  max: number;
}

export async function externalEditSeen(n = 20): Promise<ExternalEditSeen> {
  const root = await mkdtemp(join(tmpdir(), 'cardshark-watch-bench-'));
  const store = await openChatStore({ dataDir: root });
  let waiting: ((t: number) => void) | null = null;
  const services = createServices<boolean>({
    store,
    isTrustedSender: () => true,
    emit: (e, p) => {
      if (e === 'chat:changed' && (p as { source?: string }).source === 'external') waiting?.(performance.now());
    },
  });
  try {
    await services.ready;
    const call = async (ch: string, p: unknown) => {
      const r = (await services.binding.handle(true, ch, p)) as { ok: boolean; data: any };
      if (!r.ok) throw new Error(`${ch} failed`);
      return r.data;
    };
    const c = await call('createCharacter', { name: 'Bench' });
    const chat = await call('createChat', { characterId: c.id, title: 'watched' });
    const file = join(root, 'chats', c.id, `${chat.chatId}.jsonl`);
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const seen = new Promise<number>((resolve, reject) => {
        waiting = resolve;
        setTimeout(() => reject(new Error(`outside append ${i} not seen within 5 s`)), 5000).unref();
      });
      const t0 = performance.now();
      await appendFile(file, `${JSON.stringify({ id: `ext-${i}`, role: 'user', content: `outside append ${i}`, timestamp: Date.now() })}\n`);
      samples.push((await seen) - t0);
      waiting = null;
      await sleep(150);
    }
    const sorted = [...samples].sort((a, b) => a - b);
    return { samples, p50: sorted[Math.floor((sorted.length - 1) / 2)]!, max: sorted[sorted.length - 1]! };
  } finally {
    await services.shutdown().catch(() => {});
    await rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await externalEditSeen();
  console.log(JSON.stringify({ external_edit_seen_p50_ms: Math.round(r.p50 * 10) / 10, external_edit_seen_max_ms: Math.round(r.max * 10) / 10, samples: r.samples.map((x) => Math.round(x)) }));
}

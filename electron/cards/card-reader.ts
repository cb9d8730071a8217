// Reads a foreign card file off the main thread, in a card worker (card-worker.ts) under a heap
// limit and a time budget; a worker that runs over is ended once it is idle (retire()). A card that
// cannot be read within the budget is refused (TOO_LARGE); a picture that cannot be made into a
// thumbnail within it leaves the card imported without one, and the result says so (warnings).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StoreError } from '../../shared/errors.ts';
import type { CardWorkerReply, CardWorkerRequest } from './card-worker.ts';

export interface CardReadLimits {
  /** Reading the card (chunks, text, JSON, validation), from the worker's start. */
  cardMs: number;
  /** Decoding the picture and making its thumbnail, after the card is read. */
  thumbnailMs: number;
  /** The worker's V8 heap (its buffers are held down by the decoder's own caps). */
  heapMb: number;
}

export const CARD_READ_LIMITS: CardReadLimits = { cardMs: 20_000, thumbnailMs: 10_000, heapMb: 384 };

export interface CardRead {
  name: string;
  tags: string[];
  /** The card's own id, when it names a usable one. */
  ownId: string | undefined;
  /** The card as JSON (UTF-8) for card.json, without its id (card-codec.ts cardJsonBody). */
  body: Buffer;
  /** The picture without card chunks; dropped when it is damaged or hostile. */
  avatar: Buffer | undefined;
  thumbnail: Buffer | undefined;
  /** What the user should know about an import that went through (shown as a notice). */
  warnings: string[];
}

/**
 * Running from source (node, vitest), the worker is the .ts beside this file. In the app's bundle
 * (cjs: import.meta is empty there) it is card-worker.cjs beside main.cjs in __dirname; forge.config.ts
 * and test/e2e/build-electron.ts build it.
 */
export function cardWorkerFile(): string {
  const url: string | undefined = import.meta.url;
  return url ? fileURLToPath(new URL('./card-worker.ts', url)) : path.join(__dirname, 'card-worker.cjs');
}

/** A Buffer over the bytes that came through postMessage (a Uint8Array there), without a copy. */
const asBuffer = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

// Workers: at most MAX_WORKERS reading at once (each may use heapMb), the rest wait their turn. A
// worker that answered in time is kept idle for the next card (starting one costs more than most
// cards) and ended after IDLE_MS; one that ran over is ended as soon as it answers (retire()), one
// that ran out of memory or failed is gone already.
const MAX_WORKERS = 2;
const IDLE_MS = 20_000;
/** A worker that ran over and never answers (the decoders are bounded: it should not happen) is ended after this, idle or not. */
const RETIRE_MAX_MS = 120_000;
let running = 0;
const waiting: (() => void)[] = [];
let idle: { worker: Worker; heapMb: number; timer: NodeJS.Timeout } | undefined;

async function turn(): Promise<() => void> {
  if (running >= MAX_WORKERS) await new Promise<void>((go) => waiting.push(go));
  else running++;
  return () => {
    const next = waiting.shift();
    if (next) next();
    else running--;
  };
}

function takeWorker(heapMb: number): Worker {
  if (idle && idle.heapMb === heapMb) {
    const { worker, timer } = idle;
    idle = undefined;
    clearTimeout(timer);
    worker.removeAllListeners('exit');
    worker.ref();
    return worker;
  }
  return new Worker(cardWorkerFile(), { resourceLimits: { maxOldGenerationSizeMb: heapMb } });
}

/**
 * Ends a worker that ran over once it answers what it was asked, not in the middle of it: Node
 * aborts the whole process (node_zlib.cc, "close before init") when a worker is ended between
 * zlib's creation of an inflater and its initialisation, and a worker decoding a picture makes
 * them all the time. Between two answers the worker runs nothing (card-worker.ts).
 */
function retire(worker: Worker): void {
  worker.unref();
  const end = () => {
    clearTimeout(last);
    void worker.terminate();
  };
  const last = setTimeout(end, RETIRE_MAX_MS).unref();
  worker.once('message', end);
  worker.once('error', end);
  worker.once('exit', () => clearTimeout(last));
}

function keepIdle(worker: Worker, heapMb: number): void {
  if (idle) return void worker.terminate();
  worker.unref();
  const timer = setTimeout(() => {
    if (idle?.worker === worker) idle = undefined;
    void worker.terminate();
  }, IDLE_MS).unref();
  worker.once('exit', () => {
    if (idle?.worker === worker) (clearTimeout(timer), (idle = undefined));
  });
  idle = { worker, heapMb, timer };
}

export async function readCardFile(bytes: Uint8Array, limits: CardReadLimits = CARD_READ_LIMITS): Promise<CardRead> {
  const done = await turn();
  // A turn of the event loop between the caller's work (an IPC call decodes its base64) and the copy
  // for the worker: each is tens of ms for a 20 MiB card, and together they would stall main longer.
  await new Promise((go) => setImmediate(go));
  try {
    return await readWith(takeWorker(limits.heapMb), bytes, limits);
  } finally {
    done();
  }
}

function readWith(worker: Worker, bytes: Uint8Array, limits: CardReadLimits): Promise<CardRead> {
  return new Promise((resolve, reject) => {
    let parsed: Omit<CardRead, 'thumbnail' | 'warnings'> | undefined;
    let settled = false;
    /** `reuse`: the worker answered in time and may read the next card. */
    const finish = (reuse: boolean, outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const event of ['message', 'error', 'exit']) worker.removeAllListeners(event);
      if (reuse) keepIdle(worker, limits.heapMb);
      else retire(worker);
      outcome();
    };
    // Past the card, every failure of the worker only costs the thumbnail.
    const withoutThumbnail = (reuse: boolean, why: string) =>
      finish(reuse, () => resolve({ ...parsed!, thumbnail: undefined, warnings: [`The picture is too large to show (${why}): the card was imported without a thumbnail.`] }));
    const fail = (error: StoreError) => (parsed ? withoutThumbnail(false, error.message) : finish(false, () => reject(error)));
    let timer = setTimeout(() => fail(new StoreError('TOO_LARGE', `reading the card took longer than ${seconds(limits.cardMs)}`, { reason: 'card' })), limits.cardMs);

    worker.on('message', (m: CardWorkerReply) => {
      if (m.type === 'error') return finish(true, () => reject(new StoreError(m.error.code, m.error.message, m.error.details)));
      if (m.type === 'card') {
        const avatar = m.avatar && asBuffer(m.avatar);
        parsed = { name: m.name, tags: m.tags, ownId: m.ownId, body: asBuffer(m.body), avatar };
        if (!avatar) return finish(true, () => resolve({ ...parsed!, thumbnail: undefined, warnings: [] }));
        clearTimeout(timer);
        timer = setTimeout(() => withoutThumbnail(false, `decoding it took longer than ${seconds(limits.thumbnailMs)}`), limits.thumbnailMs);
        return void worker.postMessage('thumbnail' satisfies CardWorkerRequest);
      }
      const r = m.result;
      if ('thumb' in r) return finish(true, () => resolve({ ...parsed!, thumbnail: asBuffer(r.thumb), warnings: [] }));
      if (r.refused === 'too-large') return withoutThumbnail(true, r.reason);
      // A damaged or hostile picture is not kept at all: exporting the card would pass it on.
      finish(true, () => resolve({ ...parsed!, avatar: undefined, thumbnail: undefined, warnings: [`The picture could not be read (${r.reason}): the card was imported without it.`] }));
    });
    worker.on('error', (e: Error & { code?: string }) => {
      if (e.code !== 'ERR_WORKER_OUT_OF_MEMORY') console.error('card worker failed:', e);
      if (e.code !== 'ERR_WORKER_OUT_OF_MEMORY') fail(new StoreError('INTERNAL', 'the card reader stopped unexpectedly'));
      else if (parsed) withoutThumbnail(false, `decoding it needed more than ${limits.heapMb} MB of memory`);
      else fail(new StoreError('TOO_LARGE', `reading the card needed more than ${limits.heapMb} MB of memory`, { reason: 'card' }));
    });
    worker.on('exit', () => fail(new StoreError('INTERNAL', 'the card reader stopped unexpectedly')));
    const copy = new Uint8Array(bytes); // its own ArrayBuffer, moved to the worker without a second copy
    worker.postMessage(copy satisfies CardWorkerRequest, [copy.buffer]);
  });
}

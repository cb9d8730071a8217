// The card reader's budgets (issue 15, item 1): a picture over the time budget leaves the card
// imported without a thumbnail and says so; a card over the time or memory budget is refused with
// a typed TOO_LARGE; the worker runs from the app's bundle (card-worker.cjs) as well as from source.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { readCardFile, CARD_READ_LIMITS } from '../../electron/cards/card-reader.ts';
import { StoreError } from '../../shared/errors.ts';
import { makePng, textChunk, b64, v2Json, v2Png } from '../fixtures/cards.ts';
import { bigCard } from '../fixtures/hostile-cards.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

async function refusal(p: Promise<unknown>): Promise<StoreError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    return e as StoreError;
  }
  throw new Error('expected a refusal');
}

describe('card reader budgets', () => {
  it('reads a card and its thumbnail within the default budget', { timeout: 60_000 }, async () => {
    const r = await readCardFile(v2Png());
    expect(r.name).toBe('Seraphina');
    expect(r.warnings).toEqual([]);
    expect(PNG.sync.read(r.thumbnail!).width).toBeLessThanOrEqual(96);
    expect(JSON.parse(`{"character_uuid":"x",${r.body.toString('utf8')}`).alternate_greetings).toEqual(v2Json().data.alternate_greetings);
  });

  it('a picture over the time budget: the card comes through without a thumbnail, with a warning', { timeout: 120_000 }, async () => {
    // 2000×2000 takes far more than 1 ms to decode on any machine.
    const r = await readCardFile(makePng(2000, 2000, [textChunk('chara', b64(v2Json()))]), { ...CARD_READ_LIMITS, thumbnailMs: 1 });
    expect(r.name).toBe('Seraphina');
    expect(r.thumbnail).toBeUndefined();
    expect(r.avatar).toBeDefined(); // an honest picture, only too slow to shrink: kept for export
    expect(r.warnings.join()).toMatch(/too large to show \(decoding it took longer than/);
  });

  it('a worker that ran over is ended only once it has answered, never in the middle of decoding', { timeout: 120_000 }, async () => {
    // Ending a worker between zlib's creation of an inflater and its initialisation aborts the whole
    // process (node_zlib.cc: "close before init"; seen in CI with the 1 ms budget below): the app's
    // main process with it. Every worker's last answer is recorded as it is ended.
    const lastAnswer = new Map<Worker, string | null>();
    const endedAfter: (string | null)[] = [];
    const { postMessage, terminate, emit } = Worker.prototype;
    Worker.prototype.postMessage = function (this: Worker, ...args: Parameters<Worker['postMessage']>) {
      if (!lastAnswer.has(this)) lastAnswer.set(this, null);
      return postMessage.apply(this, args);
    };
    // Each answer is recorded before any listener hears it (the reader's listeners come and go).
    Worker.prototype.emit = function (this: Worker, event: string | symbol, ...args: unknown[]) {
      if (event === 'message' && lastAnswer.has(this)) lastAnswer.set(this, (args[0] as { type?: string })?.type ?? null);
      return emit.call(this, event, ...args);
    };
    Worker.prototype.terminate = function (this: Worker) {
      if (lastAnswer.has(this)) endedAfter.push(lastAnswer.get(this)!); // a worker of this test (an idle one of an earlier test may end meanwhile)
      return terminate.apply(this);
    };
    try {
      const r = await readCardFile(makePng(2000, 2000, [textChunk('chara', b64(v2Json()))]), { ...CARD_READ_LIMITS, thumbnailMs: 1 });
      expect(r.warnings.join()).toMatch(/decoding it took longer than/);
      const deadline = Date.now() + 60_000;
      while (endedAfter.length === 0 && Date.now() < deadline) await new Promise((go) => setTimeout(go, 20));
      expect(endedAfter).toEqual(['thumbnail']); // ended after its thumbnail's answer, not while it was decoding
    } finally {
      Worker.prototype.postMessage = postMessage;
      Worker.prototype.terminate = terminate;
      Worker.prototype.emit = emit;
    }
  });

  it('a card over the time budget is refused with TOO_LARGE', { timeout: 120_000 }, async () => {
    const e = await refusal(readCardFile(bigCard(4 * 1024 * 1024), { ...CARD_READ_LIMITS, cardMs: 1 }));
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toMatch(/took longer than/);
  });

  it('a card over the memory budget is refused with TOO_LARGE, and the next card reads fine', { timeout: 120_000 }, async () => {
    const e = await refusal(readCardFile(bigCard(8 * 1024 * 1024), { ...CARD_READ_LIMITS, heapMb: 8 }));
    expect(e.code).toBe('TOO_LARGE');
    expect(e.message).toMatch(/more than 8 MB of memory/);
    expect((await readCardFile(v2Png())).name).toBe('Seraphina');
  });

  it('the app bundle carries the worker as card-worker.cjs beside main.cjs, and it reads cards', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'cardshark-bundle-'));
    try {
      const built = spawnSync(process.execPath, ['--input-type=module', '-e', `
        import { buildElectronMain } from ${JSON.stringify(path.join(ROOT, 'test/e2e/build-electron.ts'))};
        await buildElectronMain(${JSON.stringify(out)});`], { cwd: ROOT, encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
      // main.cjs looks for the worker beside itself (import.meta is empty in a cjs bundle).
      expect(readFileSync(path.join(out, 'main.cjs'), 'utf8')).toMatch(/path\.default\.join\(__dirname, "card-worker\.cjs"\)/);
      const worker = new Worker(path.join(out, 'card-worker.cjs'));
      const replies: any[] = [];
      await new Promise<void>((done, fail) => {
        worker.on('message', (m) => {
          replies.push(m);
          if (m.type === 'card') worker.postMessage('thumbnail'); // asked for once the card is read
          else done();
        });
        worker.on('error', fail);
        worker.postMessage(new Uint8Array(v2Png()));
      });
      await worker.terminate();
      expect(replies.map((m) => m.type)).toEqual(['card', 'thumbnail']);
      expect(replies[0].name).toBe('Seraphina');
      expect('thumb' in replies[1].result).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

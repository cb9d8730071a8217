// Issue 15 §3: an endpoint that streams one endless line. The parser holds at most the 1 MiB
// line cap, scans each byte once, and ends the stream with an error naming the cap; the text
// that came before is kept as interrupted, and the connection is closed. A real HTTP server on
// 127.0.0.1 writes the line (with backpressure) until the client goes away, or up to 16 MiB.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { chunk, endpoint, setup, type Cleanup } from './endpoint.ts';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const MiB = 1024 * 1024;
const SAFETY_LIMIT = 16 * MiB;

describe('an endless SSE line', () => {
  it('ends the stream with an error naming the cap; memory and event-loop stalls stay bounded; the text before is kept', async () => {
    let sent = 0;
    // Measured from the request's arrival: the flood, not the app's start-up work.
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const ep = await endpoint(cleanups, (_req, res) => {
      delay.enable();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk('Before the flood. '));
      res.write('data: {"choices":[{"delta":{"content":"');
      const block = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && sent < SAFETY_LIMIT) {
          sent += block.byteLength;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        if (!res.destroyed) res.end();
      };
      pump();
    });
    const { call, generate, chatId } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });

    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const end = await generate(60_000);
    delay.disable();
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const stallMs = delay.max / 1e6;
    const growthMiB = (peak - rss0) / MiB;
    console.log(`endless SSE line: ${(sent / MiB).toFixed(1)} MiB sent, peak RSS +${growthMiB.toFixed(1)} MiB, longest stall ${stallMs.toFixed(0)} ms`);

    expect(end).toMatchObject({ status: 'error', error: { code: 'IO_ERROR' } });
    expect(end.error.message).toMatch(/a line reached the 1 MiB cap without a line break/);
    // Generous bounds (2 shared cores, other work on them): the parser holds ~1 MiB, socket
    // buffers add a few; the old parser held the whole line (+196 MiB, a 7 s stall).
    expect(growthMiB).toBeLessThan(64);
    expect(stallMs).toBeLessThan(2_000); // the old parser: ~7 s
    // The client stopped reading and closed the connection long before the server's limit.
    await expect.poll(() => ep.closed, { timeout: 5_000 }).toBe(1);
    expect(sent).toBeLessThan(SAFETY_LIMIT);
    // The reply so far is stored, as interrupted.
    const page = (await call('loadChat', { chatId })).data;
    expect(page.messages.at(-1)).toMatchObject({ role: 'assistant', content: 'Before the flood. ', status: 'interrupted' });
  }, 90_000);

  it('lines up to the cap, split across many reads, still parse', async () => {
    const long = 'y'.repeat(900 * 1024);
    const ep = await endpoint(cleanups, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const all = Buffer.from(chunk(long) + chunk('ü') + 'data: [DONE]\n\n');
      // Odd slice sizes: line breaks and multi-byte characters fall across reads.
      let at = 0;
      const next = () => {
        if (at >= all.byteLength) return void res.end();
        res.write(all.subarray(at, at + 7_777), () => setImmediate(next));
        at += 7_777;
      };
      next();
    });
    const { call, generate } = await setup(cleanups);
    await call('setGenerationSettings', { provider: 'openai', baseUrl: ep.base });
    const end = await generate();
    expect(end.error).toBeUndefined();
    expect(end).toMatchObject({ status: 'complete' });
    expect(end.message.content).toBe(`${long}ü`);
  }, 60_000);
});

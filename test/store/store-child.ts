// A store in a process of its own, so a test can SIGKILL it: it answers one JSON command per
// stdin line ({ op, args }: a ChatStore call) with one JSON line ({ ok } or { error: code }).
// `tearNextAppend` makes the next append to a chat file write only its first `n` bytes and then
// hang (a power cut or a kill in the middle of the store's own write): the test kills it there.
// Usage: node store-child.ts <dataDir> [indexFlushDelayMs]
import { createInterface } from 'node:readline';
import { nodeFs, openChatStore, type FsSeam } from '../../electron/store/index.ts';

const [dataDir, flushMs] = process.argv.slice(2);
let tear: number | null = null;
const seam: FsSeam = {
  ...nodeFs,
  open: (async (path: string, flags?: string, mode?: number) => {
    const fh = await nodeFs.open(path, flags, mode);
    if (flags !== 'a' || !String(path).endsWith('.jsonl')) return fh;
    const realWrite = fh.write.bind(fh) as (buf: Buffer, off: number, len: number) => Promise<unknown>;
    (fh as unknown as { write: unknown }).write = async (buf: Buffer, off: number, len: number) => {
      if (tear === null) return realWrite(buf, off, len);
      await realWrite(buf, off, Math.min(len, tear));
      process.stdout.write(`${JSON.stringify({ torn: true })}\n`);
      return new Promise(() => {}); // never returns: the process is killed here
    };
    return fh;
  }) as FsSeam['open'],
};
const store = await openChatStore({ dataDir: dataDir!, fs: seam, ...(flushMs ? { indexFlushDelayMs: Number(flushMs) } : {}) });
process.stdout.write(`${JSON.stringify({ ok: 'open' })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  const { op, args = [] } = JSON.parse(line) as { op: string; args?: unknown[] };
  if (op === 'tearNextAppend') {
    tear = args[0] as number;
    process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
    continue;
  }
  const call = (store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[op]!;
  // Not awaited in line: a torn append never answers, and the test kills the process then.
  call.apply(store, args).then(
    (ok) => process.stdout.write(`${JSON.stringify({ ok: ok ?? null })}\n`),
    (e: { code?: string; message?: string }) => process.stdout.write(`${JSON.stringify({ error: e.code ?? 'ERROR', message: e.message })}\n`),
  );
}

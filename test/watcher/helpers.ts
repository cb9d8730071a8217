import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHILD = path.join(import.meta.dirname, 'writer-child.ts');

/** Runs an external writer process (see writer-child.ts) and waits for it to exit. */
export async function external(op: 'append' | 'replace' | 'write' | 'delete' | 'patch', file: string, text = ''): Promise<void> {
  await run(process.execPath, [CHILD, op, file, text]);
}

export function messageLine(id: string, content: string, timestamp = Date.now()): string {
  return `${JSON.stringify({ id, role: 'user', content, timestamp })}\n`;
}

/** Polls until `pred` holds; rejects after `ms` (a correctness bound, not a timing figure). */
export async function until<T>(pred: () => T | undefined | false, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not seen within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

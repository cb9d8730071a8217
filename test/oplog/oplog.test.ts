// The operations log: one JSON line per file operation, through the real store and electron-log's
// Node file transport; never message text; rotated by size.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openOpLog } from '../../electron/oplog/oplog.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { tempDir } from '../store/helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

/** The log's records once it holds `atLeast` lines (and, when given, a record of op `until`): it is written asynchronously. */
async function linesOf(path: string, atLeast: number, until?: string): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 200; i++) {
    const text = await readFile(path, 'utf8').catch(() => '');
    const lines = text.split('\n').filter(Boolean);
    const recs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    if (lines.length >= atLeast && (until === undefined || recs.some((r) => r.op === until))) return recs;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`fewer than ${atLeast} lines in ${path}`);
}

describe('operations log', () => {
  it('records lock, open, append, backup, rewrite, repair, quarantine, unlock; no message text', async () => {
    const dir = tempDir();
    const oplog = await openOpLog(dir, { source: 'test' });
    const s = await openChatStore({ dataDir: dir, oplog });
    const c = await s.createChat({ characterId: 'alice' });
    await s.appendMessage(c.chatId, { id: 'a', role: 'user', content: 'SECRET-TEXT-1' });
    await s.updateMessage(c.chatId, 'a', { content: 'SECRET-TEXT-2' });
    await s.compactChat(c.chatId);
    await s.repairChat(c.chatId);
    await s.close();
    oplog.drain();
    const recs = await linesOf(oplog.path, 9, 'unlock'); // the last record of a close
    const ops = new Set(recs.map((r) => r.op));
    for (const op of ['lock', 'open', 'append', 'backup', 'rewrite', 'repair', 'unlock']) expect(ops, op).toContain(op);
    const append = recs.find((r) => r.op === 'append')!;
    expect(append).toMatchObject({ chatId: c.chatId, outcome: 'ok', src: 'test' });
    expect(append.bytes).toBeGreaterThan(0);
    expect(typeof append.durationMs).toBe('number');
    expect(await readFile(oplog.path, 'utf8')).not.toMatch(/SECRET-TEXT/);
  });

  it('records failures with their code', async () => {
    const dir = tempDir();
    const oplog = await openOpLog(dir);
    const s = await openChatStore({ dataDir: dir, oplog, fs: undefined });
    const c = await s.createChat({ characterId: 'alice' });
    await s.appendMessage(c.chatId, { id: 'a', role: 'user', content: 'x' });
    await expect(s.appendMessage(c.chatId, { id: 'a', role: 'user', content: 'y' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await s.close();
    oplog.drain();
    const recs = await linesOf(oplog.path, 5);
    expect(recs.find((r) => r.outcome === 'error')).toMatchObject({ op: 'append', code: 'CONFLICT' });
  });

  it('rotates by size', async () => {
    const dir = tempDir();
    const oplog = await openOpLog(dir, { maxSize: 2000 });
    for (let i = 0; i < 200; i++) {
      oplog.record({ op: 'append', chatId: 'c', bytes: i, durationMs: 0.1, outcome: 'ok' });
      if (i % 10 === 9) {
        oplog.drain();
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    await new Promise((r) => setTimeout(r, 100));
    const names = await readdir(new Layout(dir).logsDir);
    expect(names).toContain('operations.old.log');
  });
});

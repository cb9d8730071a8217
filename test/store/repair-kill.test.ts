// Failure scenario 1 for repair: a SIGKILL at any moment of a repair leaves either the original
// file or the repaired one, never a mix; the next open cleans up and every intact message is there.
import { spawn } from 'node:child_process';
import { appendFile, cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChatStore, planRepair } from '../../electron/store/index.ts';
import { chatPath, tempDir } from './helpers.ts';
import { Layout } from '../../electron/store/layout.ts';

const CHILD = join(import.meta.dirname, 'repair-child.ts');

describe('SIGKILL during a repair', () => {
  it('leaves the original or the repaired file, and the chat opens (12 kills at random moments)', async () => {
    const seedDir = tempDir();
    const s = await openChatStore({ dataDir: seedDir });
    const c = await s.createChat({ characterId: 'alice' });
    for (let i = 0; i < 200; i++) await s.appendMessages(c.chatId, [{ id: `m${i}`, role: 'user', content: `message ${i} `.repeat(20) }]);
    await s.close();
    const path = chatPath(seedDir, 'alice', c.chatId);
    await appendFile(path, 'garbage in the middle\n{"id":"late","role":"user","content":"after","timestamp":5}\n');
    const original = await readFile(path);
    const repaired = Buffer.from(planRepair(original, { chatId: c.chatId, characterId: 'alice', now: 0 }).text!);
    // The repair also moves the revision forward (revision_base in the header): compare the header
    // without it, and the records byte for byte.
    const split = (b: Buffer) => {
      const nl = b.indexOf(0x0a);
      const { revision_base: _, ...header } = JSON.parse(b.toString('utf8', 0, nl)) as Record<string, unknown>;
      return { header, body: b.subarray(nl + 1) };
    };
    const same = (a: Buffer, b: Buffer) => {
      const x = split(a);
      const y = split(b);
      return JSON.stringify(x.header) === JSON.stringify(y.header) && x.body.equals(y.body);
    };
    let sawOriginal = 0;
    let sawRepaired = 0;
    for (let round = 0; round < 12; round++) {
      const dir = tempDir();
      await rm(dir, { recursive: true, force: true });
      await cp(seedDir, dir, { recursive: true });
      await rm(new Layout(dir).lockFile, { force: true });
      const child = spawn(process.execPath, [CHILD, dir, c.chatId], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((r) => child.once('exit', r)); // before the kill: the child may finish first
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('open') && resolve()));
      await new Promise((r) => setTimeout(r, round * 10));
      child.kill('SIGKILL');
      await exited;
      const now = await readFile(chatPath(dir, 'alice', c.chatId));
      const isOriginal = now.equals(original);
      const isRepaired = !isOriginal && same(now, repaired);
      expect(isOriginal || isRepaired, `round ${round}: a mixed file`).toBe(true);
      if (isOriginal) sawOriginal++;
      else sawRepaired++;
      const s2 = await openChatStore({ dataDir: dir });
      const page = await s2.loadChat(c.chatId, { limit: 1000 });
      expect(page.messages.map((m) => m.id)).toEqual([...Array.from({ length: 200 }, (_, i) => `m${i}`), 'late']);
      await s2.repairChat(c.chatId);
      expect((await s2.validateChat(c.chatId)).ok).toBe(true);
      await s2.close();
    }
    console.log(`repair-kill: ${sawOriginal} original, ${sawRepaired} repaired`);
    expect(sawOriginal + sawRepaired).toBe(12);
  }, 120_000);
});

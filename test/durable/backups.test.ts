import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupsToKeep } from '../../electron/durable/backups.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from '../store/helpers.ts';

const HOUR = 3_600_000;
const MIN = 60_000;
const DAY = 24 * HOUR;
// The stated guarantee (README, Design): the first backup after a quiet gap of 5 minutes is kept for 7 days.
const QUIET_GAP = 5 * MIN;
const GAP_KEEP = 7 * DAY;

describe('backup rotation', () => {
  it('keeps the newest N, the first after each quiet gap, and the oldest of each hour and day', () => {
    const now = 100 * 24 * HOUR;
    const backups = [
      ...Array.from({ length: 20 }, (_, i) => ({ path: `burst${i}`, takenAt: now - i * 1000 })), // a burst within a minute
      { path: 'hour-ago', takenAt: now - 1.5 * HOUR },
      { path: 'hour-ago-older', takenAt: now - 1.8 * HOUR },
      { path: 'days-ago', takenAt: now - 3 * 24 * HOUR },
      { path: 'ancient', takenAt: now - 90 * 24 * HOUR },
    ];
    const keep = backupsToKeep(backups, 3, now);
    expect([...keep].sort()).toEqual(['burst0', 'burst1', 'burst19', 'burst2', 'days-ago', 'hour-ago', 'hour-ago-older'].sort());
  });

  it('keeps the first backup of a burst that follows a pause (10:05 backup, 10:30 text, ten rewrites from 10:55)', () => {
    const at = (h: number, m: number) => Date.UTC(2027, 0, 4, h, m);
    const backups = [{ path: '10:05', takenAt: at(10, 5) }, ...Array.from({ length: 10 }, (_, i) => ({ path: `burst${i}`, takenAt: at(10, 55 + i) }))].reverse();
    const keep = backupsToKeep(backups, 5, at(11, 5));
    // burst0 (10:55) is the only copy holding the text written at 10:30.
    expect(keep.has('burst0')).toBe(true);
  });

  it('property: the newest N and every first-after-a-quiet-gap backup younger than 7 days are kept, and the count is bounded', () => {
    const series = fc.record({
      gaps: fc.array(fc.oneof(fc.integer({ min: 0, max: 10 * MIN }), fc.integer({ min: 0, max: 3 * DAY })), { minLength: 1, maxLength: 400 }),
      retention: fc.integer({ min: 1, max: 10 }),
      sinceLast: fc.integer({ min: 0, max: 40 * DAY }),
    });
    fc.assert(
      fc.property(series, ({ gaps, retention, sinceLast }) => {
        let t = 1_700_000_000_000;
        const oldestFirst = gaps.map((g, i) => ({ path: `b${i}`, takenAt: (t += g) }));
        const now = t + sinceLast;
        const newestFirst = [...oldestFirst].reverse();
        const keep = backupsToKeep(newestFirst, retention, now);
        for (const b of newestFirst.slice(0, retention)) expect(keep.has(b.path)).toBe(true);
        oldestFirst.forEach((b, i) => {
          const firstAfterGap = i === 0 || b.takenAt - oldestFirst[i - 1]!.takenAt >= QUIET_GAP;
          if (firstAfterGap && now - b.takenAt < GAP_KEEP) expect(keep.has(b.path)).toBe(true);
        });
        expect(keep.size).toBeLessThanOrEqual(retention + 25 + 31 + GAP_KEEP / QUIET_GAP + 2);
      }),
      { numRuns: 300 },
    );
  });

  it('bounds the count for a dense series: a backup every 5 minutes for 8 days', () => {
    const now = 1_700_000_000_000;
    const backups = Array.from({ length: (8 * DAY) / QUIET_GAP }, (_, i) => ({ path: `b${i}`, takenAt: now - i * QUIET_GAP }));
    expect(backupsToKeep(backups, 5, now).size).toBeLessThanOrEqual(5 + 25 + 31 + GAP_KEEP / QUIET_GAP + 2);
  });

  it('through the store: the 10:55 backup, the only copy of the 10:30 text, survives ten rewrites', async () => {
    const dir = tempDir();
    let clock = Date.UTC(2027, 0, 4, 10, 0);
    const s = await openChatStore({ dataDir: dir, backupRetention: 5, now: () => clock });
    const c = await s.createChat({ characterId: 'alice' });
    await s.appendMessage(c.chatId, { id: 'm', role: 'user', content: 'first draft' });
    clock = Date.UTC(2027, 0, 4, 10, 5);
    await s.compactChat(c.chatId);
    clock = Date.UTC(2027, 0, 4, 10, 30);
    await s.appendMessage(c.chatId, { id: 'n', role: 'user', content: 'the text written at 10:30' });
    for (let i = 0; i < 10; i++) {
      clock = Date.UTC(2027, 0, 4, 10, 55 + i);
      await s.updateMessage(c.chatId, 'n', { content: `bad save ${i}` });
      await s.compactChat(c.chatId);
    }
    await s.close();
    const names = await readdir(join(dir, 'backups', c.chatId));
    const contents = await Promise.all(names.map((n) => readFile(join(dir, 'backups', c.chatId, n), 'utf8')));
    expect(contents.some((t) => t.includes('the text written at 10:30'))).toBe(true);
  });

  it('a burst of rewrites never evicts the copy from before the burst', async () => {
    const dir = tempDir();
    let clock = 1_800_000_000_000;
    const s = await openChatStore({ dataDir: dir, backupRetention: 2, now: () => (clock += 1000) });
    const c = await s.createChat({ characterId: 'alice' });
    await s.appendMessage(c.chatId, { id: 'm', role: 'user', content: 'the good version' });
    const good = await readFile(chatPath(dir, 'alice', c.chatId));
    for (let i = 0; i < 15; i++) {
      await s.updateMessage(c.chatId, 'm', { content: `bad save ${i}` });
      await s.compactChat(c.chatId);
    }
    await s.close();
    const names = (await readdir(join(dir, 'backups', c.chatId))).sort();
    expect(names.length).toBeLessThanOrEqual(4);
    const contents = await Promise.all(names.map((n) => readFile(join(dir, 'backups', c.chatId, n))));
    // The first backup is the file before the first rewrite: the good line plus one appended edit.
    expect(contents.some((b) => b.subarray(0, good.length).equals(good))).toBe(true);
  });
});

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backupsToKeep } from '../../electron/store/backups.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from './helpers.ts';

const HOUR = 3_600_000;

describe('backup rotation', () => {
  it('keeps the newest N plus the oldest of each hour and day', () => {
    const now = 100 * 24 * HOUR;
    const backups = [
      ...Array.from({ length: 20 }, (_, i) => ({ path: `burst${i}`, takenAt: now - i * 1000 })), // a burst within a minute
      { path: 'hour-ago', takenAt: now - 1.5 * HOUR },
      { path: 'hour-ago-older', takenAt: now - 1.8 * HOUR },
      { path: 'days-ago', takenAt: now - 3 * 24 * HOUR },
      { path: 'ancient', takenAt: now - 90 * 24 * HOUR },
    ];
    const keep = backupsToKeep(backups, 3, now);
    expect([...keep].sort()).toEqual(['burst0', 'burst1', 'burst19', 'burst2', 'days-ago', 'hour-ago-older'].sort());
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

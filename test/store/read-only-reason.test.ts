// Issue 15, item 9: a chat damaged by another program while the store has it open says what is
// actually wrong. The store names why a chat is read-only (a newer format only when the header
// says so; else an incomplete last line another program wrote), the validation names the damaged
// line, Repair fixes it at once, and the watcher's notice names the same cause. Real files; the
// damage is written by another process.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { readOnlyNotice } from '../../electron/watcher/chat-watcher.ts';
import { external } from '../watcher/helpers.ts';
import { chatPath, tempDir } from './helpers.ts';

async function chatWith(n: number, dir = tempDir()) {
  const s = await openChatStore({ dataDir: dir });
  const c = await s.createChat({ characterId: 'alice', title: 'Harbour' });
  for (let i = 0; i < n; i++) await s.appendMessage(c.chatId, { id: `m${i}`, role: 'user', content: `message ${i}` });
  return { s, dir, chatId: c.chatId, path: chatPath(dir, 'alice', c.chatId) };
}

/** The file with a garbage line after line `after` and its last line cut in half. */
function damaged(text: string, after: number): string {
  const lines = text.split('\n');
  const last = lines.at(-2)!;
  return [...lines.slice(0, after), 'garbage from another program', ...lines.slice(after, -2), last.slice(0, Math.floor(last.length / 2))].join('\n');
}

describe('why a chat is read-only', () => {
  it('a garbage line and a cut last line by another program while open: incomplete_last_line (not a newer format), the damaged line named, Repair at once', async () => {
    const { s, chatId, path } = await chatWith(3);
    try {
      expect(await s.getChat(chatId)).toMatchObject({ status: 'ok' });
      expect((await s.getChat(chatId)).readOnlyReason).toBeUndefined();
      const bad = damaged(await readFile(path, 'utf8'), 2); // garbage at line 3, m2 torn
      await external('write', path, bad);

      const summary = await s.refreshChat(chatId); // what the watcher calls
      expect(summary).toMatchObject({ status: 'read_only', readOnlyReason: 'incomplete_last_line' });
      const page = await s.loadChat(chatId);
      expect(page).toMatchObject({ readOnly: true, readOnlyReason: 'incomplete_last_line' });
      expect(page.messages.map((m) => m.id)).toEqual(['m0', 'm1']);
      expect((await s.listChats('alice'))[0]).toMatchObject({ status: 'read_only', readOnlyReason: 'incomplete_last_line' });
      await expect(s.appendMessage(chatId, { role: 'user', content: 'x' })).rejects.toMatchObject({ code: 'READ_ONLY' });
      expect(await readFile(path, 'utf8')).toBe(bad); // kept as that program left it

      const report = await s.validateChat(chatId);
      expect(report.readOnly).toBe(false);
      expect(report.repairable).toBe(true);
      expect(report.problems.filter((p) => p.severity === 'error').map((p) => [p.kind, p.line])).toEqual([
        ['invalid_line', 3],
        ['torn_tail', 5],
      ]);

      // No restart needed: Repair cuts both into quarantine and the chat is writable again.
      expect(await s.repairChat(chatId)).toMatchObject({ repaired: true });
      const after = await s.getChat(chatId);
      expect(after).toMatchObject({ status: 'ok', messageCount: 2 });
      expect(after.readOnlyReason).toBeUndefined();
      expect((await s.loadChat(chatId)).readOnly).toBe(false);
      await s.appendMessage(chatId, { id: 'm9', role: 'user', content: 'after repair' });
      expect((await s.listBackups(chatId)).length).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('a newer format version is newer_format, also when it keeps a torn last line; it survives the index at the next start', async () => {
    const { s, dir, chatId, path } = await chatWith(2);
    await s.close();
    const [header, ...rest] = (await readFile(path, 'utf8')).split('\n');
    await writeFile(path, [JSON.stringify({ ...JSON.parse(header!), version: 2 }), ...rest].join('\n') + '{"id":"half","ro');
    const s2 = await openChatStore({ dataDir: dir });
    try {
      expect(await s2.getChat(chatId)).toMatchObject({ status: 'read_only', readOnlyReason: 'newer_format' });
      expect(await s2.loadChat(chatId)).toMatchObject({ readOnly: true, readOnlyReason: 'newer_format' });
      expect((await s2.validateChat(chatId)).readOnly).toBe(true);
    } finally {
      await s2.close();
    }
    // Listed from index.json at the next start: the reason is kept with the summary.
    const s3 = await openChatStore({ dataDir: dir });
    try {
      expect((await s3.listAllChats())[0]).toMatchObject({ chatId, status: 'read_only', readOnlyReason: 'newer_format' });
    } finally {
      await s3.close();
    }
  });

  it("the watcher's notice names the store's reason", () => {
    const base = { chatId: 'c', characterId: 'a', title: 'Harbour', messageCount: 1, created: 0, updated: 0, preview: null, sizeBytes: 1, revision: 1 };
    expect(readOnlyNotice({ ...base, status: 'ok' })).toBeNull();
    const torn = readOnlyNotice({ ...base, status: 'read_only', readOnlyReason: 'incomplete_last_line' })!;
    expect(torn).toContain('last line is incomplete');
    expect(torn).not.toContain('newer');
    const newer = readOnlyNotice({ ...base, status: 'read_only', readOnlyReason: 'newer_format' })!;
    expect(newer).toContain('newer format');
    expect(newer).not.toContain('incomplete');
  });
});

describe('listing backups', () => {
  it('a backups folder that cannot be read is an error, never "no backups"', async () => {
    const { s, dir, chatId } = await chatWith(1);
    try {
      expect(await s.listBackups(chatId)).toEqual([]); // none taken yet: the folder does not exist
      await mkdir(join(dir, 'backups'), { recursive: true });
      await writeFile(join(dir, 'backups', chatId), 'not a folder'); // readdir: ENOTDIR
      await expect(s.listBackups(chatId)).rejects.toMatchObject({ code: 'IO_ERROR' });
    } finally {
      await s.close();
    }
  });
});

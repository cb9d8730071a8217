// Smaller faults of issue 6 (section 7): quarantine marks after a failed copy, the chat list's
// `updated` across restarts, and a read-only chat's torn tail reported more than once.
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, faultySeam, tempDir } from './helpers.ts';

describe('a damaged line whose quarantine copy failed', () => {
  it('is reported once the copy succeeds, not forgotten as already quarantined', async () => {
    const dir = tempDir();
    let s = await openChatStore({ dataDir: dir });
    const { chatId } = await s.createChat({ characterId: 'c' });
    await s.close();
    const path = chatPath(dir, 'c', chatId);
    await appendFile(path, '{"id":"a","role":"user","content":"a","timestamp":1}\n{"id":"b","role":broken}\n{"id":"c","role":"user","content":"c","timestamp":2}\n');
    const { seam, faults } = faultySeam();
    s = await openChatStore({ dataDir: dir, fs: seam });
    faults.open = { code: 'ENOSPC', match: 'quarantine' };
    await expect(s.loadChat(chatId)).rejects.toMatchObject({ code: 'DISK_FULL' });
    delete faults.open;
    const page = await s.loadChat(chatId);
    expect(page.messages.map((m) => m.id)).toEqual(['a', 'c']);
    expect(page.warnings).toMatchObject([{ kind: 'quarantined_line', quarantinePath: expect.stringMatching(/^quarantine\//) }]);
    expect(await readFile(`${dir}/${page.warnings[0]!.quarantinePath}`, 'utf8')).toBe('{"id":"b","role":broken}');
    await s.close();
  });
});

describe('the chat list order survives a restart', () => {
  it('updated comes from the file: renames, edits of old messages and deletes count after a restart too', async () => {
    const dir = tempDir();
    let t = 1_000_000;
    let s = await openChatStore({ dataDir: dir, now: () => (t += 1000) });
    const ids: string[] = [];
    for (const title of ['renamed', 'edited', 'deleted', 'untouched']) {
      const { chatId } = await s.createChat({ characterId: 'c', title });
      await s.appendMessage(chatId, { id: 'old', role: 'user', content: 'old' });
      await s.appendMessage(chatId, { id: 'last', role: 'user', content: 'last' });
      ids.push(chatId);
    }
    await s.renameChat(ids[0]!, 'renamed!');
    await s.updateMessage(ids[1]!, 'old', { content: 'edited' });
    await s.deleteMessage(ids[2]!, 'old');
    const before = (await s.listChats('c')).map((c) => [c.title, c.updated]);
    expect(before.map(([title]) => title)).toEqual(['deleted', 'edited', 'renamed!', 'untouched']);
    await s.close();
    s = await openChatStore({ dataDir: dir, now: () => (t += 1000) });
    expect((await s.listChats('c')).map((c) => [c.title, c.updated])).toEqual(before);
    // Compaction folds those records away; the header keeps their time.
    for (const id of ids) await s.compactChat(id);
    expect((await s.listChats('c')).map((c) => [c.title, c.updated])).toEqual(before);
    await s.close();
    s = await openChatStore({ dataDir: dir });
    expect((await s.listChats('c')).map((c) => [c.title, c.updated])).toEqual(before);
    await s.close();
  });
});

describe('a read-only chat with a torn tail', () => {
  it('reports the torn tail once, however often its log is reopened', async () => {
    const dir = tempDir();
    let s = await openChatStore({ dataDir: dir });
    const { chatId } = await s.createChat({ characterId: 'c' });
    await s.appendMessage(chatId, { id: 'a', role: 'user', content: 'a' });
    const others: string[] = [];
    for (let i = 0; i < 70; i++) others.push((await s.createChat({ characterId: 'o' })).chatId);
    await s.close();
    const path = chatPath(dir, 'c', chatId);
    const text = await readFile(path, 'utf8');
    // A newer format version opens read-only: the torn tail is kept in the file.
    await writeFile(path, `${text.replace('"version":1', '"version":2')}{"id":"torn","role":"us`);
    s = await openChatStore({ dataDir: dir });
    for (let round = 0; round < 3; round++) {
      const page = await s.loadChat(chatId);
      expect(page.readOnly).toBe(true);
      expect(page.messages.map((m) => m.id)).toEqual(['a']);
      expect(page.warnings.map((w) => w.kind)).toEqual(['torn_tail']);
      for (const o of others) await s.getChat(o); // closes the idle chat's log (at most 64 stay open)
    }
    await s.close();
  });
});

// Defects a review of the merged store found, each reproduced first: a repair that dropped
// byte-identical lines readers apply (lost streamed text and swipes), restores and repairs that
// moved the revision backwards (a stale expectedRevision matched again), an edit that made an
// interrupted reply "streaming" again, and find/jump that missed an escaped "op" key.
import { appendFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { chatPath, tempDir } from './helpers.ts';

describe('review fixes', () => {
  it('a repair keeps byte-identical changes readers apply: two equal checkpoints, two equal swipes in one millisecond', async () => {
    const dataDir = tempDir();
    const s = await openChatStore({ dataDir, now: () => 1_700_000_000_000 }); // one millisecond throughout
    const c = await s.createChat({ characterId: 'a' });
    const m = await s.appendMessage(c.chatId, { role: 'assistant', content: 'Ha' });
    for (let i = 0; i < 3; i++) await s.appendText(c.chatId, m.id, ' ha');
    await s.updateMessage(c.chatId, m.id, { addSwipe: 'same' });
    await s.updateMessage(c.chatId, m.id, { addSwipe: 'same' });
    const before = (await s.loadChat(c.chatId)).messages[0]!;
    expect(before.swipes).toEqual(['Ha ha ha ha', 'same', 'same']);
    const report = await s.validateChat(c.chatId);
    expect(report.ok).toBe(true);
    await s.repairChat(c.chatId);
    expect((await s.loadChat(c.chatId)).messages[0]!.swipes).toEqual(before.swipes);
    await s.close();
  });

  it('restoring a backup and repairing both move the revision forward: a stale expectedRevision is refused', async () => {
    const dataDir = tempDir();
    const s = await openChatStore({ dataDir });
    const c = await s.createChat({ characterId: 'a' });
    await s.appendMessage(c.chatId, { role: 'user', content: 'm1' });
    await s.compactChat(c.chatId); // a backup with only m1
    const [backup] = await s.listBackups(c.chatId);
    for (let i = 0; i < 5; i++) await s.appendMessage(c.chatId, { role: 'user', content: `long message number ${i} `.repeat(4) });
    const seenByA = (await s.getChat(c.chatId)).revision;
    await s.restoreBackup(c.chatId, backup!.backupId);
    const afterRestore = (await s.getChat(c.chatId)).revision;
    expect(afterRestore).toBeGreaterThan(seenByA);
    // B writes; A, who last saw `seenByA`, must be refused however the sizes line up.
    await s.appendMessage(c.chatId, { role: 'user', content: 'from B' });
    await expect(s.appendMessage(c.chatId, { role: 'user', content: 'from A' }, { expectedRevision: seenByA })).rejects.toMatchObject({ code: 'CONFLICT' });
    // A repair that drops a damaged line still moves forward.
    appendFileSync(chatPath(dataDir, 'a', c.chatId), '{"id":"broken","role":"user"\n');
    await s.close();
    const s2 = await openChatStore({ dataDir });
    await s2.appendMessage(c.chatId, { role: 'user', content: 'after the damage' });
    const beforeRepair = (await s2.getChat(c.chatId)).revision;
    await s2.repairChat(c.chatId);
    expect((await s2.getChat(c.chatId)).revision).toBeGreaterThan(beforeRepair);
    await s2.close();
  });

  it('an edit of an interrupted reply keeps it interrupted (only the app marks a reply streaming)', async () => {
    const dataDir = tempDir();
    const s = await openChatStore({ dataDir });
    const c = await s.createChat({ characterId: 'a' });
    await s.appendMessage(c.chatId, { id: 'r', role: 'assistant', content: 'half', status: 'streaming' });
    await s.close(); // the process that streamed is gone
    const s2 = await openChatStore({ dataDir });
    expect((await s2.loadChat(c.chatId)).messages[0]!.status).toBe('interrupted');
    expect((await s2.updateMessage(c.chatId, 'r', { content: 'half, edited' })).status).toBe('interrupted');
    expect((await s2.updateMessage(c.chatId, 'r', { addSwipe: 'other' })).status).toBe('interrupted');
    expect((await s2.loadChat(c.chatId)).messages[0]!.status).toBe('interrupted');
    await s2.close();
  });

  it('find and jump see a delete written by another tool with an escaped key, as paging does', async () => {
    const dataDir = tempDir();
    const s = await openChatStore({ dataDir });
    const c = await s.createChat({ characterId: 'a' });
    for (const id of ['a', 'b', 'c']) await s.appendMessage(c.chatId, { id, role: 'user', content: `word ${id}` });
    await s.close();
    appendFileSync(chatPath(dataDir, 'a', c.chatId), `{"id":"b","timestamp":${Date.now()},"o\\u0070":"delete"}\n`);
    const s2 = await openChatStore({ dataDir });
    expect((await s2.loadChat(c.chatId)).messages.map((m) => m.id)).toEqual(['a', 'c']);
    expect((await s2.searchChat(c.chatId, 'word')).matches.map((m) => m.id)).toEqual(['a', 'c']);
    expect((await s2.loadChat(c.chatId, { around: 'c' })).messages.map((m) => m.id)).toEqual(['a', 'c']);
    await expect(s2.loadChat(c.chatId, { around: 'b' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await s2.close();
  });
});

describe('durable directories under concurrency', () => {
  it('a caller that finds a new directory already there waits until its creator has made it durable', async () => {
    const { nodeFs, openChatStore: open } = await import('../../electron/store/index.ts');
    const events: string[] = [];
    let slow = false;
    // mkdir that is slow to return: the directory exists at once, its parent's fsync comes later.
    const fs = {
      ...nodeFs,
      mkdir: (async (p: string, o: unknown) => {
        const r = await nodeFs.mkdir(p, o as never);
        if (slow && p.endsWith('/bob')) {
          await new Promise((res) => setTimeout(res, 300));
          events.push('mkdir of bob returned'); // its creator fsyncs chats/ right after
        }
        return r;
      }) as typeof nodeFs.mkdir,
    };
    const s = await open({ dataDir: tempDir(), fs });
    slow = true;
    const a = s.createChat({ characterId: 'bob', title: 'A' }).then(() => events.push('A acknowledged'));
    await new Promise((r) => setTimeout(r, 50));
    const b = s.createChat({ characterId: 'bob', title: 'B' }).then(() => events.push('B acknowledged'));
    await Promise.all([a, b]);
    expect(events[0]).toBe('mkdir of bob returned'); // B is not acknowledged before that
    await s.close();
  });
});

// The summary a conflict-copy merge hands back (and puts in the chat index) is counted by the merge,
// not read from the 50 MB it just wrote (chats/merge-copies.ts, IndexKeeper.summaryOfWritten): it
// must be the summary a fresh store reads from the merged file. Randomized: two copies of a chat
// diverge by appends, edits, deletes and renames made through the store, then one is merged into
// the other as a sync tool's conflict copy would be.
import fc from 'fast-check';
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openChatStore } from '../../electron/store/index.ts';
import { ChatLog } from '../../electron/store/log/chat-log.ts';
import { mergeChats, mergeOnCommonPrefix, mergeWhole } from '../../electron/store/merge/merge-chats.ts';
import type { ChatStore } from '../../electron/store/types.ts';
import { chatPath, tempDir } from './helpers.ts';

type Op = { t: 'append'; text: string } | { t: 'edit'; pick: number; text: string } | { t: 'delete'; pick: number } | { t: 'rename'; title: string };

const text = fc.constantFrom('a', 'b', 'hello', 'é ✓', 'x"y');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('append' as const), text }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('edit' as const), pick: fc.nat(10), text }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), pick: fc.nat(10) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rename' as const), title: fc.constantFrom('One', 'Two', 'Three') }) },
);

async function run(store: ChatStore, chatId: string, ops: Op[]): Promise<void> {
  for (const o of ops) {
    if (o.t === 'append') await store.appendMessage(chatId, { role: 'user', content: o.text });
    else if (o.t === 'rename') await store.renameChat(chatId, o.title);
    else {
      const live = (await store.loadChat(chatId, { limit: 1000 })).messages;
      const m = live[o.pick % Math.max(1, live.length)];
      if (!m) continue;
      if (o.t === 'edit') await store.updateMessage(chatId, m.id, { content: o.text });
      else await store.deleteMessage(chatId, m.id);
    }
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the summary of a merged conflict copy', () => {
  it('is the one a fresh read of the merged file gives; counted, not read, whenever the merge wrote (randomized)', async () => {
    const stats = vi.spyOn(ChatLog.prototype, 'stats');
    let counted = 0;
    let shared = 0;
    let sharedOverMetas = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 8 }), fc.array(op, { maxLength: 6 }), fc.array(op, { maxLength: 6 }), fc.boolean(), async (common, onMine, onTheirs, renamedEarly) => {
        const root = tempDir();
        const mineDir = join(root, 'mine');
        const theirsDir = join(root, 'theirs');
        // Both sides on one clock: their changes interleave in time.
        let t = 1_700_000_000_000;
        const now = () => (t += 7);
        const base = await openChatStore({ dataDir: mineDir, now });
        const { chatId } = await base.createChat({ characterId: 'cz', title: 'Start' });
        // A few messages first, which later changes often leave alone (a shared beginning: the merge's shortcut).
        // Often a rename among them: a meta record inside the shared lines the shortcut keeps (the merge moves it after the messages).
        const first = Array.from({ length: 3 }, () => ({ t: 'append' as const, text: 'first' }));
        await run(base, chatId, [...first, ...(renamedEarly ? [{ t: 'rename' as const, title: 'Early' }] : []), ...first, ...common]);
        await base.close();
        await cp(join(mineDir, 'chats'), join(theirsDir, 'chats'), { recursive: true });
        const other = await openChatStore({ dataDir: theirsDir, now });
        await run(other, chatId, onTheirs);
        await other.close();
        const store = await openChatStore({ dataDir: mineDir, now });
        try {
          await run(store, chatId, onMine);
          await store.getChat(chatId); // warm, as in the app
          const copy = join(mineDir, 'chats', 'cz', `${chatId}.sync-conflict-20250102-030405-LAPTOP1.jsonl`);
          const theirs = await readFile(chatPath(theirsDir, 'cz', chatId));
          await writeFile(copy, theirs);
          const mergedBefore = await readFile(chatPath(mineDir, 'cz', chatId));
          const expected = mergeChats(mergedBefore, theirs);
          if ('error' in expected) throw new Error(expected.error);
          const shortcut = mergeOnCommonPrefix(mergedBefore, theirs);
          if (shortcut && !('error' in shortcut)) {
            shared++;
            // A meta record (a rename) among the shared lines: the shortcut keeps the lines around it, laid out in place without it.
            if (renamedEarly || common.some((o) => o.t === 'rename')) sharedOverMetas++;
          }
          stats.mockClear();
          const r = await store.discoverChat(copy);
          expect(r.kind).toBe('merged');
          if (r.kind !== 'merged') return;
          const after = await readFile(chatPath(mineDir, 'cz', chatId));
          const wrote = !after.equals(mergedBefore);
          if (wrote && stats.mock.calls.length === 0) counted++;
          // The file holds the merge (laid out in the buffer the chat was read into, when the shortcut
          // applies): its records exactly, under the merged header with the new revision_base.
          if (wrote) {
            const nl = after.indexOf(0x0a);
            expect(after.subarray(nl + 1).equals(Buffer.concat(expected.body))).toBe(true);
            const { revision_base: _rb, ...header } = JSON.parse(after.toString('utf8', 0, nl)) as Record<string, unknown>;
            expect(header).toEqual(JSON.parse(JSON.stringify(expected.header)));
          } else expect(expected.changed).toBe(false);
          // A fresh store on the merged chat file alone (no index of it): the summary read from the file.
          const freshDir = join(root, 'fresh');
          await cp(join(mineDir, 'chats'), join(freshDir, 'chats'), { recursive: true });
          const fresh = await openChatStore({ dataDir: freshDir });
          try {
            const { revision: _r, ...read } = await fresh.getChat(chatId);
            const { revision: _m, ...got } = r.summary;
            expect(got).toEqual(read);
            const { revision: _i, ...listed } = await store.getChat(chatId);
            expect(listed).toEqual(read);
            expect((await store.loadChat(chatId, { limit: 1000 })).messages).toEqual((await fresh.loadChat(chatId, { limit: 1000 })).messages);
          } finally {
            await fresh.close();
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: Number(process.env.MERGE_SUMMARY_RUNS ?? 60) },
    );
    // The counted summary is what ran (not only the full read it falls back to), and the shortcut for a shared beginning too.
    expect(counted).toBeGreaterThan(10);
    expect(shared).toBeGreaterThan(5);
    expect(sharedOverMetas).toBeGreaterThan(2);
  }, 240_000);

  it('meta records and change records among the shared lines: the merge is written as the full merge lays it out, the metas moved after the messages', async () => {
    // As the bench's chat is when the merge runs: its settings changed (meta records) and its newest message edited and swiped (change records) in the shared beginning.
    let t = 1_700_000_000_000;
    const now = () => (t += 7);
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir, now });
    try {
      const { chatId } = await store.createChat({ characterId: 'cz', title: 'Start' });
      for (let i = 0; i < 30; i++) await store.appendMessage(chatId, { role: 'user', content: `shared ${i}` });
      await store.renameChat(chatId, 'Renamed');
      const m = await store.appendMessage(chatId, { role: 'assistant', content: 'reply' });
      await store.updateMessage(chatId, m.id, { content: 'reply, edited' });
      await store.updateMessage(chatId, m.id, { addSwipe: 'another reply' });
      for (let i = 0; i < 10; i++) await store.appendMessage(chatId, { role: 'user', content: `shared later ${i}` });
      await store.updateChatMetadata(chatId, { author_note: { text: 'It is raining.', depth: 4, role: 'system' } });
      const path = chatPath(dataDir, 'cz', chatId);
      const base = await readFile(path);
      const line = (id: string, i: number) => `${JSON.stringify({ id, role: 'user', content: `${id} ${'x'.repeat(i)}`, timestamp: (t += 7) })}\n`;
      const copy = join(dataDir, 'chats', 'cz', `${chatId}.sync-conflict-20250102-030405-LAPTOP1.jsonl`);
      const theirs = Buffer.concat([base, Buffer.from(Array.from({ length: 20 }, (_, i) => line(`there-${i}`, i)).join(''))]);
      await writeFile(copy, theirs);
      for (let i = 0; i < 20; i++) await store.appendMessage(chatId, { role: 'user', content: `here ${i}` });
      const mine = await readFile(path);
      const expected = mergeWhole(mine, theirs);
      if ('error' in expected) throw new Error(expected.error);
      const shortcut = mergeOnCommonPrefix(mine, theirs);
      expect(shortcut && !('error' in shortcut) && shortcut.body.length).toBeGreaterThan(2); // the stable lines in pieces around the metas
      const r = await store.discoverChat(copy);
      expect(r.kind).toBe('merged');
      const after = await readFile(path);
      const nl = after.indexOf(0x0a);
      expect(after.subarray(nl + 1).toString('utf8')).toBe(Buffer.concat(expected.body).toString('utf8'));
      expect((await store.getChat(chatId)).title).toBe('Renamed');
      expect((await store.loadChat(chatId, { limit: 1000 })).messages).toHaveLength(30 + 1 + 10 + 20 + 20);
    } finally {
      await store.close();
    }
  });

  it('a conflict copy that is gone by the time it is read is ignored, the chat unchanged', async () => {
    const dataDir = tempDir();
    const store = await openChatStore({ dataDir });
    try {
      const { chatId } = await store.createChat({ characterId: 'cz', title: 'Start' });
      const before = await readFile(chatPath(dataDir, 'cz', chatId));
      const copy = join(dataDir, 'chats', 'cz', `${chatId}.sync-conflict-20250102-030405-LAPTOP1.jsonl`);
      expect(await store.discoverChat(copy)).toEqual({ kind: 'ignored', reason: 'gone' });
      expect((await readFile(chatPath(dataDir, 'cz', chatId))).equals(before)).toBe(true);
    } finally {
      await store.close();
    }
  });
});

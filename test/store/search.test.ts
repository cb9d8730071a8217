// Find in chat (searchChat) and the page around / after a message (loadChat { around, after }):
// both read the whole file forward and must reflect each message's current text and liveness.
import { appendFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openChatStore, type ChatStore } from '../../electron/store/index.ts';
import { prefilter } from '../../electron/store/search.ts';
import { idHash } from '../../electron/store/line-scan.ts';
import { chatPath, tempDir } from './helpers.ts';

async function withChat<T>(fn: (s: ChatStore, chatId: string, dir: string) => Promise<T>): Promise<T> {
  const dir = tempDir();
  const s = await openChatStore({ dataDir: dir });
  try {
    const { chatId } = await s.createChat({ characterId: 'seraphina' });
    return await fn(s, chatId, dir);
  } finally {
    await s.close();
  }
}

const ids = (r: { matches: { id: string }[] }) => r.matches.map((m) => m.id);

describe('searchChat', () => {
  it('finds messages case-insensitively over the whole file, in chat order, with the total', () =>
    withChat(async (s, chatId) => {
      const many = Array.from({ length: 300 }, (_, i) => ({ id: `m${i}`, role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant', content: i % 100 === 7 ? `A Lantern glows (${i})` : `plain text ${i}` }));
      await s.appendMessages(chatId, many);
      const r = await s.searchChat(chatId, 'lANTERN');
      expect(ids(r)).toEqual(['m7', 'm107', 'm207']);
      expect(r.total).toBe(3);
      expect(r.matches[0]).toMatchObject({ id: 'm7', role: 'assistant', snippet: 'A Lantern glows (7)' });
      expect((await s.searchChat(chatId, 'nowhere')).total).toBe(0);
    }));

  it('reflects edits, deletes, swipes and appended text', () =>
    withChat(async (s, chatId) => {
      await s.appendMessages(chatId, [
        { id: 'a', role: 'user', content: 'the old key' },
        { id: 'b', role: 'assistant', content: 'nothing here' },
        { id: 'c', role: 'assistant', content: 'a key again' },
        { id: 'd', role: 'assistant', content: 'first swipe with key', swipes: ['first swipe with key'], swipe_id: 0 },
        { id: 'e', role: 'assistant', content: 'partial k' },
      ]);
      await s.updateMessage(chatId, 'a', { content: 'edited away' }); // matched before, not now
      await s.updateMessage(chatId, 'b', { content: 'now a KEY' }); // did not match, matches now
      await s.deleteMessage(chatId, 'c'); // deleted: never a match
      await s.updateMessage(chatId, 'd', { addSwipe: 'second swipe, no match' }); // the selected swipe decides
      await s.appendText(chatId, 'e', 'ey'); // "partial k" + "ey" = "partial key"
      expect(ids(await s.searchChat(chatId, 'key'))).toEqual(['b', 'e']);
      await s.updateMessage(chatId, 'd', { selectSwipe: 0 });
      expect(ids(await s.searchChat(chatId, 'key'))).toEqual(['b', 'd', 'e']);
    }));

  it('keeps the newest matches when more than the limit match, and counts them all', () =>
    withChat(async (s, chatId) => {
      await s.appendMessages(chatId, Array.from({ length: 30 }, (_, i) => ({ id: `m${i}`, role: 'user' as const, content: `word ${i}` })));
      const r = await s.searchChat(chatId, 'word', 5);
      expect(r.total).toBe(30);
      expect(ids(r)).toEqual(['m25', 'm26', 'm27', 'm28', 'm29']);
    }));

  it('pages through every match: offsets in chat order, the total, the newest page by default', () =>
    withChat(async (s, chatId) => {
      await s.appendMessages(chatId, Array.from({ length: 1300 }, (_, i) => ({ id: `m${i}`, role: 'user' as const, content: i % 2 ? `odd word ${i}` : `even ${i}` })));
      await s.deleteMessage(chatId, 'm3');
      await s.updateMessage(chatId, 'm4', { content: 'a word now' });
      const all = ['m1', 'm4', ...Array.from({ length: 648 }, (_, k) => `m${2 * k + 5}`)];
      const first = await s.searchChat(chatId, 'WORD');
      expect(first.total).toBe(all.length);
      expect(first.offset).toBe(all.length - 500);
      expect(ids(first)).toEqual(all.slice(-500));
      const pages: string[] = [];
      for (let at = 0; at < first.total; at += 200) {
        const p = await s.searchChat(chatId, 'word', 200, at);
        expect(p.offset).toBe(at);
        expect(p.total).toBe(all.length);
        pages.push(...ids(p));
      }
      expect(pages).toEqual(all); // every match, the oldest too, each once
      const past = await s.searchChat(chatId, 'word', 10, 10_000);
      expect(past).toMatchObject({ matches: [], total: all.length, offset: all.length });
      await expect(s.searchChat(chatId, 'word', 10, -1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(s.searchChat(chatId, 'word', 10, 1.5)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }));

  it('matches JSON-escaped text, non-ASCII case, and `<script>` as plain text', () =>
    withChat(async (s, chatId) => {
      await s.appendMessages(chatId, [
        { id: 'q', role: 'user', content: 'She said "hi"\nand left' },
        { id: 'u', role: 'user', content: 'CAFÉ Zoë' },
        { id: 's', role: 'user', content: '<script>alert(1)</script>' },
      ]);
      expect(ids(await s.searchChat(chatId, 'said "hi"\nand'))).toEqual(['q']);
      expect(ids(await s.searchChat(chatId, 'café zoË'))).toEqual(['u']);
      expect(ids(await s.searchChat(chatId, '<SCRIPT>'))).toEqual(['s']);
    }));

  it('follows the file format rules for hand-made lines: other key order, \\u escapes, a second first appearance, orphans', () =>
    withChat(async (s, chatId, dir) => {
      await s.appendMessages(chatId, [
        { id: 'x', role: 'user', content: 'needle one' },
        { id: 'y', role: 'user', content: 'hay' },
      ]);
      await s.close();
      const file = chatPath(dir, 'seraphina', chatId);
      await appendFile(
        file,
        [
          '{"role":"user","content":"needle in another key order","timestamp":1,"id":"z"}',
          '{"id":"w","role":"user","content":"n\\u0065edle escaped","timestamp":2}',
          '{"id":"x","role":"user","content":"replaced, no match","timestamp":3}', // second first appearance
          '{"op":"edit","id":"ghost","timestamp":4,"content":"needle orphan"}', // change before any appearance
          '',
        ].join('\n'),
      );
      const s2 = await openChatStore({ dataDir: dir });
      try {
        expect(ids(await s2.searchChat(chatId, 'needle'))).toEqual(['z', 'w']);
      } finally {
        await s2.close();
      }
    }));

  it('refuses an empty query', () => withChat(async (s, chatId) => expect(s.searchChat(chatId, '')).rejects.toMatchObject({ code: 'INVALID_INPUT' })));

  it('prefilter: no false negatives for the byte forms a query can take in a line', () => {
    const line = (content: string) => JSON.stringify({ id: 'a', content });
    for (const [content, query] of [
      ['Hello World', 'o w'],
      ['tab\there', 'b\th'],
      ['quote "x"', '"X"'],
      ['back\\slash', '\\S'],
      ['ÉCOLE', 'éc'],
      ['日本語のテキスト', '本語'],
    ] as const) {
      expect(prefilter(query).test(Buffer.from(line(content)).toString('latin1')), `${query} in ${content}`).toBe(true);
    }
  });

  it('two ids with the same hash are told apart by the id itself', () =>
    withChat(async (s, chatId) => {
      const [A, B] = ['a-same-tail-sixteen', 'b-same-tail-sixteen']; // same length, same last 16 characters
      expect(idHash(A)).toBe(idHash(B));
      await s.appendMessages(chatId, [
        { id: A, role: 'user', content: 'needle' },
        { id: B, role: 'user', content: 'other' },
      ]);
      expect(ids(await s.searchChat(chatId, 'needle'))).toEqual([A]);
      await s.updateMessage(chatId, A, { content: 'edited needle' });
      expect(ids(await s.searchChat(chatId, 'needle'))).toEqual([A]);
      expect((await s.loadChat(chatId, { around: A })).messages.map((m) => m.id)).toEqual([A, B]);
      await s.deleteMessage(chatId, B);
      expect((await s.loadChat(chatId, { around: A })).messages.map((m) => m.id)).toEqual([A]);
    }));
});

describe('loadChat around / after', () => {
  async function fill(s: ChatStore, chatId: string, n: number) {
    await s.appendMessages(chatId, Array.from({ length: n }, (_, i) => ({ id: `m${i}`, role: 'user' as const, content: `text ${i}` })));
  }
  const pageIds = (p: { messages: { id: string }[] }) => p.messages.map((m) => m.id);

  it('returns the page centred on the message, with older and newer flags', () =>
    withChat(async (s, chatId) => {
      await fill(s, chatId, 100);
      const p = await s.loadChat(chatId, { around: 'm40', limit: 5 });
      expect(pageIds(p)).toEqual(['m38', 'm39', 'm40', 'm41', 'm42']);
      expect(p).toMatchObject({ hasMore: true, hasNewer: true });
      const start = await s.loadChat(chatId, { around: 'm1', limit: 5 });
      expect(pageIds(start)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
      expect(start).toMatchObject({ hasMore: false, hasNewer: true });
      const end = await s.loadChat(chatId, { around: 'm99', limit: 5 });
      expect(pageIds(end)).toEqual(['m95', 'm96', 'm97', 'm98', 'm99']);
      expect(end).toMatchObject({ hasMore: true, hasNewer: false });
    }));

  it('skips deleted messages, shows current text, and refuses a deleted or unknown anchor', () =>
    withChat(async (s, chatId) => {
      await fill(s, chatId, 10);
      await s.deleteMessage(chatId, 'm4');
      await s.updateMessage(chatId, 'm6', { content: 'edited six' });
      const p = await s.loadChat(chatId, { around: 'm5', limit: 5 });
      expect(pageIds(p)).toEqual(['m2', 'm3', 'm5', 'm6', 'm7']);
      expect(p.messages[3]!.content).toBe('edited six');
      await expect(s.loadChat(chatId, { around: 'm4' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(s.loadChat(chatId, { around: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    }));

  it('agrees with before-paging and continues with after-paging', () =>
    withChat(async (s, chatId) => {
      await fill(s, chatId, 50);
      const around = await s.loadChat(chatId, { around: 'm20', limit: 7 });
      const before = await s.loadChat(chatId, { before: 'm21', limit: 4 });
      expect(pageIds(around).slice(0, 4)).toEqual(pageIds(before));
      const after = await s.loadChat(chatId, { after: 'm23', limit: 3 });
      expect(pageIds(after)).toEqual(['m24', 'm25', 'm26']);
      expect(after).toMatchObject({ hasMore: true, hasNewer: true });
      const last = await s.loadChat(chatId, { after: 'm47', limit: 3 });
      expect(pageIds(last)).toEqual(['m48', 'm49']);
      expect(last.hasNewer).toBe(false);
      await expect(s.loadChat(chatId, { around: 'm1', before: 'm2' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }));
});

// The index's fast line classifier (sniff) must read every line as JSON.parse + zod do: a line
// with a duplicate, escaped or reordered key used to be indexed as another record than the full
// parse (and compaction) saw, so the user was shown different messages.
import { appendFile, readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openChatStore, readFullState } from '../../electron/store/index.ts';
import { BlockTokens, parseRecord, sniff } from '../../electron/store/records.ts';
import { chatPath, tempDir } from './helpers.ts';

type Entry = [key: string, value: unknown];

const ids = fc.constantFrom('a', 'm1', 'id', 'op', 'x.y-z_1', '.dot', 'A'.repeat(128), 'A'.repeat(129), 'é', 'a"b');
const ops = fc.constantFrom('edit', 'swipe_add', 'swipe_select', 'delete', 'meta', 'bogus');
const text = fc.oneof(
  fc.string(),
  fc.constantFrom('"op"', '"id":"z"', 'say "op', '\\u0070', 'C:\\users', '"op":"delete"', ',"id":"b"}', '\u0001'),
);
const timestamp = fc.nat();

/** A record as our writer orders it (id first, or op then id first), as [key, value] entries. */
const record: fc.Arbitrary<Entry[]> = fc.oneof(
  fc.tuple(ids, fc.constantFrom('user', 'assistant'), text, timestamp).map(([id, role, content, ts]): Entry[] => [['id', id], ['role', role], ['content', content], ['timestamp', ts]]),
  fc.tuple(ops, ids, timestamp, text).map(([op, id, ts, content]): Entry[] => [['op', op], ['id', id], ['timestamp', ts], ['content', content]]),
  fc.tuple(ids, timestamp, fc.nat(3)).map(([id, ts, index]): Entry[] => [['op', 'swipe_select'], ['id', id], ['timestamp', ts], ['index', index]]),
  fc.tuple(ids, timestamp).map(([id, ts]): Entry[] => [['op', 'delete'], ['id', id], ['timestamp', ts]]),
  fc.tuple(timestamp, text).map(([ts, title]): Entry[] => [['op', 'meta'], ['timestamp', ts], ['title', title]]),
);

/** How a foreign tool (or a hand edit) may spell the same object: reordered, escaped, duplicated keys. */
const spelled = fc
  .tuple(
    record,
    // Mostly none of each, so that many lines take the fast path.
    fc.oneof({ arbitrary: fc.constant([]), weight: 2 }, fc.array(fc.tuple(fc.constantFrom('op', 'id'), fc.oneof(ops, ids), fc.nat()), { minLength: 1, maxLength: 2 })), // duplicates, at a position
    fc.boolean(), // reorder
    fc.oneof({ arbitrary: fc.constant(Array<boolean>(8).fill(false)), weight: 2 }, fc.array(fc.boolean(), { minLength: 8, maxLength: 8 })), // escape a character of key i
    fc.boolean(), // a space before colons
    fc.nat(),
  )
  .map(([entries, dups, reorder, escapes, spaced, seed]) => {
    const all = [...entries];
    for (const [key, value, at] of dups) all.splice(1 + (at % all.length), 0, [key, value]);
    if (reorder) all.sort((x, y) => ((x[0].charCodeAt(0) * 31 + seed) % 7) - ((y[0].charCodeAt(0) * 31 + seed) % 7));
    const key = (k: string, i: number) => {
      if (!escapes[i % 8]) return JSON.stringify(k);
      const c = k.charCodeAt(k.length - 1).toString(16).padStart(4, '0');
      return `"${k.slice(0, -1)}\\u${i % 2 ? c.toUpperCase() : c}"`;
    };
    return `{${all.map(([k, v], i) => `${key(k, i)}${spaced ? ' :' : ':'}${JSON.stringify(v)}`).join(',')}}`;
  });

/** The full parse's verdict, computed independently of records.ts's sniff helpers. */
function fullVerdict(line: string): unknown {
  const p = parseRecord(line);
  if (p.kind === 'message') return { kind: 'message', id: p.rec.id };
  if (p.kind === 'op') return { kind: 'op', op: p.rec.op, id: p.rec.id };
  if (p.kind === 'meta') return p.rec.title !== undefined ? { kind: 'meta', title: p.rec.title } : { kind: 'meta' };
  return { kind: 'invalid' };
}

describe('sniff agrees with the full parse', () => {
  it('on records with reordered, escaped and duplicated keys (property)', () => {
    fc.assert(
      fc.property(fc.array(spelled, { minLength: 1, maxLength: 4 }), fc.nat(3), (lines, which) => {
        // The index sniffs lines cut from a block, with the block's rare tokens found once:
        // check that form and the single-line form alike.
        const block = Buffer.from(lines.join('\n'));
        const i = which % lines.length;
        const line = lines[i]!;
        const base = lines.slice(0, i).reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
        const fromBlock = sniff(block.subarray(base, base + Buffer.byteLength(line)), BlockTokens.find(block), base);
        const s = sniff(Buffer.from(line));
        expect(fromBlock).toEqual(s);
        const full = fullVerdict(line);
        if ((full as { kind: string }).kind !== 'invalid') {
          expect(s).toEqual(full);
          return;
        }
        if (s.kind === 'invalid') return;
        // A fast claim about a line zod rejects names exactly what JSON.parse reads, so the line
        // is rejected and quarantined when materialised, as the full parse skips it.
        const raw = JSON.parse(line) as Record<string, unknown>;
        expect(s).toEqual('op' in raw ? { kind: 'op', op: raw.op, id: raw.id } : { kind: 'message', id: raw.id });
      }),
      { numRuns: 3000 },
    );
  });

  it('on the lines from the issue', () => {
    const cases = [
      '{"op":"edit","id":"m1","timestamp":2,"content":"x","op":"delete"}',
      '{"op":"edit","id":"m1","timestamp":2,"content":"x","id":"m2"}',
      '{"id":"m1","role":"user","content":"x","timestamp":1,"id":"m2"}',
      '{"id":"m1","role":"user","content":"x","timestamp":1,"o\\u0070":"delete"}',
      '{"id":"m1","role":"user","content":"x","timestamp":1,"\\u0069d":"m2"}',
      '{"op":"edit","id":"m1","timestamp":2,"content":"x","\\u006fp":"swipe_add"}',
      '{"id":"m1","role":"user","content":"x","timestamp":1,"op" :"delete"}',
    ];
    for (const line of cases) {
      const full = fullVerdict(line);
      const s = sniff(Buffer.from(line));
      expect((full as { kind: string }).kind === 'invalid' ? s.kind : s, line).toEqual((full as { kind: string }).kind === 'invalid' ? 'invalid' : full);
    }
  });

  it('so paged loads, lookups and compaction show the same messages', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const { chatId } = await s.createChat({ characterId: 'c' });
    await s.close();
    const path = chatPath(dir, 'c', chatId);
    const msg = (id: string, content: string) => `{"id":"${id}","role":"user","content":"${content}","timestamp":1}\n`;
    await appendFile(
      path,
      msg('a', 'a') +
        msg('b', 'b') +
        msg('c', 'c') +
        '{"op":"edit","id":"a","timestamp":2,"content":"edited","op":"delete"}\n' + // a delete, by JSON's last-key rule
        '{"o\\u0070":"edit","id":"b","timestamp":3,"content":"b edited"}\n' + // an edit, with an escaped key
        '{"id":"x","role":"user","content":"renamed id","timestamp":4,"id":"d"}\n', // message d, not x
    );
    const full = readFullState(await readFile(path));
    if ('error' in full) throw new Error(full.error);
    expect(full.messages.map((m) => [m.id, m.content])).toEqual([['b', 'b edited'], ['c', 'c'], ['d', 'renamed id']]);
    const again = await openChatStore({ dataDir: dir });
    expect((await again.loadChat(chatId, { limit: 1 })).messages.map((m) => m.id)).toEqual(['d']);
    expect((await again.loadChat(chatId)).messages.map((m) => [m.id, m.content])).toEqual(full.messages.map((m) => [m.id, m.content]));
    await expect(again.updateMessage(chatId, 'x', { content: 'y' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(again.appendMessage(chatId, { id: 'a', role: 'user', content: 'reuse' })).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await again.getChat(chatId)).messageCount).toBe(3);
    await again.compactChat(chatId);
    expect((await again.loadChat(chatId)).messages.map((m) => [m.id, m.content])).toEqual(full.messages.map((m) => [m.id, m.content]));
    await again.close();
  });

  it('a first appearance zod rejects hides no earlier valid one: index, lookups and compaction agree', async () => {
    const dir = tempDir();
    const s = await openChatStore({ dataDir: dir });
    const { chatId } = await s.createChat({ characterId: 'c' });
    await s.close();
    const path = chatPath(dir, 'c', chatId);
    const msg = (id: string, content: string, extra = '') => `{"id":"${id}","role":"user","content":"${content}","timestamp":1${extra}}\n`;
    await appendFile(
      path,
      msg('a', 'a, first') +
        msg('b', 'b') +
        '{"op":"edit","id":"a","timestamp":2,"content":"a, edited"}\n' +
        msg('c', 'c') +
        msg('a', 'a, merged again', ',"role":"narrator"') + // sniffed as message a, rejected by zod
        msg('d', 'd'),
    );
    const full = readFullState(await readFile(path));
    if ('error' in full) throw new Error(full.error);
    const expected = full.messages.map((m) => [m.id, m.content]);
    expect(expected).toEqual([['a', 'a, edited'], ['b', 'b'], ['c', 'c'], ['d', 'd']]);
    let again = await openChatStore({ dataDir: dir });
    const page = await again.loadChat(chatId);
    expect(page.messages.map((m) => [m.id, m.content])).toEqual(expected);
    expect(page.warnings.map((w) => w.kind)).toEqual(['quarantined_line']);
    expect((await again.getChat(chatId)).messageCount).toBe(4);
    await again.close();
    // Lookups (an edit) and paging from an older message see the same.
    again = await openChatStore({ dataDir: dir });
    expect((await again.updateMessage(chatId, 'a', { status: 'complete' })).content).toBe('a, edited');
    expect((await again.loadChat(chatId, { limit: 2, before: 'c' })).messages.map((m) => m.id)).toEqual(['a', 'b']);
    await again.compactChat(chatId);
    expect((await again.loadChat(chatId)).messages.map((m) => [m.id, m.content])).toEqual(expected);
    await again.close();
  });
});

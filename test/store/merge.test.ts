// The merge of two divergent copies of a chat (electron/store/merge/merge-chats.ts): randomized
// (two logs diverge from a common prefix by appends, edits, swipes, deletes, renames and
// compactions), and a few cases spelled out.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../shared/chat-format.ts';
import { compactedText, readFullState, type FullState } from '../../electron/store/compaction.ts';
import { mergeChats, mergeOnCommonPrefix, mergeWhole, type MergeResult } from '../../electron/store/merge/merge-chats.ts';
import { parseRecord, serialize } from '../../electron/store/records.ts';

const CHAT = '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11';
const header = { format: 'cardshark-chat', version: 1, chat_id: CHAT, character_id: 'seraphina', timestamp: 1000, title: 'Forest', metadata: {} };

type Cmd =
  | { t: 'append'; text: string; at: number }
  | { t: 'edit'; pick: number; text: string; at: number }
  | { t: 'swipe'; pick: number; text: string; at: number }
  | { t: 'select'; pick: number; index: number; at: number }
  | { t: 'delete'; pick: number; at: number }
  | { t: 'rename'; title: string; at: number }
  | { t: 'compact' };

const text = fc.constantFrom('a', 'b', 'c', 'hello', 'é ✓', 'x"y', '');
const at = fc.integer({ min: 1000, max: 1030 }); // few values: ties are common
const pick = fc.nat(20);
const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('append' as const), text, at }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('edit' as const), pick, text, at }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('swipe' as const), pick, text, at }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('select' as const), pick, index: fc.nat(3), at }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), pick, at }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rename' as const), title: fc.constantFrom('One', 'Two', 'Three'), at }) },
);
/** What the app adds to a tidy chat (one shared by both copies): edits and swipes of its newest message, appends, meta records (as the bench's chat takes them). */
const tidyCmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant('append' as const), text, at }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('edit' as const), pick: fc.constant(-1), text, at }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('swipe' as const), pick: fc.constant(-1), text, at }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('rename' as const), title: fc.constantFrom('One', 'Two', 'Three'), at }) },
);
const sideCmd: fc.Arbitrary<Cmd> = fc.oneof({ weight: 12, arbitrary: cmd }, { weight: 1, arbitrary: fc.constant({ t: 'compact' as const }) });

/** A chat file being written as the store writes it: appended records, and compaction. */
class Log {
  text: string;
  private n = 0;
  private readonly side: string;
  /** Appends in time order (a chat as the app writes it: the merge's shortcut for a shared beginning applies). */
  private readonly inOrder: boolean;
  constructor(text: string, side: string, inOrder = false) {
    this.text = text;
    this.side = side;
    this.inOrder = inOrder;
  }
  private live(): Message[] {
    const s = readFullState(Buffer.from(this.text)) as FullState;
    return s.messages;
  }
  private add(rec: object): void {
    this.text += serialize(rec);
  }
  run(c: Cmd): void {
    if (c.t === 'compact') {
      this.text = compactedText(readFullState(Buffer.from(this.text)) as FullState);
      return;
    }
    if (c.t === 'append') return this.add({ id: `${this.side}${this.n}`, role: 'user', content: c.text, timestamp: this.inOrder ? 900 + this.n++ : (this.n++, c.at) });
    if (c.t === 'rename') return this.add({ op: 'meta', timestamp: c.at, title: c.title });
    const live = this.live();
    const m = live[c.pick < 0 ? live.length - 1 : c.pick % Math.max(1, live.length)]; // pick -1: the newest
    if (!m) return;
    if (c.t === 'edit') this.add({ op: 'edit', id: m.id, timestamp: c.at, content: c.text });
    else if (c.t === 'swipe') this.add({ op: 'swipe_add', id: m.id, timestamp: c.at, content: c.text });
    else if (c.t === 'select') {
      if (c.index < (m.swipes?.length ?? 0)) this.add({ op: 'swipe_select', id: m.id, timestamp: c.at, index: c.index });
    } else this.add({ op: 'delete', id: m.id, timestamp: c.at });
  }
}

function merged(a: string, b: string): MergeResult {
  const r = mergeChats(Buffer.from(a), Buffer.from(b));
  if ('error' in r) throw new Error(r.error);
  return r;
}

const state = (text: string) => readFullState(Buffer.from(text)) as FullState;
const records = (text: string) => text.split('\n').slice(1).filter(Boolean);
const swipesOf = (m: Message) => m.swipes ?? [m.content];

describe('merging two copies of a chat', () => {
  it('either order gives the same chat, no record is lost, and merging again changes nothing (randomized)', () => {
    let shortcut = 0;
    let shortcutOverChanges = 0;
    let shortcutOverMetas = 0;
    let full = 0;
    fc.assert(
      fc.property(fc.array(cmd, { maxLength: 12 }), fc.array(tidyCmd, { maxLength: 8 }), fc.array(sideCmd, { maxLength: 12 }), fc.array(sideCmd, { maxLength: 12 }), fc.boolean(), (prefix, later, onA, onB, tidy) => {
        const base = new Log(serialize(header), 'p', tidy);
        // A longer tidy beginning: the sides' edits often leave its first messages alone (the shortcut applies).
        if (tidy) for (let i = 0; i < 8; i++) base.run({ t: 'append', text: 'p', at: 1000 });
        for (const c of prefix) if (!tidy || c.t === 'append' || c.t === 'edit') base.run(c);
        if (tidy) base.run({ t: 'compact' });
        // Then change records and meta records in the shared beginning too (the shortcut keeps the lines before them, and takes the metas out).
        if (tidy) for (const c of later) base.run(c);
        const sharedChanges = tidy && later.some((c) => c.t !== 'append');
        const sharedMetas = tidy && later.some((c) => c.t === 'rename');
        const A = new Log(base.text, 'a');
        const B = new Log(base.text, 'b');
        for (const c of onA) A.run(c);
        for (const c of onB) B.run(c);
        const ab = merged(A.text, B.text);
        const ba = merged(B.text, A.text);
        const M = ab.bytes.toString('utf8');
        // Both orders: the same bytes; and the same as without the shortcut for a shared beginning.
        expect(ba.bytes.toString('utf8')).toBe(M);
        const whole = mergeWhole(Buffer.from(A.text), Buffer.from(B.text));
        expect('error' in whole ? whole.error : whole.bytes.toString('utf8')).toBe(M);
        expect('error' in whole ? null : [whole.fromB, whole.changed, whole.live, whole.title]).toEqual([ab.fromB, ab.changed, ab.live, ab.title]);
        // B given as the bytes it shares with A from the start and its own after them (the store reads a conflict copy so): the same merge.
        const bufA = Buffer.from(A.text);
        const bufB = Buffer.from(B.text);
        let common = 0;
        while (common < Math.min(bufA.length, bufB.length) && bufA[common] === bufB[common]) common++;
        for (const shared of new Set([0, common >> 1, common])) {
          const split = mergeChats(bufA, { shared, tail: bufB.subarray(shared) });
          expect('error' in split ? split.error : [split.bytes.toString('utf8'), split.live, split.fromB]).toEqual([M, ab.live, ab.fromB]);
        }
        const short = mergeOnCommonPrefix(Buffer.from(A.text), Buffer.from(B.text));
        if (short && !('error' in short)) {
          shortcut++;
          if (sharedChanges) shortcutOverChanges++;
          if (sharedMetas) shortcutOverMetas++;
          expect(short.bytes.toString('utf8')).toBe(M);
        } else full++;
        // Merging again, with either copy or with itself, changes nothing.
        for (const again of [merged(M, A.text), merged(M, B.text), merged(A.text, M), merged(M, M)]) expect(again.bytes.toString('utf8')).toBe(M);
        expect(merged(M, A.text).changed).toBe(false);
        expect(merged(M, B.text).fromB).toBe(0);

        const m = state(M);
        expect(m.invalid).toEqual([]);
        // What the store takes as the merged chat's summary: the live messages a full read finds.
        expect(ab.live).toBe(m.messages.length);
        const live = new Map(m.messages.map((x) => [x.id, x]));
        // Each message once, in the order (timestamp, id).
        expect(m.messages.map((x) => x.id)).toEqual([...m.messages].sort((x, y) => x.timestamp - y.timestamp || (x.id < y.id ? -1 : 1)).map((x) => x.id));
        // No record lost: every line of either copy is in the result, but a delete of a message kept alive.
        const lines = new Set(records(M));
        for (const copy of [A.text, B.text]) {
          for (const line of records(copy)) {
            if (lines.has(line)) continue;
            const r = parseRecord(line);
            expect(r.kind === 'op' && r.rec.op === 'delete' && live.has(r.rec.id), `lost: ${line}`).toBe(true);
          }
        }
        // Every id of either copy is in the result, live or deleted.
        const sa = state(A.text);
        const sb = state(B.text);
        for (const s of [sa, sb]) for (const x of [...s.messages.map((y) => y.id), ...s.deleted.keys()]) expect(live.has(x) || m.deleted.has(x)).toBe(true);
        // A message live on both sides keeps the texts of both (the loser's as swipes), unless one side had all the other's lines.
        const linesA = new Set(records(A.text));
        const linesB = new Set(records(B.text));
        const mine = (text: string, id: string) => records(text).filter((l) => (parseRecord(l) as { rec?: { id?: string } }).rec?.id === id);
        for (const x of sa.messages) {
          const y = sb.messages.find((z) => z.id === x.id);
          const ownA = mine(A.text, x.id).some((l) => !linesB.has(l));
          const ownB = mine(B.text, x.id).some((l) => !linesA.has(l));
          if (y && ownA && ownB) {
            const kept = live.get(x.id);
            expect(kept, `concurrent edits of ${x.id} lost the message`).toBeDefined();
            for (const t of [...swipesOf(x), ...swipesOf(y)]) expect(swipesOf(kept!)).toContain(t);
          }
        }
        // An edit against a delete keeps the edit.
        for (const [mine1, other, linesOther] of [[sa, B.text, linesA], [sb, A.text, linesB]] as const) {
          for (const x of mine1.messages) {
            const deletedThere = state(other).deleted.has(x.id);
            const changedHere = mine(mine1 === sa ? A.text : B.text, x.id).some((l) => !linesOther.has(l));
            if (deletedThere && changedHere) expect(live.has(x.id), `the edit of ${x.id} lost to a delete`).toBe(true);
          }
        }
      }),
      { numRuns: Number(process.env.MERGE_RUNS ?? 600) },
    );
    // Both ways ran: the shortcut for a shared beginning (compared with the full merge above) and the full merge alone.
    expect(shortcut).toBeGreaterThan(50);
    expect(shortcutOverChanges).toBeGreaterThan(20);
    expect(shortcutOverMetas).toBeGreaterThan(10);
    expect(full).toBeGreaterThan(50);
  }, 120_000);

  it('concurrent edits: the version changed last wins, the other text stays as a swipe', () => {
    const base = serialize(header) + serialize({ id: 'm1', role: 'assistant', content: 'start', timestamp: 1001 });
    const a = base + serialize({ op: 'edit', id: 'm1', timestamp: 1005, content: 'from A' });
    const b = base + serialize({ op: 'edit', id: 'm1', timestamp: 1009, content: 'from B' });
    const m = state(merged(a, b).bytes.toString('utf8')).messages[0]!;
    expect(m.content).toBe('from B');
    expect(m.swipes).toEqual(['from B', 'from A']);
    expect(m.swipe_id).toBe(0);
  });

  it('an edit against a delete keeps the edit; a delete made after seeing the edit stands', () => {
    const base = serialize(header) + serialize({ id: 'm1', role: 'user', content: 'start', timestamp: 1001 });
    const edited = base + serialize({ op: 'edit', id: 'm1', timestamp: 1002, content: 'kept' });
    const deleted = base + serialize({ op: 'delete', id: 'm1', timestamp: 1003 });
    expect(state(merged(edited, deleted).bytes.toString()).messages.map((x) => x.content)).toEqual(['kept']);
    const deletedAfter = edited + serialize({ op: 'delete', id: 'm1', timestamp: 1003 });
    expect(state(merged(edited, deletedAfter).bytes.toString()).messages).toEqual([]);
  });

  it('appends of both sides are interleaved by time, then id', () => {
    const base = serialize(header) + serialize({ id: 'm1', role: 'user', content: 'one', timestamp: 1001 });
    const a = base + serialize({ id: 'a1', role: 'user', content: 'A', timestamp: 1003 });
    const b = base + serialize({ id: 'b1', role: 'user', content: 'B', timestamp: 1002 }) + serialize({ id: 'b2', role: 'user', content: 'B2', timestamp: 1003 });
    const r = merged(a, b);
    expect(state(r.bytes.toString()).messages.map((x) => x.id)).toEqual(['m1', 'b1', 'a1', 'b2']);
    expect(r.fromB).toBe(2);
    expect(r.changed).toBe(true);
    expect(merged(b, base).changed).toBe(false);
  });

  it('refuses two different chats and a file that is not a chat', () => {
    const other = serialize({ ...header, chat_id: '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a12' });
    expect(mergeChats(Buffer.from(serialize(header)), Buffer.from(other))).toEqual({ error: expect.stringContaining('two chats') });
    expect(mergeChats(Buffer.from(serialize(header)), Buffer.from('hello\n'))).toEqual({ error: expect.stringContaining('not a chat file') });
  });
});

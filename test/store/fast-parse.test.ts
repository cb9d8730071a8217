// fast-parse.ts: the direct checks of the most-read shapes may only ever say what zod says. Whatever
// they accept, zod accepts with the same output (same keys, same order, same values); what they
// leave undecided goes to zod. Random records near the schema's edges (fast-check), and the edges
// themselves, one by one. The record checks are for what JSON.parse makes; the input checks for
// any value a caller in the same process could pass (getters, proxies, hidden keys).
import fc from 'fast-check';
import type { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ChangeRecord, CharacterId, HeaderRecord, LIMITS, LoadOptions, MAX_EPOCH_MS, MessageRecord } from '../../shared/chat-format.ts';
import { MAX_NESTING } from '../../shared/plain-data.ts';
import { inputCheckFor, recordFromJson } from '../../electron/store/fast-parse.ts';
import { parseHeader, parseRecord } from '../../electron/store/records.ts';

const schemas = { MessageRecord, ChangeRecord, HeaderRecord, LoadOptions, CharacterId } as const;
type Name = keyof typeof schemas;

/** Fails unless the fast check's answer, when it gives one, is zod's. Returns whether it gave one. */
function agrees(name: Name, value: unknown): boolean {
  const check = { MessageRecord: recordFromJson.message, ChangeRecord: recordFromJson.change, HeaderRecord: recordFromJson.header, LoadOptions: inputCheckFor(LoadOptions)!, CharacterId: inputCheckFor(CharacterId)! }[name];
  const fast = check(value);
  if (fast === undefined) return false;
  const zod = (schemas[name] as z.ZodType).safeParse(value);
  expect(zod.success, `${name} accepted by the fast check, refused by zod: ${String(JSON.stringify(value)).slice(0, 300)}`).toBe(true);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
  expect(fast).toEqual(zod.data);
  return true;
}

const safeId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,12}$/);
const epoch = fc.integer({ min: 0, max: MAX_EPOCH_MS });
const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const freeForm = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });

const message = fc.record(
  {
    id: safeId,
    role: fc.constantFrom('user', 'assistant', 'system'),
    content: text,
    timestamp: epoch,
    name: fc.string({ maxLength: 20 }),
    swipes: fc.array(text, { minLength: 1, maxLength: 3 }),
    swipe_id: fc.nat(5),
    status: fc.constantFrom('complete', 'streaming', 'interrupted', 'error'),
    extra: freeForm,
    hidden: fc.boolean(),
    unknown_key: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['id', 'role', 'content', 'timestamp'] },
);
const header = fc.record(
  {
    format: fc.constant('cardshark-chat'),
    version: fc.integer({ min: 1, max: 3 }),
    chat_id: fc.uuid({ version: 4 }),
    character_id: safeId.filter((s) => !s.includes('..')),
    timestamp: epoch,
    title: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() === s && s.length > 0),
    metadata: freeForm,
    updated: epoch,
    revision_base: fc.integer({ min: -1e12, max: 1e12 }),
    unknown_key: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['format', 'version', 'chat_id', 'character_id', 'timestamp', 'title'] },
);
const status = fc.constantFrom('complete', 'streaming', 'interrupted', 'error');
const opBase = { id: safeId, timestamp: epoch, unknown_key: fc.jsonValue({ maxDepth: 2 }) };
const change = fc.oneof(
  fc.record({ op: fc.constant('edit'), ...opBase, content: text, status, name: fc.string({ maxLength: 20 }), extra: freeForm, hidden: fc.boolean() }, { requiredKeys: ['op', 'id', 'timestamp'] }),
  fc.record({ op: fc.constant('swipe_add'), ...opBase, content: text, status }, { requiredKeys: ['op', 'id', 'timestamp', 'content'] }),
  fc.record({ op: fc.constant('swipe_select'), ...opBase, index: fc.nat(5) }, { requiredKeys: ['op', 'id', 'timestamp', 'index'] }),
  fc.record({ op: fc.constant('delete'), ...opBase }, { requiredKeys: ['op', 'id', 'timestamp'] }),
  fc.record({ op: fc.constant('append_text'), ...opBase, text, status }, { requiredKeys: ['op', 'id', 'timestamp', 'text'] }),
  fc.record({ op: fc.constant('meta'), timestamp: epoch, title: fc.string({ minLength: 1, maxLength: 30 }).filter((t) => t.trim() === t && t.length > 0), metadata: freeForm, unknown_key: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: ['op', 'timestamp'] }),
);
const loadOptions = fc.oneof(
  fc.record({ limit: fc.integer({ min: 1, max: LIMITS.pageSize }) }, { requiredKeys: [] }),
  fc.record({ limit: fc.integer({ min: 1, max: LIMITS.pageSize }), around: safeId }, { requiredKeys: ['around'] }),
  fc.record({ before: safeId, limit: fc.integer({ min: 1, max: LIMITS.pageSize }) }, { requiredKeys: ['before'] }),
  fc.record({ after: safeId }),
);

/** Anything a field may hold in a damaged or hostile file or call. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(undefined, Infinity, -Infinity, NaN, -0, 1.5, -1, 2 ** 53, MAX_EPOCH_MS + 1, '', ' x ', 'a..b', '../x', 'x'.repeat(LIMITS.idChars + 1), [], {}, [undefined], new Date(0), new Map()),
  fc.string({ maxLength: 8 }),
);

/** Changes one key of a valid object: a new value, deleted, or an `op`/`__proto__`/unknown key. */
function mutated(base: fc.Arbitrary<Record<string, unknown>>, keys: string[]): fc.Arbitrary<unknown> {
  return fc.tuple(base, fc.constantFrom(...keys, 'op', '__proto__', 'zz'), oddValue, fc.constantFrom('set', 'delete', 'json')).map(([obj, key, value, how]) => {
    const out: Record<string, unknown> = { ...obj };
    if (how === 'delete') delete out[key];
    else if (how === 'json' && value !== undefined && typeof value !== 'object') {
      // Through JSON.parse, as from a file (a `__proto__` key becomes an own key).
      return JSON.parse(`{${JSON.stringify(key)}:${JSON.stringify(value) ?? 'null'},${JSON.stringify(out).slice(1)}`.replace(/,}$/, '}'));
    } else Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    return out;
  });
}

describe('fast-parse: never laxer than zod, same output', () => {
  it('valid messages, headers and load options: the fast check decides them, as zod does', () => {
    fc.assert(fc.property(message, (m) => {
      expect(agrees('MessageRecord', JSON.parse(JSON.stringify(m)))).toBe(true);
    }), { numRuns: 500 });
    fc.assert(fc.property(change, (c) => {
      expect(agrees('ChangeRecord', JSON.parse(JSON.stringify(c)))).toBe(true);
    }), { numRuns: 600 });
    fc.assert(fc.property(header, (h) => {
      expect(agrees('HeaderRecord', JSON.parse(JSON.stringify(h)))).toBe(true);
    }), { numRuns: 500 });
    fc.assert(fc.property(loadOptions, (o) => {
      expect(agrees('LoadOptions', o)).toBe(true);
    }), { numRuns: 300 });
  });

  it('records and options with one field damaged: whatever the fast check accepts, zod accepts alike', () => {
    const messageKeys = ['id', 'role', 'content', 'timestamp', 'name', 'swipes', 'swipe_id', 'status', 'extra', 'hidden'];
    const headerKeys = ['format', 'version', 'chat_id', 'character_id', 'timestamp', 'title', 'metadata', 'updated', 'revision_base'];
    fc.assert(fc.property(mutated(message, messageKeys), (m) => void agrees('MessageRecord', m)), { numRuns: 3000 });
    const changeKeys = ['op', 'id', 'timestamp', 'content', 'status', 'name', 'extra', 'hidden', 'index', 'text', 'title', 'metadata'];
    fc.assert(fc.property(mutated(change as fc.Arbitrary<Record<string, unknown>>, changeKeys), (c) => void agrees('ChangeRecord', c)), { numRuns: 4000 });
    fc.assert(fc.property(mutated(header, headerKeys), (h) => void agrees('HeaderRecord', h)), { numRuns: 3000 });
    fc.assert(fc.property(mutated(loadOptions as fc.Arbitrary<Record<string, unknown>>, ['limit', 'before', 'around', 'after']), (o) => void agrees('LoadOptions', o)), { numRuns: 2000 });
    fc.assert(fc.property(oddValue, (v) => void (agrees('MessageRecord', v), agrees('ChangeRecord', v), agrees('HeaderRecord', v), agrees('LoadOptions', v), agrees('CharacterId', v))), { numRuns: 500 });
    fc.assert(fc.property(fc.oneof(safeId, fc.string({ maxLength: 12 }), fc.stringMatching(/^[a-z.]{1,5}$/)), (id) => void agrees('CharacterId', id)), { numRuns: 2000 });
  });

  it('each limit of the schemas, on both sides: the fast check decides exactly what zod accepts', () => {
    const m = { id: 'm1', role: 'user', content: 'x', timestamp: 1 };
    const h = { format: 'cardshark-chat', version: 1, chat_id: 'd92313ab-a7e0-4cd8-aa69-0ee8f1695c42', character_id: 'c', timestamp: 1, title: 't' };
    const nested = (depth: number): unknown => (depth === 0 ? 1 : { a: nested(depth - 1) });
    // Each pair: just inside a limit, just outside it (zod must accept the first and refuse the second).
    const limits: [Name, unknown, unknown][] = [
      ['MessageRecord', { ...m, id: 'a'.repeat(LIMITS.idChars) }, { ...m, id: 'a'.repeat(LIMITS.idChars + 1) }],
      ['MessageRecord', { ...m, id: 'a.' }, { ...m, id: '.a' }],
      ['MessageRecord', { ...m, name: 'n'.repeat(LIMITS.titleChars) }, { ...m, name: 'n'.repeat(LIMITS.titleChars + 1) }],
      ['MessageRecord', { ...m, content: 'c'.repeat(LIMITS.contentChars) }, { ...m, content: 'c'.repeat(LIMITS.contentChars + 1) }],
      ['MessageRecord', { ...m, swipes: Array(LIMITS.swipes).fill('x') }, { ...m, swipes: Array(LIMITS.swipes + 1).fill('x') }],
      ['MessageRecord', { ...m, swipes: ['x'] }, { ...m, swipes: [] }],
      ['MessageRecord', { ...m, timestamp: MAX_EPOCH_MS }, { ...m, timestamp: MAX_EPOCH_MS + 1 }],
      ['MessageRecord', { ...m, timestamp: 0 }, { ...m, timestamp: -1 }],
      ['MessageRecord', { ...m, timestamp: 2 }, { ...m, timestamp: 1.5 }],
      ['MessageRecord', { ...m, swipe_id: 0 }, { ...m, swipe_id: -1 }],
      ['MessageRecord', { ...m, extra: { s: 'e'.repeat(LIMITS.extraJsonChars - 8) } }, { ...m, extra: { s: 'e'.repeat(LIMITS.extraJsonChars - 7) } }],
      ['MessageRecord', { ...m, extra: nested(MAX_NESTING) }, { ...m, extra: nested(MAX_NESTING + 1) }],
      ['MessageRecord', { ...m, deep: nested(MAX_NESTING) }, { ...m, deep: nested(MAX_NESTING + 1) }],
      ['MessageRecord', { ...m, extra: {} }, { ...m, extra: [] }],
      ['MessageRecord', { ...m, status: 'error' }, { ...m, status: 'failed' }],
      ['MessageRecord', { ...m, hidden: false }, { ...m, hidden: 0 }],
      ['MessageRecord', { ...m, operation: 'edit' }, { ...m, op: 'edit' }],
      ['ChangeRecord', { op: 'edit', id: 'm1', timestamp: 1, content: 'x' }, { op: 'edit', id: 'm1', content: 'x' }],
      ['ChangeRecord', { op: 'edit', id: 'm1', timestamp: 1, name: 'n'.repeat(LIMITS.titleChars) }, { op: 'edit', id: 'm1', timestamp: 1, name: 'n'.repeat(LIMITS.titleChars + 1) }],
      ['ChangeRecord', { op: 'swipe_add', id: 'm1', timestamp: 1, content: 'x' }, { op: 'swipe_add', id: 'm1', timestamp: 1 }],
      ['ChangeRecord', { op: 'swipe_select', id: 'm1', timestamp: 1, index: 0 }, { op: 'swipe_select', id: 'm1', timestamp: 1, index: -1 }],
      ['ChangeRecord', { op: 'delete', id: 'm1', timestamp: 1 }, { op: 'delete', id: '', timestamp: 1 }],
      ['ChangeRecord', { op: 'append_text', id: 'm1', timestamp: 1, text: 'c'.repeat(LIMITS.contentChars) }, { op: 'append_text', id: 'm1', timestamp: 1, text: 'c'.repeat(LIMITS.contentChars + 1) }],
      ['ChangeRecord', { op: 'meta', timestamp: 1, title: 't' }, { op: 'meta', timestamp: 1, title: '' }],
      ['ChangeRecord', { op: 'meta', timestamp: 1, metadata: nested(MAX_NESTING) }, { op: 'meta', timestamp: 1, metadata: nested(MAX_NESTING + 1) }],
      ['ChangeRecord', { op: 'delete', id: 'm1', timestamp: 1 }, { op: 'undelete', id: 'm1', timestamp: 1 }],
      ['HeaderRecord', h, { ...h, chat_id: h.chat_id.toUpperCase() }],
      ['HeaderRecord', { ...h, character_id: 'a.b' }, { ...h, character_id: 'a..b' }],
      ['HeaderRecord', { ...h, version: 1 }, { ...h, version: 0 }],
      ['HeaderRecord', { ...h, title: 't'.repeat(LIMITS.titleChars) }, { ...h, title: 't'.repeat(LIMITS.titleChars + 1) }],
      ['HeaderRecord', { ...h, revision_base: -Number.MAX_SAFE_INTEGER }, { ...h, revision_base: -Number.MAX_SAFE_INTEGER - 2 }],
      ['HeaderRecord', { ...h, metadata: nested(MAX_NESTING) }, { ...h, metadata: nested(MAX_NESTING + 1) }],
      ['CharacterId', 'a'.repeat(LIMITS.idChars), 'a'.repeat(LIMITS.idChars + 1)],
      ['CharacterId', 'a.b', 'a..b'],
      ['CharacterId', 'a', ''],
      ['LoadOptions', { limit: LIMITS.pageSize }, { limit: LIMITS.pageSize + 1 }],
      ['LoadOptions', { limit: 1 }, { limit: 0 }],
      ['LoadOptions', { around: 'a' }, { around: 'a', before: 'b' }],
      ['LoadOptions', { after: 'a' }, { after: 'a', extra: 1 }],
    ];
    for (const [name, inside, outside] of limits) {
      const what = (v: unknown) => `${name} ${JSON.stringify(v)?.slice(0, 100)}`;
      expect((schemas[name] as z.ZodType).safeParse(inside).success, what(inside)).toBe(true);
      expect((schemas[name] as z.ZodType).safeParse(outside).success, what(outside)).toBe(false);
      expect(agrees(name, inside), what(inside)).toBe(true);
      expect(agrees(name, outside), what(outside)).toBe(false);
    }
    // Valid, but left to zod: what it would change (a title to trim, a __proto__ key to drop, an
    // undefined key to keep) or an object that is not plain.
    const leftToZod: [Name, unknown][] = [
      ['HeaderRecord', { ...h, title: ' t ' }],
      ['ChangeRecord', { op: 'meta', timestamp: 1, title: 't ' }],
      ['MessageRecord', JSON.parse('{"id":"m1","role":"user","content":"x","timestamp":1,"__proto__":{"a":1}}')],
      ['LoadOptions', { limit: undefined }],
      ['LoadOptions', new (class Options { limit = 5 })()],
    ];
    for (const [name, value] of leftToZod) {
      expect((schemas[name] as z.ZodType).safeParse(value).success).toBe(true);
      expect(agrees(name, value)).toBe(false);
    }
  });

  it('records as JSON.parse makes them from odd text: the fast check never accepts what zod refuses', () => {
    const texts = [
      '{"id":"m1","role":"user","content":"x","timestamp":1e999}',
      '{"id":"m1","role":"user","content":"x","timestamp":-0}',
      '{"id":"m1","role":"user","content":"x","timestamp":1,"extra":{"a":1e999}}',
      '{"id":"m1","role":"user","content":"x","timestamp":1,"extra":{"__proto__":{"a":1}}}',
      '{"id":"m1","role":"user","content":"x","timestamp":1,"id":"../x"}',
      '{"id":"m1","role":"user","content":"x","timestamp":1,"swipes":["x",null]}',
      '{"op":"edit","id":"m1","timestamp":1,"op":"delete"}',
      '{"op":"meta","timestamp":1,"metadata":[]}',
    ];
    for (const t of texts) {
      const v = JSON.parse(t);
      agrees('MessageRecord', v);
      agrees('ChangeRecord', v);
    }
  });

  it("a caller's options that zod would read otherwise than they look are left to zod: hidden keys, getters, proxies", () => {
    let reads = 0;
    const flipping = Object.defineProperty({}, 'before', { enumerable: true, get: () => (++reads > 2 ? '../x' : 'ok') });
    const cases: unknown[] = [
      Object.defineProperty({}, 'limit', { value: 1e9 }),
      Object.defineProperty({ around: 'a' }, 'after', { value: 'b' }),
      Object.defineProperty({}, 'before', { value: '../../etc' }),
      flipping,
      new Proxy({ before: '../../x' }, { ownKeys: () => [] }),
      new Proxy({ limit: 5 }, {}),
      Object.assign(Object.create(null), { limit: 5, [Symbol('s')]: 1 }),
    ];
    for (const c of cases) expect(agrees('LoadOptions', c)).toBe(false);
    expect(agrees('LoadOptions', Object.assign(Object.create(null), { limit: 5 }))).toBe(true);
  });

  it('records.ts reads through it: a header without metadata gets zod\'s default, a bad record still gets zod\'s reason', () => {
    const h = parseHeader(JSON.stringify({ format: 'cardshark-chat', version: 1, chat_id: 'd92313ab-a7e0-4cd8-aa69-0ee8f1695c42', character_id: 'c', timestamp: 1, title: 't' }));
    expect(h).toEqual({ ok: true, header: expect.objectContaining({ metadata: {} }) });
    expect(parseRecord(JSON.stringify({ id: 'm1', role: 'user', content: 'x', timestamp: 1.5 }))).toEqual({ kind: 'invalid', reason: expect.stringMatching(/^timestamp: /) });
  });
});

// warm-parse.ts: a record schema parsed without zod's compiled fast path for its first uses, then
// with it. Both must give exactly what schema.safeParse gives: the same data (keys in the same
// order) and the same issues, for records that pass and records that fail.
import { describe, expect, it } from 'vitest';
import { ChangeRecord, MessageRecord } from '../../shared/chat-format.ts';
import { PARSES_BEFORE_JIT, warmParser } from '../../electron/store/warm-parse.ts';

const records: unknown[] = [
  { id: 'm1', role: 'user', content: 'hello', timestamp: 1_700_000_000_000 },
  { id: 'm2', role: 'assistant', content: 'b', timestamp: 1_700_000_000_001, name: 'Séraphine', status: 'complete', swipes: ['a', 'b'], swipe_id: 1, extra: { api: 'openai', nested: { x: [1, 2] } }, unknownKey: 'kept or stripped alike' },
  { id: 'm3', role: 'user', content: 1, timestamp: 1 },
  { id: '', role: 'nobody', content: 'x', timestamp: -5 },
  { role: 'user', content: 'no id' },
  'not an object',
  null,
];
const changes: unknown[] = [
  { op: 'edit', id: 'm1', content: 'new', timestamp: 1_700_000_000_002 },
  { op: 'swipe_add', id: 'm2', content: 'c', timestamp: 1_700_000_000_003 },
  { op: 'delete', id: 'm1', timestamp: 1_700_000_000_004 },
  { op: 'edit', id: 'm1' },
  { op: 'nonsense', id: 'm1', timestamp: 1 },
];

const outcome = (r: { success: boolean; data?: unknown; error?: { issues: unknown[] } }) => JSON.stringify(r.success ? { data: r.data } : { issues: r.error!.issues });

describe('warmParser', () => {
  it.each([
    ['MessageRecord', MessageRecord, records],
    ['ChangeRecord', ChangeRecord, changes],
  ] as const)('%s: the first parses and those after the fast path is compiled give what safeParse gives', (_name, schema, inputs) => {
    const parse = warmParser(schema);
    // Past the threshold, so both paths are taken; every input seen on each.
    for (let i = 0; i < PARSES_BEFORE_JIT + 2 * inputs.length; i++) {
      const input = inputs[i % inputs.length];
      expect(outcome(parse(input)), `parse ${i}`).toBe(outcome(schema.safeParse(input)));
    }
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangeRecord, HeaderRecord, MessagePatch, MessageRecord, NewMessageInput, CharacterId, ChatId } from '../../shared/chat-format.ts';
import { applyOp, parseHeader, parseRecord, serialize, sniff, toMessage } from '../../electron/store/records.ts';

const header = {
  format: 'cardshark-chat',
  version: 1,
  chat_id: '6f1c1f7e-3b1d-4c59-9a53-0f4f1d0b2a11',
  character_id: 'seraphina',
  timestamp: 1732500000000,
  title: 'A walk in the forest',
  metadata: { note: 'kept' },
};
const message = {
  id: 'm1',
  role: 'assistant',
  content: 'Hello.',
  timestamp: 1732500001000,
  name: 'Seraphina',
  swipes: ['Hi.', 'Hello.'],
  swipe_id: 1,
  status: 'complete',
  extra: { api: 'openai', model: 'x', token_count: 12 },
};

describe('format v1 schemas', () => {
  it('accepts a header with every field, and keeps unknown keys', () => {
    const r = HeaderRecord.parse({ ...header, future: 1 });
    expect(r).toMatchObject(header);
    expect((r as Record<string, unknown>).future).toBe(1);
  });

  it.each([
    ['format', { ...header, format: 'other' }],
    ['version', { ...header, version: '1.0' }],
    ['chat_id (not a UUID v4)', { ...header, chat_id: '6f1c1f7e-3b1d-1c59-9a53-0f4f1d0b2a11' }],
    ['character_id (path-like)', { ...header, character_id: '../../etc' }],
    ['timestamp (seconds as float)', { ...header, timestamp: 1.5 }],
    ['title (empty)', { ...header, title: '' }],
  ])('rejects a header with a bad %s', (_what, value) => {
    expect(HeaderRecord.safeParse(value).success).toBe(false);
  });

  it('accepts a message with every field and rejects each bad field', () => {
    expect(MessageRecord.parse(message)).toMatchObject(message);
    for (const bad of [
      { ...message, id: '' },
      { ...message, id: 'a/b' },
      { ...message, role: 'narrator' },
      { ...message, content: 5 },
      { ...message, timestamp: -1 },
      { ...message, swipes: [] },
      { ...message, swipe_id: -1 },
      { ...message, status: 'done' },
      { ...message, extra: 'x' },
      { ...message, op: 'edit' },
    ]) {
      expect(MessageRecord.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('validates every change record', () => {
    const ok = [
      { op: 'edit', id: 'm1', timestamp: 1, content: 'x', status: 'interrupted', name: 'n', extra: { a: 1 } },
      { op: 'swipe_add', id: 'm1', timestamp: 1, content: 'y' },
      { op: 'swipe_select', id: 'm1', timestamp: 1, index: 0 },
      { op: 'delete', id: 'm1', timestamp: 1 },
      { op: 'meta', timestamp: 1, title: 'New', metadata: { k: 1 } },
    ];
    for (const r of ok) expect(ChangeRecord.safeParse(r).success, JSON.stringify(r)).toBe(true);
    for (const r of [{ op: 'nuke', id: 'm1', timestamp: 1 }, { op: 'swipe_select', id: 'm1', timestamp: 1 }, { op: 'delete', timestamp: 1 }, { op: 'meta', timestamp: 1, title: '' }]) {
      expect(ChangeRecord.safeParse(r).success, JSON.stringify(r)).toBe(false);
    }
  });

  it('refuses ambiguous patches and path-like ids at the API boundary', () => {
    expect(MessagePatch.safeParse({}).success).toBe(false);
    expect(MessagePatch.safeParse({ content: 'a', addSwipe: 'b' }).success).toBe(false);
    expect(MessagePatch.safeParse({ content: 'a', status: 'complete' }).success).toBe(true);
    expect(NewMessageInput.safeParse({ role: 'user', content: 'x', unknown: 1 }).success).toBe(false);
    expect(CharacterId.safeParse('..').success).toBe(false);
    expect(CharacterId.safeParse('a..b').success).toBe(false);
    expect(ChatId.safeParse('../../etc/passwd').success).toBe(false);
  });
});

describe('codec', () => {
  it('round-trips a header (with a BOM) and a message', () => {
    expect(parseHeader(`\uFEFF${JSON.stringify(header)}`)).toEqual({ ok: true, header });
    const line = serialize(message);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(parseRecord(line)).toEqual({ kind: 'message', rec: message });
  });

  it('applies edits to the selected swipe, adds and selects swipes', () => {
    const m = toMessage(MessageRecord.parse(message));
    applyOp(m, { op: 'edit', id: 'm1', timestamp: 5, content: 'Hello!', extra: { edited: true } });
    expect(m).toMatchObject({ content: 'Hello!', swipes: ['Hi.', 'Hello!'], swipe_id: 1, edited: 5, extra: { api: 'openai', edited: true } });
    applyOp(m, { op: 'swipe_add', id: 'm1', timestamp: 6, content: 'Hey.' });
    expect(m).toMatchObject({ content: 'Hey.', swipes: ['Hi.', 'Hello!', 'Hey.'], swipe_id: 2 });
    applyOp(m, { op: 'swipe_select', id: 'm1', timestamp: 7, index: 0 });
    expect(m).toMatchObject({ content: 'Hi.', swipe_id: 0 });
    applyOp(m, { op: 'swipe_select', id: 'm1', timestamp: 8, index: 9 });
    expect(m).toMatchObject({ content: 'Hi.', swipe_id: 0 });
  });

  it('repairs an out-of-range swipe_id on read', () => {
    expect(toMessage(MessageRecord.parse({ ...message, swipe_id: 7 })).swipe_id).toBe(1);
  });

  it('sniffing a serialised line agrees with a full parse, for any content', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/);
    const rec = fc.oneof(
      fc.record({ id, role: fc.constantFrom('user', 'assistant', 'system'), content: fc.string({ unit: 'grapheme' }), timestamp: fc.nat() }),
      fc.record({ op: fc.constantFrom('edit', 'delete'), id, timestamp: fc.nat() }),
      fc.record({ op: fc.constant('swipe_add'), id, timestamp: fc.nat(), content: fc.string() }),
    );
    fc.assert(
      fc.property(rec, (r) => {
        const line = Buffer.from(serialize(r).slice(0, -1));
        const parsed = parseRecord(line.toString());
        const s = sniff(line);
        expect(s.kind).toBe(parsed.kind);
        if (parsed.kind === 'message' || parsed.kind === 'op') expect((s as { id: string }).id).toBe(parsed.rec.id);
      }),
      { numRuns: 500 },
    );
  });

  it('classifies garbage and foreign key orders correctly', () => {
    expect(sniff(Buffer.from('{"id":"m1","role":"us')).kind).toBe('message'); // validated later, at materialisation
    expect(sniff(Buffer.from('not json')).kind).toBe('invalid');
    expect(sniff(Buffer.from('{"role":"user","id":"m2","content":"x","timestamp":1}'))).toEqual({ kind: 'message', id: 'm2' });
    expect(sniff(Buffer.from('{"timestamp":1,"op":"delete","id":"m2"}'))).toEqual({ kind: 'op', op: 'delete', id: 'm2' });
    expect(sniff(Buffer.from(''))).toEqual({ kind: 'blank' });
  });
});

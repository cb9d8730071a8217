import { describe, expect, it } from 'vitest';
import { characterIdFrom, chatIdFor, MessageIds } from '../../electron/import/ids.ts';
import { CharacterId, ChatId, MessageId } from '../../shared/chat-format.ts';

describe('import ids', () => {
  it('message ids: the source’s when valid and unused, else imp-<line>, never twice', () => {
    const ids = new MessageIds();
    const got = [
      ids.take(undefined, 1),
      ids.take('imp-1', 2), // a source id equal to a generated one: generated instead
      ids.take('imp-9', 3), // free now, so it is taken…
      ids.take(undefined, 9), // …and line 9's plain id is not reused
      ids.take('imp-9-2', 10), // now used by line 9: generated instead
      ids.take('bad id', 11),
      ids.take('ok', 12),
      ids.take('ok', 13),
    ].map((r) => r.id);
    expect(got).toEqual(['imp-1', 'imp-2', 'imp-9', 'imp-9-2', 'imp-10', 'imp-11', 'ok', 'imp-13']);
    expect(new Set(got).size).toBe(got.length);
    for (const id of got) expect(MessageId.safeParse(id).success).toBe(true);
  });

  it('chat ids are UUID v4 shaped and stable; character ids are safe and stable', () => {
    const a = chatIdFor('ab'.repeat(32), 0);
    expect(ChatId.safeParse(a).success).toBe(true);
    expect(chatIdFor('ab'.repeat(32), 0)).toBe(a);
    expect(chatIdFor('ab'.repeat(32), 1)).not.toBe(a);
    for (const name of ['Seraphina', 'Zoë the Bard', '../../etc', '..', '   ', '🙂', 'a'.repeat(300), '.hidden']) {
      const id = characterIdFrom(name);
      expect(CharacterId.safeParse(id).success, `${name} → ${id}`).toBe(true);
      expect(characterIdFrom(name)).toBe(id);
    }
    expect(characterIdFrom('Seraphina')).toBe('Seraphina');
    expect(characterIdFrom('Zoë')).not.toBe(characterIdFrom('Zoe'));
  });
});

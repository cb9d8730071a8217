// Issue 18 §6: after a bulk import, notices must not stack up a third of the screen. The same
// notice again is one entry with a count; the stack keeps only the newest ones.
import { describe, expect, it } from 'vitest';
import { KEPT_NOTICES, withNotice, type Notice } from '../../renderer/notices.ts';

const n = (id: number, message: string, level: Notice['level'] = 'info'): Notice => ({ id, level, message });

describe('the notice stack', () => {
  it('merges a repeated notice into one entry with a count, moved to the newest place', () => {
    let list: Notice[] = [];
    list = withNotice(list, n(1, 'a.jsonl: 1 chat(s) imported'));
    list = withNotice(list, n(2, 'Saving failed', 'error'));
    list = withNotice(list, n(3, 'a.jsonl: 1 chat(s) imported'));
    list = withNotice(list, n(4, 'a.jsonl: 1 chat(s) imported'));
    expect(list.map((x) => [x.id, x.message, x.count ?? 1])).toEqual([
      [2, 'Saving failed', 1],
      [4, 'a.jsonl: 1 chat(s) imported', 3],
    ]);
    // Same text at another level is another notice.
    expect(withNotice(list, n(5, 'Saving failed', 'warning'))).toHaveLength(3);
  });

  it('keeps only the newest notices however many distinct ones come', () => {
    let list: Notice[] = [];
    for (let i = 0; i < 200; i++) list = withNotice(list, n(i, `file ${i}.jsonl imported`));
    expect(list).toHaveLength(KEPT_NOTICES);
    expect(list.at(-1)!.message).toBe('file 199.jsonl imported');
  });
});

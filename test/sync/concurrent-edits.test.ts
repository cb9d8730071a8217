// Issue 17: both computers edit the same message while their Syncthing instances are paused.
// Expected: one message, one winner on both (docs/SYNC.md), the other text kept as a swipe, and no
// extra chat. On the computer whose edit lost, Syncthing moves its file aside as a sync-conflict
// copy and puts the other version in place; the store counts the app's version as held by that copy
// (outside-changes.ts, linesKept), so the copy's merge is all that happens: no "(conflict copy)"
// chat. Part of `npm run test:sync` (and npm test); alone: `npm run test:sync:open`.
import { describe, expect, it } from 'vitest';
import { Journal } from './actions.ts';
import { settle, type Shown } from './library.ts';
import { count, sharedChat, usePair, verdict, why } from './scenario.ts';

const bothRunning = usePair();

describe.skipIf(!!why)(`two computers, one message edited on both${why ? ` (skipped: ${why})` : ''}`, () => {
  it('both edit the same message while paused: one message, one winner, the other text kept as a swipe', { timeout: 120_000 }, async () => {
    const p = await bothRunning();
    const journal = new Journal();
    const chatId = await sharedChat(p, journal);
    const target = journal.acked[0]!;
    await p.waitInSync();
    await p.pause();
    const edits = await Promise.allSettled([
      p.a.app!.call('updateMessage', { chatId, messageId: target.id, patch: { content: 'edited on A' } }),
      p.b.app!.call('updateMessage', { chatId, messageId: target.id, patch: { content: 'edited on B' } }),
    ]);
    for (const [i, e] of edits.entries()) if (e.status === 'rejected') journal.refused.push(`${i ? 'B' : 'A'}: edit → ${(e.reason as Error).message}`);
    await p.resume();
    const bothTexts = (side: string, s: Shown) => {
      const chat = s.chats.find((c) => c.chatId === chatId);
      const copies = chat?.messages.filter((m) => m.id === target.id) ?? [];
      if (copies.length !== 1) return [`${side} shows the edited message ${copies.length} times in the chat`];
      const texts = [copies[0]!.content, ...(copies[0]!.swipes ?? [])];
      const lost = ['edited on A', 'edited on B'].filter((t) => !texts.includes(t));
      const out = lost.length ? [`${side}'s message holds [${texts.join(' | ')}]: lacks ${lost.join(' and ')} (the losing edit must stay as a swipe)`] : [];
      const strays = count(s, (t) => t.startsWith('edited on')) - 1;
      if (strays > 0) out.push(`${side} shows an edited text in ${strays} other message(s) (a whole-chat copy?)`);
      return out;
    };
    const end = await settle(p, [], [chatId], { timeoutMs: 15_000, check: (a, b) => [...bothTexts('A', a), ...bothTexts('B', b)] });
    expect(verdict(end.problems, journal, p)).toEqual([]);
    // Deterministic: both computers picked the same winner (differences() also compares the content).
    expect(end.a.chats.find((c) => c.chatId === chatId)?.messages.find((m) => m.id === target.id)?.content).toBe(end.b.chats.find((c) => c.chatId === chatId)?.messages.find((m) => m.id === target.id)?.content);
  });

});

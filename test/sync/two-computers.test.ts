// Issue 17, "Prove it": two computers (two app hosts, each in its own UTS/PID namespace with its own
// hostname) on one library synced by two real Syncthing instances on loopback. Every scenario ends
// with both apps showing the same chats and every acknowledged message exactly once, in its chat.
// Run: npm run test:sync, part of npm test (root and syncthing needed; skipped, saying why, only where
// unshare cannot make UTS/PID namespaces: not Linux, not root).
// Concurrent edits of one message are in concurrent-edits.test.ts (also alone: npm run test:sync:open).
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Journal, makeChat, waitForChat } from './actions.ts';
import { settle, type Shown } from './library.ts';
import { count, sharedChat, usePair, verdict, why } from './scenario.ts';

const bothRunning = usePair();

describe.skipIf(!!why)(`two computers, one library synced by Syncthing${why ? ` (skipped: ${why})` : ''}`, () => {
  it('both apps start at once; both write; the one restarted next starts without waiting for the other', { timeout: 120_000 }, async () => {
    const p = await bothRunning();
    const journal = new Journal();
    const onA = await makeChat(p.a.app!, 'Made on A', 'from A');
    const onB = await makeChat(p.b.app!, 'Made on B', 'from B');
    await journal.send(p.a.app!, 'A', onA.chatId, 'A-1');
    await journal.send(p.b.app!, 'B', onB.chatId, 'B-1');
    const first = await settle(p, journal.acked, [onA.chatId, onB.chatId], { timeoutMs: 15_000 });
    expect(verdict(first.problems, journal, p), 'after both apps started at once and each made a chat').toEqual([]);
    await p.b.app!.stop();
    await p.startApps([p.b]);
    const again = await settle(p, journal.acked, [onA.chatId, onB.chatId], { timeoutMs: 15_000 });
    expect(verdict(again.problems, journal, p), 'after B restarted').toEqual([]);
  });

  it('a chat made on A appears on B', { timeout: 120_000 }, async () => {
    const p = await bothRunning();
    const journal = new Journal();
    const { chatId } = await makeChat(p.a.app!, 'Lantern Keeper', 'made on A');
    await journal.sendMany(p.a.app!, 'A', chatId, 3);
    const end = await settle(p, journal.acked, [chatId], { timeoutMs: 15_000 });
    expect(verdict(end.problems, journal, p)).toEqual([]);
    expect(end.b.chats.map((c) => c.title)).toEqual(['made on A']);
  });

  it('A and B append alternately while connected: one chat holds all 40, none is refused', { timeout: 120_000 }, async () => {
    const p = await bothRunning();
    const journal = new Journal();
    const chatId = await sharedChat(p, journal);
    for (let i = 1; i <= 20; i++) {
      await journal.send(p.a.app!, 'A', chatId, `A-${i}`);
      await sleep(100);
      await journal.send(p.b.app!, 'B', chatId, `B-${i}`);
      await sleep(100);
    }
    const end = await settle(p, journal.acked, [chatId], { timeoutMs: 15_000 });
    expect(verdict(end.problems, journal, p)).toEqual([]);
  });

  it('both append 30 while paused, then resume: the chat holds all 60 once', { timeout: 120_000 }, async () => {
    const p = await bothRunning();
    const journal = new Journal();
    const chatId = await sharedChat(p, journal);
    await p.waitInSync();
    await p.pause();
    await Promise.all([journal.sendMany(p.a.app!, 'A', chatId, 30), journal.sendMany(p.b.app!, 'B', chatId, 30)]);
    await p.resume();
    const end = await settle(p, journal.acked, [chatId], { timeoutMs: 15_000 });
    expect(verdict(end.problems, journal, p)).toEqual([]);
  });

  it('A is SIGKILLed while appending and restarted: every acknowledged message once, the one in flight at most once', { timeout: 120_000 }, async () => {
    const p = await bothRunning();
    const journal = new Journal();
    const chatId = await sharedChat(p, journal);
    await journal.sendMany(p.a.app!, 'A', chatId, 15);
    const inFlight = 'A-in-flight';
    const pending = journal.send(p.a.app!, 'A', chatId, inFlight);
    await sleep(Math.random() * 4); // somewhere inside the append: before, during or after its write
    await p.a.app!.kill();
    await pending;
    const cut = journal.refused.findIndex((r) => r.includes(inFlight));
    if (cut >= 0) journal.refused.splice(cut, 1); // a send cut short by the kill is no fault
    await p.startApps([p.a]);
    await journal.sendMany(p.a.app!, 'A', chatId, 5, 'A-after');
    await journal.sendMany(p.b.app!, 'B', chatId, 5);
    const atMostOnce = (side: string, s: Shown) => {
      const n = count(s, (t) => t === inFlight);
      return n > 1 ? [`${side} shows the message in flight at the kill ${n} times`] : [];
    };
    const end = await settle(p, journal.acked, [chatId], { timeoutMs: 15_000, check: (a, b) => [...atMostOnce('A', a), ...atMostOnce('B', b)] });
    expect(verdict(end.problems, journal, p)).toEqual([]);
  });

  it('characters added on both sides while paused: both apps show both, once each', { timeout: 120_000 }, async () => {
    const p = await bothRunning();
    const journal = new Journal();
    await p.waitInSync();
    await p.pause();
    const [alpha, beta] = await Promise.all([makeChat(p.a.app!, 'Alpha', 'with Alpha'), makeChat(p.b.app!, 'Beta', 'with Beta')]);
    await journal.send(p.a.app!, 'A', alpha.chatId, 'A-to-Alpha');
    await journal.send(p.b.app!, 'B', beta.chatId, 'B-to-Beta');
    await p.resume();
    const bothCharacters = (side: string, s: Shown) => {
      const names = s.characters.map((c) => c.name).sort();
      return names.join() === 'Alpha,Beta' ? [] : [`${side} lists the characters [${names.join(', ')}], not [Alpha, Beta]`];
    };
    const end = await settle(p, journal.acked, [alpha.chatId, beta.chatId], { timeoutMs: 15_000, check: (a, b) => [...bothCharacters('A', a), ...bothCharacters('B', b)] });
    expect(verdict(end.problems, journal, p)).toEqual([]);
  });
});

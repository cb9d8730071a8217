// Issue 17, "Prove it": two computers (two app hosts, each in its own UTS/PID namespace with its own
// hostname) on one library synced by two real Syncthing instances on loopback. Every scenario ends
// with both apps showing the same chats and every acknowledged message exactly once, in its chat.
// Run: npm run test:sync (root, syncthing installed; skipped, saying why, where that is not so).
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, makeChat, waitForChat } from './actions.ts';
import { namespacesUnavailable } from './computer.ts';
import { lockLost, settle, type Shown } from './library.ts';
import { SYNCTHING } from './syncthing.ts';
import { twoComputers, type TwoComputers } from './two-computers.ts';

const why = !existsSync(SYNCTHING) ? `${SYNCTHING} is not installed (apt-get install syncthing; .ci/run does it)` : namespacesUnavailable();
if (why) console.warn(`two-computer sync tests skipped: ${why}`);

let pair: TwoComputers | undefined;
afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

/** Both apps started at the same moment on two fresh, connected folders. */
async function bothRunning(): Promise<TwoComputers> {
  pair = await twoComputers();
  await pair.startApps();
  return pair;
}

/** A chat made on A that B's app can open: the common start of the scenarios that write from both sides. */
async function sharedChat(p: TwoComputers, journal: Journal): Promise<string> {
  const { chatId } = await makeChat(p.a.app!, 'Lantern Keeper', 'shared');
  await journal.send(p.a.app!, 'A', chatId, 'A-first');
  await waitForChat(p.b.app!, chatId);
  return chatId;
}

/** The end state's problems, with what else went wrong on the way, as one readable list. */
function verdict(problems: string[], journal: Journal, p: TwoComputers): string[] {
  return [...problems, ...journal.refused.map((r) => `send refused: ${r}`), ...lockLost(p)];
}

const count = (s: Shown, pred: (text: string) => boolean) => s.chats.flatMap((c) => c.messages).filter((m) => [m.content, ...(m.swipes ?? [])].some(pred)).length;

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

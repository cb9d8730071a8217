// The common part of the two-computer scenarios (two-computers.test.ts, concurrent-edits.test.ts):
// why they would be skipped, two apps started at once on two connected folders, a chat both write
// to, and the end state's problems as one readable list.
import { afterEach } from 'vitest';
import { Journal, makeChat, waitForChat } from './actions.ts';
import { namespacesUnavailable } from './computer.ts';
import { lockLost, type Shown } from './library.ts';
import { twoComputers, type TwoComputers } from './two-computers.ts';

/**
 * Why the scenarios cannot run here (no UTS/PID namespaces: not Linux, not root, unshare refused),
 * or null. A missing Syncthing is no reason to skip: the harness then fails, saying how to install it.
 */
export const why = namespacesUnavailable();
if (why) console.warn(`two-computer sync tests skipped: ${why}`);

/** Registers the pair's clean-up; returns the starter: both apps at the same moment on two fresh, connected folders. */
export function usePair(): () => Promise<TwoComputers> {
  let pair: TwoComputers | undefined;
  afterEach(async () => {
    await pair?.close();
    pair = undefined;
  });
  return async () => {
    pair = await twoComputers();
    await pair.startApps();
    return pair;
  };
}

/** A chat made on A that B's app can open: the common start of the scenarios that write from both sides. */
export async function sharedChat(p: TwoComputers, journal: Journal): Promise<string> {
  const { chatId } = await makeChat(p.a.app!, 'Lantern Keeper', 'shared');
  await journal.send(p.a.app!, 'A', chatId, 'A-first');
  await waitForChat(p.b.app!, chatId);
  return chatId;
}

/** The end state's problems, with what else went wrong on the way, as one readable list. */
export function verdict(problems: string[], journal: Journal, p: TwoComputers): string[] {
  return [...problems, ...journal.refused.map((r) => `send refused: ${r}`), ...lockLost(p)];
}

export const count = (s: Shown, pred: (text: string) => boolean) => s.chats.flatMap((c) => c.messages).filter((m) => [m.content, ...(m.swipes ?? [])].some(pred)).length;

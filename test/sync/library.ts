// What an app shows (its characters, their chats, every message), and the checks every sync
// scenario ends with: both apps show the same chats, and every acknowledged message exactly once,
// in the chat it was sent to. Problems are returned as sentences, so a failing test says what is wrong.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Computer } from './computer.ts';
import type { TwoComputers } from './two-computers.ts';

export interface ShownMessage {
  id: string;
  content: string;
  swipes?: string[];
}
export interface ShownChat {
  chatId: string;
  characterId: string;
  title: string;
  messages: ShownMessage[];
}
export interface Shown {
  characters: { id: string; name: string }[];
  chats: ShownChat[];
}

/** An append the app acknowledged (its content is unique in the test). */
export interface Acked {
  by: string;
  chatId: string;
  id: string;
  content: string;
}

export async function shown(app: Computer): Promise<Shown> {
  const characters = ((await app.call<{ id: string; name: string }[]>('listCharacters')) ?? []).map((c) => ({ id: c.id, name: c.name })).sort((x, y) => x.id.localeCompare(y.id));
  const chats: ShownChat[] = [];
  for (const c of characters) {
    for (const s of await app.call<{ chatId: string; characterId: string; title: string }[]>('listChats', { characterId: c.id })) {
      const messages: ShownMessage[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await app.call<{ messages: ShownMessage[]; hasMore: boolean }>('loadChat', { chatId: s.chatId, options: { limit: 1000, ...(before ? { before } : {}) } });
        messages.unshift(...page.messages.map((m) => ({ id: m.id, content: m.content, ...(m.swipes && m.swipes.length > 1 ? { swipes: m.swipes } : {}) })));
        if (!page.hasMore || !page.messages.length) break;
        before = page.messages[0]!.id;
      }
      chats.push({ chatId: s.chatId, characterId: s.characterId, title: s.title, messages });
    }
  }
  chats.sort((x, y) => x.chatId.localeCompare(y.chatId));
  return { characters, chats };
}

const list = (xs: string[], max = 8) => (xs.length > max ? `${xs.slice(0, max).join(', ')} … (${xs.length} in all)` : xs.join(', '));

/** Where A's and B's views differ. */
export function differences(a: Shown, b: Shown): string[] {
  const out: string[] = [];
  const names = (s: Shown) => new Map(s.characters.map((c) => [c.id, c.name]));
  const [ca, cb] = [names(a), names(b)];
  const onlyA = [...ca].filter(([id]) => !cb.has(id)).map(([, n]) => n);
  const onlyB = [...cb].filter(([id]) => !ca.has(id)).map(([, n]) => n);
  if (onlyA.length || onlyB.length) out.push(`characters differ: only A shows [${list(onlyA)}], only B shows [${list(onlyB)}]`);
  const chatsB = new Map(b.chats.map((c) => [c.chatId, c]));
  const chatsA = new Map(a.chats.map((c) => [c.chatId, c]));
  const chatOnlyA = a.chats.filter((c) => !chatsB.has(c.chatId)).map((c) => `"${c.title}"`);
  const chatOnlyB = b.chats.filter((c) => !chatsA.has(c.chatId)).map((c) => `"${c.title}"`);
  if (chatOnlyA.length || chatOnlyB.length) out.push(`chats differ: only A shows [${list(chatOnlyA)}], only B shows [${list(chatOnlyB)}]`);
  for (const x of a.chats) {
    const y = chatsB.get(x.chatId);
    if (!y) continue;
    const key = (m: ShownMessage) => `${m.id}:${m.content}:${(m.swipes ?? []).join('|')}`;
    if (x.messages.map(key).join('\n') !== y.messages.map(key).join('\n')) {
      const inB = new Set(y.messages.map(key));
      const inA = new Set(x.messages.map(key));
      out.push(
        `chat "${x.title}" differs: A shows ${x.messages.length} messages, B ${y.messages.length}; only on A: [${list(x.messages.filter((m) => !inB.has(key(m))).map((m) => m.content))}], only on B: [${list(y.messages.filter((m) => !inA.has(key(m))).map((m) => m.content))}]${inA.size === inB.size && [...inA].every((k) => inB.has(k)) ? ' (same messages, another order)' : ''}`,
      );
    }
  }
  return out;
}

/** What is wrong with one app's view: acknowledged messages missing, twice, or in another chat; chats the test never made. */
export function ackProblems(side: string, s: Shown, acked: Acked[], expectedChatIds: string[]): string[] {
  const out: string[] = [];
  const extra = s.chats.filter((c) => !expectedChatIds.includes(c.chatId));
  if (extra.length) out.push(`${side} shows ${extra.length} chat(s) the test never made: [${list(extra.map((c) => `"${c.title}" (${c.messages.length} messages)`))}]`);
  const missingChats = expectedChatIds.filter((id) => !s.chats.some((c) => c.chatId === id));
  if (missingChats.length) out.push(`${side} does not show ${missingChats.length} chat(s) made in the test: ${list(missingChats)}`);
  const where = new Map<string, string[]>();
  for (const c of s.chats) for (const m of c.messages) for (const text of new Set([m.content, ...(m.swipes ?? [])])) where.set(text, [...(where.get(text) ?? []), c.chatId]);
  const missing = acked.filter((m) => !where.has(m.content));
  const twice = acked.filter((m) => (where.get(m.content)?.length ?? 0) > 1);
  const elsewhere = acked.filter((m) => where.get(m.content)?.length === 1 && where.get(m.content)![0] !== m.chatId);
  if (missing.length) out.push(`${side} lacks ${missing.length} of ${acked.length} acknowledged messages: [${list(missing.map((m) => m.content))}]`);
  if (twice.length) out.push(`${side} shows ${twice.length} acknowledged messages more than once: [${list(twice.map((m) => `${m.content} ×${where.get(m.content)!.length}`))}]`);
  if (elsewhere.length) {
    const title = (id: string) => s.chats.find((c) => c.chatId === id)?.title ?? id;
    out.push(`${side} shows ${elsewhere.length} acknowledged messages in another chat than they were sent to: [${list(elsewhere.map((m) => `${m.content} in "${title(where.get(m.content)![0]!)}"`))}]`);
  }
  return out;
}

export interface Settled {
  a: Shown;
  b: Shown;
  problems: string[];
}

/**
 * Waits (bounded) for the end state every scenario asks for: Syncthing in sync, both apps showing
 * the same library, each acknowledged message once in its chat, plus the scenario's own `check`.
 * Returns the last views and the problems left (empty when it settled).
 */
export async function settle(pair: TwoComputers, acked: Acked[], expectedChatIds: string[], opts: { timeoutMs?: number; check?: (a: Shown, b: Shown) => string[] } = {}): Promise<Settled> {
  const end = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    const problems: string[] = [];
    await pair.waitInSync(Math.max(1000, end - Date.now())).catch((e: Error) => problems.push(e.message));
    const [a, b] = await Promise.all([shown(pair.a.app!), shown(pair.b.app!)]);
    problems.push(...differences(a, b), ...ackProblems('A', a, acked, expectedChatIds), ...ackProblems('B', b, acked, expectedChatIds), ...(opts.check?.(a, b) ?? []));
    if (!problems.length || Date.now() > end) return { a, b, problems };
    await sleep(500);
  }
}

/** What the apps told their windows that a user would see as trouble (a lost lock). */
export function lockLost(pair: TwoComputers): string[] {
  return [pair.a, pair.b].flatMap((s) => (s.app?.events ?? []).filter((e) => e.event === 'store:lock-lost').map((e) => `${s.label}'s app lost its lock: ${e.payload.message}`));
}

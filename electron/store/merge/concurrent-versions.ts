// Two versions of one message changed concurrently (on two computers, or by the app and another
// program): which one wins, and how the loser's texts are kept. The winner is the one changed last
// (its newest change time, `edited`, else its creation time); on a tie the one whose selected text
// sorts last (code-unit order), then the rest of the message, then its swipes. The loser's texts the
// winner lacks are appended to the winner's swipes (the winner's selection stays): nothing typed is lost.
import type { Message } from '../../../shared/chat-format.ts';

const swipesOf = (m: Message): string[] => m.swipes ?? [m.content];

/** Key order does not matter: the same data gives the same text. */
export function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(x);
}

/** Code-unit order. */
export function cmpStr(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Which version wins (> 0: `x`): changed last, then the selected text, then the rest, then the swipes (a longer list that begins with the other wins). */
export function compareVersions(x: Message, y: Message): number {
  const tx = x.edited ?? x.timestamp;
  const ty = y.edited ?? y.timestamp;
  if (tx !== ty) return tx - ty;
  const c = cmpStr(x.content, y.content);
  if (c) return c;
  const rest = (m: Message) => {
    const { swipes: _s, swipe_id: _i, content: _c, ...r } = m;
    return canonical(r);
  };
  const r = cmpStr(rest(x), rest(y));
  if (r) return r;
  const sx = swipesOf(x);
  const sy = swipesOf(y);
  for (let i = 0; i < Math.min(sx.length, sy.length); i++) {
    const s = cmpStr(sx[i]!, sy[i]!);
    if (s) return s;
  }
  return sx.length - sy.length;
}

/** Both live versions of a message changed concurrently: the winner, with the loser's texts it lacks as more swipes. */
export function joinVersions(x: Message, y: Message): Message {
  const [win, lose] = compareVersions(x, y) >= 0 ? [x, y] : [y, x];
  const have = swipesOf(win);
  const seen = new Set(have);
  const more: string[] = [];
  for (const t of swipesOf(lose)) {
    if (!seen.has(t)) {
      seen.add(t);
      more.push(t);
    }
  }
  const out = structuredClone(win);
  if (more.length) {
    out.swipes = [...have, ...more];
    out.swipe_id = win.swipes ? win.swipe_id : 0;
  }
  return out;
}

// Which fields of a card differ from another's: decides whether a re-imported card is the same
// card (nothing to do) or another one (ask before replacing), and names what differs.
// Key order does not count (other tools re-save cards in their own order).
import type { CardData } from '../../shared/character-card.ts';

const MAX_DEPTH = 200;

/** Sorted-key JSON; throws on nesting deeper than MAX_DEPTH (such a field counts as changed). */
function canonical(v: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new RangeError('nested too deeply to compare');
  if (Array.isArray(v)) return `[${v.map((x) => canonical(x, depth + 1)).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k], depth + 1)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function same(a: unknown, b: unknown): boolean {
  try {
    return canonical(a) === canonical(b);
  } catch {
    return false;
  }
}

/** The keys (top-level card fields) whose values differ, in a stable order. */
export function changedCardFields(current: CardData, incoming: CardData): string[] {
  const a = current as Record<string, unknown>;
  const b = incoming as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.filter((k) => !same(a[k], b[k]));
}

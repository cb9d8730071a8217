// Free-form fields (extra, metadata, unknown record keys) must be plain JSON data of bounded
// depth: a class instance or a toJSON method would be stored as something other than what was
// validated, and deep nesting overflows the stack of structuredClone long after the line is on disk.

/** Deepest nesting of objects and arrays accepted in a free-form value. */
export const MAX_NESTING = 64;
/** Values visited at most: shared sub-objects could otherwise make the walk exponential. */
const MAX_NODES = 1_000_000;

function isPlainObject(x: object): boolean {
  const proto = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/**
 * Why `value` is not plain JSON data nested at most `maxDepth` levels (one per object or array),
 * or null when it is. Plain data: null, booleans, finite numbers, strings, arrays without holes
 * or undefined, and objects whose prototype is Object.prototype or null, without symbol keys.
 * An undefined property is allowed (JSON leaves it out). Recursion stops at `maxDepth`, so a
 * value of any depth is judged without overflowing the stack.
 */
export function plainDataIssue(value: unknown, maxDepth = MAX_NESTING): string | null {
  const ancestors = new Set<object>();
  let nodes = 0;
  const check = (v: unknown, depth: number): string | null => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return null;
    if (typeof v === 'number') return Number.isFinite(v) ? null : 'numbers must be finite';
    if (typeof v !== 'object') return `a ${typeof v} is not plain data`;
    if (ancestors.has(v)) return 'it contains a cycle';
    if (depth >= maxDepth) return `it is nested more than ${maxDepth} levels deep`;
    if (++nodes > MAX_NODES) return 'it holds too many values';
    let children: unknown[];
    if (Array.isArray(v)) {
      children = [];
      for (let i = 0; i < v.length; i++) {
        if (!(i in v) || v[i] === undefined) return 'arrays may not hold undefined or holes';
        children.push(v[i]);
      }
    } else {
      if (!isPlainObject(v)) return 'only plain objects are allowed (no class instances, dates or maps)';
      if (Object.getOwnPropertySymbols(v).length > 0) return 'symbol keys are not plain data';
      children = Object.values(v).filter((c) => c !== undefined);
    }
    ancestors.add(v);
    for (const c of children) {
      const issue = check(c, depth + 1);
      if (issue) return issue;
    }
    ancestors.delete(v);
    return null;
  };
  return check(value, 0);
}

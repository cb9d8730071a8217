// A tiny tokenizer for roleplay text: ```fenced code```, `inline code`, **bold**, *actions* and
// "speech" (straight or curly quotes). It only splits the text into a tree of nodes; the renderer
// turns them into React elements, so nothing in a message is ever treated as HTML. Unclosed
// markers stay as the text they are. The stored text is never changed.
//
// Linear in the text: a card greeting can be 200,000 characters, and a stranger chooses them. A
// closing marker is never searched for twice over the same stretch (see `remembered`), nested spans
// are index ranges into the one text (no copies), and nesting stops at MAX_DEPTH. Past
// MAX_FORMATTED_SPANS spans the rest of a message is plain text: each span is an element to build and
// lay out, and half a million of them (`*a*a*a…`) would freeze the window for seconds.

export type RichNode =
  | { t: 'text'; v: string }
  | { t: 'code'; v: string }
  | { t: 'codeblock'; lang: string; v: string }
  | { t: 'bold' | 'action'; children: RichNode[] }
  /** Speech keeps its quote marks as text. */
  | { t: 'speech'; children: RichNode[] };

const MAX_DEPTH = 6;
/** Far more than any real message uses (a long greeting has hundreds); ~20 ms of React work. */
export const MAX_FORMATTED_SPANS = 20_000;
const TICK = 0x60; // `
const STAR = 0x2a; // *
const STRAIGHT_QUOTE = 0x22; // "
const CURLY_OPEN = 0x201c; // “
const SPACE = /\s/;

/** Splits off fenced code blocks, then tokenizes the prose between them. */
export function tokenize(text: string): RichNode[] {
  const prose = new ProseScanner(text);
  const out: RichNode[] = [];
  let i = 0;
  while (prose.spans < MAX_FORMATTED_SPANS) {
    const open = text.indexOf('```', i);
    if (open === -1) break;
    const langEnd = text.indexOf('\n', open + 3);
    const close = langEnd === -1 ? -1 : text.indexOf('```', langEnd + 1);
    if (close === -1) break; // unclosed: the rest is prose
    prose.inline(i, open, 0, out);
    prose.spans++;
    out.push({ t: 'codeblock', lang: text.slice(open + 3, langEnd).trim(), v: text.slice(langEnd + 1, close).replace(/\n$/, '') });
    i = close + 3;
    if (text[i] === '\n') i++;
  }
  prose.inline(i, text.length, 0, out);
  return out;
}

/**
 * `find(from)` (the first match at or after `from`, or -1), remembered: that match is also the
 * first one at or after any later `from` up to it. The tokenizer asks at positions that only move
 * forward (nested spans lie after their opening marker), so each needle searches each stretch of the
 * text at most once, and an unclosed marker costs one search, not one per opening.
 */
function remembered(find: (from: number) => number): (from: number) => number {
  let askedFrom = Infinity;
  let found = -1;
  return (from) => {
    if (from < askedFrom || (found !== -1 && from > found)) {
      askedFrom = from;
      found = find(from);
    }
    return found;
  };
}

/** Tokenizes ranges of one text; the searches are shared by every range and depth. */
class ProseScanner {
  /** Spans made so far (code blocks included): past MAX_FORMATTED_SPANS, the rest is text. */
  spans = 0;
  private readonly s: string;
  private readonly nextTick: (from: number) => number;
  private readonly nextStraightQuote: (from: number) => number;
  private readonly nextCurlyClose: (from: number) => number;
  private readonly nextDoubleStar: (from: number) => number;
  private readonly nextOddStarRunEnd: (from: number) => number;

  constructor(s: string) {
    this.s = s;
    this.nextTick = remembered((from) => s.indexOf('`', from));
    this.nextStraightQuote = remembered((from) => s.indexOf('"', from));
    this.nextCurlyClose = remembered((from) => s.indexOf('”', from));
    this.nextDoubleStar = remembered((from) => s.indexOf('**', from));
    // Asked only at a character that is not `*`, so the runs it sees are whole ones: its answer
    // holds for every later such `from` up to it, as `remembered` needs.
    this.nextOddStarRunEnd = remembered((from) => oddStarRunEnd(s, from));
  }

  /**
   * Appends the nodes of s[lo, hi) to `out`. Reads char codes: `s[i]` would allocate a string per
   * character of a non-Latin-1 text.
   */
  inline(lo: number, hi: number, depth: number, out: RichNode[]): void {
    const s = this.s;
    if (lo >= hi) return;
    if (depth >= MAX_DEPTH) {
      out.push({ t: 'text', v: s.slice(lo, hi) });
      return;
    }
    let textStart = lo; // the text since the last span, pushed as one node before the next
    let trailingRunStart = -1; // start of the run of `*` that ends this range, found once
    let i = lo;
    while (i < hi && this.spans < MAX_FORMATTED_SPANS) {
      const c = s.charCodeAt(i);
      let node: RichNode | undefined;
      let next = i;
      if (c === TICK) {
        const end = this.nextTick(i + 1);
        if (end > i + 1 && end < hi) {
          this.spans++;
          node = { t: 'code', v: s.slice(i + 1, end) };
          next = end + 1;
        }
      } else if (c === STAR && i + 1 < hi && s.charCodeAt(i + 1) === STAR) {
        const end = this.nextDoubleStar(i + 2);
        if (end > i + 2 && end + 2 <= hi) {
          this.spans++; // counted before its children, so nesting cannot go past the cap
          node = { t: 'bold', children: [] };
          this.inline(i + 2, end, depth + 1, node.children);
          next = end + 2;
        }
      } else if (c === STAR) {
        // The next single `*` (`**` pairs inside are bold within the action). s[i + 1] is not a
        // `*` here, so runs of stars after it are whole, except the one the range's end cuts.
        let end = -1;
        if (i + 1 < hi) {
          const runEnd = this.nextOddStarRunEnd(i + 1);
          if (runEnd !== -1 && runEnd < hi) end = runEnd;
          else if (s.charCodeAt(hi - 1) === STAR) {
            if (trailingRunStart === -1) for (trailingRunStart = hi - 1; trailingRunStart > lo && s.charCodeAt(trailingRunStart - 1) === STAR; ) trailingRunStart--;
            if ((hi - trailingRunStart) % 2 === 1) end = hi - 1;
          }
        }
        // `*action*`: not empty, and no space just inside the asterisks (so "2 * 3 * 4" stays text)
        if (end > i + 1 && !SPACE.test(s[i + 1]!) && !SPACE.test(s[end - 1]!)) {
          this.spans++;
          node = { t: 'action', children: [] };
          this.inline(i + 1, end, depth + 1, node.children);
          next = end + 1;
        }
      } else if (c === STRAIGHT_QUOTE || c === CURLY_OPEN) {
        const straight = c === STRAIGHT_QUOTE;
        const end = straight ? this.nextStraightQuote(i + 1) : this.nextCurlyClose(i + 1);
        if (end > i + 1 && end < hi) {
          this.spans++;
          const children: RichNode[] = [{ t: 'text', v: straight ? '"' : '“' }];
          this.inline(i + 1, end, depth + 1, children);
          children.push({ t: 'text', v: straight ? '"' : '”' });
          node = { t: 'speech', children };
          next = end + 1;
        }
      }
      if (node) {
        if (i > textStart) out.push({ t: 'text', v: s.slice(textStart, i) });
        out.push(node);
        i = textStart = next;
      } else i++;
    }
    if (hi > textStart) out.push({ t: 'text', v: s.slice(textStart, hi) });
  }
}

/**
 * The last `*` of the first run of stars starting at or after `from` whose length is odd, or -1.
 * Pairing stars from the left, that is the first `*` left over: a single one closes an action.
 */
function oddStarRunEnd(s: string, from: number): number {
  for (let j = s.indexOf('*', from); j !== -1; j = s.indexOf('*', j + 1)) {
    const start = j;
    while (s.charCodeAt(j + 1) === STAR) j++;
    if ((j - start) % 2 === 0) return j;
  }
  return -1;
}

/** The text a tree shows (markers other than quotes dropped): for tests and accessibility. */
export function plainText(nodes: RichNode[]): string {
  return nodes.map((n) => ('children' in n ? plainText(n.children) : n.v)).join('');
}

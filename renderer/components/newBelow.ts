// Whether something new appeared below a list the reader is not following (scrolled up, or put
// somewhere by a find jump): a row appended at the end, or the last row grown (a streaming reply).
// Pure, so the rule is cheap to read; VirtualList keeps the previous tail and asks on each layout.

export interface Tail {
  /** Key of the last row, undefined for an empty list. */
  lastKey: string | undefined;
  /** Height of the last row. */
  lastHeight: number;
}

export function grewBelow(prev: Tail | null, now: Tail, following: boolean, pagingNewer: boolean): boolean {
  // At the bottom the view follows by itself; pages loaded while reading down (after a jump) are not news.
  if (following || pagingNewer || !prev || prev.lastKey === undefined || now.lastKey === undefined) return false;
  return now.lastKey !== prev.lastKey || now.lastHeight > prev.lastHeight + 0.5;
}

// A hand-rolled virtual list for variable-height rows, bottom-anchored like a chat:
// only rows near the viewport are in the DOM; heights are measured as rows render;
// the first visible row stays put when rows are measured or older pages prepended.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { grewBelow, type Tail } from './newBelow.ts';

const ESTIMATE = 80;
const OVERSCAN_PX = 800;
const LOAD_OLDER_PX = 600;

export interface VirtualListProps<T> {
  items: readonly T[];
  keyOf: (item: T) => string;
  render: (item: T) => ReactNode;
  hasMore: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  /** After a jump: newer rows exist below the loaded ones; asked for when the reader nears the bottom. */
  hasNewer?: boolean;
  onLoadNewer?: () => void;
  /** Scrolls this row into view (about a third down) whenever `focusTick` changes. */
  focusKey?: string | undefined;
  focusTick?: number;
}

export function VirtualList<T>({ items, keyOf, render, hasMore, loadingOlder, onLoadOlder, focusKey, focusTick, hasNewer, onLoadNewer }: VirtualListProps<T>) {
  const scroller = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [measureTick, setMeasureTick] = useState(0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewport, setViewport] = useState(600);
  const stick = useRef(true);
  const anchor = useRef<{ key: string; delta: number } | null>(null);
  /** Something new is below the view (a send, a reply streaming) and the view is not following: a button says so. */
  const [newBelow, setNewBelow] = useState(false);
  const tail = useRef<Tail | null>(null);
  const wasPagingNewer = useRef(hasNewer ?? false);

  const keys = useMemo(() => items.map(keyOf), [items, keyOf]);
  const tops = useMemo(() => {
    const t = new Float64Array(keys.length + 1);
    for (let i = 0; i < keys.length; i++) t[i + 1] = t[i]! + (heights.current.get(keys[i]!) ?? ESTIMATE);
    return t;
    // measureTick: recompute when a row's measured height changed
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [keys, measureTick]);
  const total = tops[keys.length]!;

  const indexAt = useCallback(
    (y: number) => {
      let lo = 0;
      let hi = keys.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (tops[mid]! <= y) lo = mid;
        else hi = mid - 1;
      }
      return Math.max(0, lo);
    },
    [keys, tops],
  );

  // Keep the view where the reader left it after any layout change.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    let target: number | undefined;
    if (stick.current) target = Math.max(0, total - el.clientHeight);
    else if (anchor.current) {
      const i = keys.indexOf(anchor.current.key);
      if (i >= 0) target = tops[i]! + anchor.current.delta;
    }
    if (target !== undefined && Math.abs(el.scrollTop - target) > 0.5) el.scrollTop = target;
    setScrollTop(el.scrollTop);
    const now: Tail = { lastKey: keys.at(-1), lastHeight: keys.length ? total - tops[keys.length - 1]! : 0 };
    const pagingNewer = wasPagingNewer.current || (hasNewer ?? false);
    if (grewBelow(tail.current, now, stick.current, pagingNewer)) setNewBelow(true);
    tail.current = now;
    wasPagingNewer.current = hasNewer ?? false;
    // hasNewer is read, not a trigger: only a layout change can bring something new
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [tops, total, keys]);

  const toBottom = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = true;
    el.scrollTop = Math.max(0, total - el.clientHeight);
    setScrollTop(el.scrollTop);
    setNewBelow(false);
  };

  // A jump (find in chat): put the row a third down the view, and keep it there while rows are measured.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el || focusKey === undefined) return;
    const i = keys.indexOf(focusKey);
    if (i < 0) return;
    stick.current = false;
    anchor.current = { key: focusKey, delta: -Math.round(el.clientHeight / 3) };
    el.scrollTop = Math.max(0, tops[i]! + anchor.current.delta);
    setScrollTop(el.scrollTop);
    // only a new focus request scrolls
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [focusTick]);

  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setViewport(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    const y = el.scrollTop;
    stick.current = y + el.clientHeight >= total - 4;
    if (stick.current) setNewBelow(false);
    const i = indexAt(y);
    const key = keys[i];
    anchor.current = key === undefined ? null : { key, delta: y - tops[i]! };
    setScrollTop(y);
    if (y < LOAD_OLDER_PX && hasMore && !loadingOlder) onLoadOlder();
    if (hasNewer && onLoadNewer && y + el.clientHeight > total - LOAD_OLDER_PX) onLoadNewer();
  };

  // A short chat that does not fill the view still needs its older pages.
  useEffect(() => {
    if (hasMore && !loadingOlder && total < viewport + LOAD_OLDER_PX && keys.length > 0) onLoadOlder();
  }, [hasMore, loadingOlder, total, viewport, keys.length, onLoadOlder]);

  const observer = useMemo(
    () =>
      new ResizeObserver((entries) => {
        let changed = false;
        for (const e of entries) {
          const key = (e.target as HTMLElement).dataset.vkey;
          if (!key) continue;
          const h = (e.target as HTMLElement).offsetHeight;
          if (h > 0 && heights.current.get(key) !== h) {
            heights.current.set(key, h);
            changed = true;
          }
        }
        if (changed) setMeasureTick((t) => t + 1);
      }),
    [],
  );
  useEffect(() => () => observer.disconnect(), [observer]);

  const first = keys.length ? indexAt(Math.max(0, scrollTop - OVERSCAN_PX)) : 0;
  const last = keys.length ? indexAt(scrollTop + viewport + OVERSCAN_PX) : -1;
  const rows: ReactNode[] = [];
  for (let i = first; i <= last; i++) {
    const item = items[i]!;
    const key = keys[i]!;
    rows.push(
      <Row key={key} vkey={key} top={tops[i]!} observer={observer}>
        {render(item)}
      </Row>,
    );
  }

  return (
    <>
      <div className="vlist" ref={scroller} onScroll={onScroll} data-testid="message-list">
        {hasMore && <div className="vlist-loading">{loadingOlder ? 'Loading older messages…' : ' '}</div>}
        <div className="vlist-inner" style={{ height: total }}>
          {rows}
        </div>
      </div>
      {newBelow && !hasNewer && (
        <button className="new-below" data-testid="new-below" onClick={toBottom}>
          new messages ↓
        </button>
      )}
    </>
  );
}

function Row({ vkey, top, observer, children }: { vkey: string; top: number; observer: ResizeObserver; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    const node = ref.current;
    if (!node) return;
    observer.observe(node);
    return () => observer.unobserve(node); // rows scrolled away must not be retained
  }, [observer]);
  return (
    <div ref={ref} data-vkey={vkey} className="vrow" style={{ top }}>
      {children}
    </div>
  );
}

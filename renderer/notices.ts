// Visible error notices: one small store the whole UI pushes into.
import { useSyncExternalStore } from 'react';

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
  code?: string;
  /** How many times this same notice came (shown as ×N instead of N copies). */
  count?: number;
}

/** Notices kept (the newest); the stack shows only the newest few of them (StatusBits.tsx). */
export const KEPT_NOTICES = 20;
export const SHOWN_NOTICES = 3;

let notices: Notice[] = [];
let nextId = 1;
const subs = new Set<() => void>();
const publish = () => subs.forEach((f) => f());

/**
 * The list with `notice` added: the same notice again (level and text) is one entry with a count,
 * moved to the newest place, so a bulk import's repeated notices do not stack up the screen.
 */
export function withNotice(list: readonly Notice[], notice: Notice, kept = KEPT_NOTICES): Notice[] {
  const same = list.find((x) => x.level === notice.level && x.message === notice.message);
  const merged = same ? { ...notice, count: (same.count ?? 1) + 1 } : notice;
  return [...list.filter((x) => x !== same), merged].slice(-kept);
}

export function pushNotice(n: Omit<Notice, 'id'>): void {
  // A merged notice gets a new id: an earlier copy's dismiss timer must not take it away early.
  const notice = { ...n, id: nextId++ };
  notices = withNotice(notices, notice);
  publish();
  if (n.level === 'info') setTimeout(() => dismissNotice(notice.id), 6_000);
}

export function dismissAllNotices(): void {
  notices = [];
  publish();
}

export function dismissNotice(id: number): void {
  notices = notices.filter((n) => n.id !== id);
  publish();
}

export function useNotices(): Notice[] {
  return useSyncExternalStore(
    (f) => {
      subs.add(f);
      return () => subs.delete(f);
    },
    () => notices,
  );
}

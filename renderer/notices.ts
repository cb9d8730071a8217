// Visible error notices: one small store the whole UI pushes into.
import { useSyncExternalStore } from 'react';

export interface Notice {
  id: number;
  level: 'info' | 'warning' | 'error';
  message: string;
  code?: string;
}

let notices: Notice[] = [];
let nextId = 1;
const subs = new Set<() => void>();
const publish = () => subs.forEach((f) => f());

export function pushNotice(n: Omit<Notice, 'id'>): void {
  const notice = { ...n, id: nextId++ };
  notices = [...notices.slice(-4), notice];
  publish();
  if (n.level === 'info') setTimeout(() => dismissNotice(notice.id), 6_000);
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

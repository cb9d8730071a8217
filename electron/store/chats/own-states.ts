// Which chat files the store wrote last, and as what: the file state (device, inode, size, mtime)
// after the store's last own write of each chat. Kept for the session and persisted with the chat
// index (index.json `writes`), so that a torn last line can be told apart at any open, also at the
// next start: the store's own (an append its crash or a full disk interrupted: cut off) or another
// program's (it may still be writing it: reported, read-only, never cut).
//
// A state is exact (the file is the store's own only if it is still exactly this), or a bound:
// the store may have written past it (it crashed after it was persisted, or an append failed and
// could not be cut back), so a torn last line that starts at or after its size on the same file
// may be the store's own. A bound serves the next open of the chat only.
import type { FileState } from '../log/log-file.ts';

export interface OwnState extends FileState {
  exact: boolean;
}

/** One chat's entry in index.json `writes` (bigints as decimal strings). */
interface PersistedState {
  dev: string;
  ino: string;
  size: number;
  mtimeNs: string;
  exact?: false;
}

const DIGITS = /^-?\d+$/;

function parsePersisted(x: unknown): FileState & { exact: boolean } | null {
  if (typeof x !== 'object' || x === null) return null;
  const p = x as Record<string, unknown>;
  const big = (v: unknown) => (typeof v === 'string' && DIGITS.test(v) ? BigInt(v) : null);
  const dev = big(p.dev);
  const ino = big(p.ino);
  const mtimeNs = big(p.mtimeNs);
  if (dev === null || ino === null || mtimeNs === null || typeof p.size !== 'number' || !Number.isSafeInteger(p.size) || p.size < 0) return null;
  return { dev, ino, size: p.size, mtimeNs, exact: p.exact !== false };
}

export class OwnStates {
  private readonly states = new Map<string, OwnState>();
  /** Called whenever what would be persisted changes (the chat index then writes index.json). */
  onChange: () => void = () => {};

  /**
   * The states the previous run persisted. If that run did not end cleanly (it left its lock
   * behind), it may have written past every state it persisted: each becomes a bound.
   */
  static load(persisted: unknown, previousRunEndedCleanly: boolean): OwnStates {
    const own = new OwnStates();
    if (typeof persisted !== 'object' || persisted === null) return own;
    for (const [chatId, x] of Object.entries(persisted)) {
      const s = parsePersisted(x);
      if (s) own.states.set(chatId, { ...s, exact: s.exact && previousRunEndedCleanly });
    }
    return own;
  }

  /** The exact state the store last wrote, if the file is the store's own as far as it knows. */
  exact(chatId: string): FileState | undefined {
    const s = this.states.get(chatId);
    return s?.exact ? s : undefined;
  }

  /** A write of the store's landed: the file as it is now (`state`) is its own. */
  wrote(chatId: string, state: FileState): void {
    this.states.set(chatId, { ...state, exact: true });
    this.onChange();
  }

  /** A write of the store's failed part-way and was not cut back: the file may hold a partial line of its own after `state.size`. */
  wrotePartly(chatId: string, state: FileState): void {
    this.states.set(chatId, { ...state, exact: false });
    this.onChange();
  }

  /** Another program changed the file (or it is gone): nothing in it is known to be the store's. */
  notOurs(chatId: string): void {
    if (this.states.delete(chatId)) this.onChange();
  }

  /** The chat's file was opened: a bound has served its purpose (a later torn line is not from before). */
  opened(chatId: string): void {
    const s = this.states.get(chatId);
    if (s && !s.exact) this.notOurs(chatId);
  }

  /**
   * Whether a torn last line starting at `tailStart` in the file as it is (`file`) is the store's
   * own: the file is exactly as the store left it, or, for a bound, the same file with the line
   * starting at or after where the store's known writes ended.
   */
  tornTailIsOwn(chatId: string, file: FileState, tailStart: number): boolean {
    const s = this.states.get(chatId);
    if (!s || s.dev !== file.dev || s.ino !== file.ino) return false;
    if (!s.exact) return tailStart >= s.size;
    return s.mtimeNs !== -1n && s.size === file.size && s.mtimeNs === file.mtimeNs;
  }

  /** What index.json keeps (`writes`), for the chats `listed`. */
  toJSON(listed: (chatId: string) => boolean): Record<string, PersistedState> {
    const out: Record<string, PersistedState> = {};
    for (const [id, s] of this.states) {
      if (!listed(id)) continue;
      out[id] = { dev: String(s.dev), ino: String(s.ino), size: s.size, mtimeNs: String(s.mtimeNs), ...(s.exact ? {} : { exact: false as const }) };
    }
    return out;
  }
}

// The revision last handed out for each chat, with the file state it described and the offset it
// carried (ChatLog.revisionOffset). Kept for the session in each chat's memo; persisted with the
// chat index (index.json `revisions`) so that after a restart a file changed meanwhile (an edit in
// place while the app was closed) gets a revision past every one handed out before, which a window
// or a CLI may still hold. The chat index's own entry cannot serve: a read hands out a revision
// without recording a summary.
import { sameStamp, type FileStamp } from '../../durable/guarded-rewrite.ts';

export interface HandedRevision {
  state: FileStamp;
  value: number;
  offset: number;
}

const DIGITS = /^-?\d+$/;

function parse(x: unknown): HandedRevision | null {
  if (typeof x !== 'object' || x === null) return null;
  const p = x as Record<string, unknown>;
  const big = (v: unknown) => (typeof v === 'string' && DIGITS.test(v) ? BigInt(v) : null);
  const [dev, ino, mtimeNs] = [big(p.dev), big(p.ino), big(p.mtimeNs)];
  const int = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  if (dev === null || ino === null || mtimeNs === null || !int(p.size) || !int(p.value) || !int(p.offset)) return null;
  return { state: { dev, ino, size: p.size as number, mtimeNs }, value: p.value as number, offset: p.offset as number };
}

export class HandedRevisions {
  private readonly byChat = new Map<string, HandedRevision>();
  /** Called whenever what would be persisted changes (the chat index then writes index.json). */
  onChange: () => void = () => {};

  static load(persisted: unknown): HandedRevisions {
    const out = new HandedRevisions();
    if (typeof persisted !== 'object' || persisted === null) return out;
    for (const [chatId, x] of Object.entries(persisted)) {
      const h = parse(x);
      if (h) out.byChat.set(chatId, h);
    }
    return out;
  }

  get(chatId: string): HandedRevision | undefined {
    return this.byChat.get(chatId);
  }

  set(chatId: string, h: HandedRevision): void {
    const was = this.byChat.get(chatId);
    if (was && was.value === h.value && was.offset === h.offset && sameStamp(was.state, h.state)) return;
    this.byChat.set(chatId, h);
    this.onChange();
  }

  /** As set, without asking for a flush (called while one is being written). */
  note(chatId: string, h: HandedRevision): void {
    this.byChat.set(chatId, h);
  }

  /** What index.json keeps (`revisions`), for the chats `listed`. */
  toJSON(listed: (chatId: string) => boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [id, h] of this.byChat) {
      if (listed(id)) out[id] = { dev: String(h.state.dev), ino: String(h.state.ino), size: h.state.size, mtimeNs: String(h.state.mtimeNs), value: h.value, offset: h.offset };
    }
    return out;
  }
}

// Deterministic identities for imported chats and messages, so that importing the same source
// twice lands on the same ids (and is recognised), and every id passes the v1 schemas.
import { createHash } from 'node:crypto';
import { CharacterId, LIMITS, MessageId } from '../../shared/chat-format.ts';
import { chatIdFromHash } from '../store/import-chat.ts';
import { NumberSet } from '../store/number-set.ts';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A UUID v4-shaped chat id derived from the source's hash and the chat's place in it. */
export function chatIdFor(sourceSha256: string, index: number): string {
  return chatIdFromHash(sha256Hex(`cardshark-import:${sourceSha256}:${index}`));
}

/**
 * A safe CharacterId from a folder or character name: the name itself when it is already safe,
 * else a slug plus a short hash of the name (so "Zoë" and "Zoe" stay apart).
 */
export function characterIdFrom(name: string): string {
  const trimmed = name.trim();
  if (CharacterId.safeParse(trimmed).success) return trimmed;
  const slug = trimmed
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+|-+$/g, '')
    .slice(0, 60);
  return `${slug || 'character'}-${sha256Hex(trimmed).slice(0, 8)}`;
}

export function isMessageId(id: unknown): id is string {
  // Most sources have no ids at all: skip zod (and its error objects) for non-strings.
  return typeof id === 'string' && id.length > 0 && MessageId.safeParse(id).success;
}

/** Hands out message ids: the source's own when valid and unused, else a stable one from the line number. */
export class MessageIds {
  /** Source ids taken; usually none (SillyTavern has no ids), which keeps generated ids cheap. */
  private readonly taken = new Set<string>();
  /** Lines whose plain `imp-<line>` id was handed out, and the rare suffixed ids. */
  private readonly lines = new NumberSet();
  private readonly suffixed = new Set<string>();

  private used(id: string): boolean {
    if (this.taken.has(id) || this.suffixed.has(id)) return true;
    const m = /^imp-(\d+)$/.exec(id);
    return m !== null && this.lines.has(Number(m[1]));
  }

  take(sourceId: unknown, line: number): { id: string; generated: boolean } {
    if (sourceId !== undefined && isMessageId(sourceId) && !this.used(sourceId)) {
      this.taken.add(sourceId);
      return { id: sourceId, generated: false };
    }
    const plain = `imp-${line}`;
    if (!this.lines.has(line) && (this.taken.size === 0 || !this.taken.has(plain))) {
      this.lines.add(line);
      return { id: plain, generated: true };
    }
    let id = `${plain}-2`;
    for (let n = 3; this.used(id); n++) id = `${plain}-${n}`;
    this.suffixed.add(id);
    return { id: id.slice(0, LIMITS.idChars), generated: true };
  }
}

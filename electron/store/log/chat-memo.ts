// What the store remembers about a chat across closing and reopening its log (open logs are
// bounded): the warnings already reported, the offsets already quarantined, and who wrote last.
import type { LoadWarning } from '../../../shared/chat-format.ts';

export interface ChatMemo {
  warnings: LoadWarning[];
  /** Offsets already quarantined (durably). */
  quarantined: Set<number>;
  /**
   * Set when the file was changed by another program since the app last wrote it: a torn last
   * line may be one that program is still writing, so it is reported, never truncated.
   */
  external?: boolean;
}

export function newChatMemo(): ChatMemo {
  return { warnings: [], quarantined: new Set() };
}

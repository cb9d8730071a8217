// What the store remembers about a chat across closing and reopening its log (open logs are
// bounded): the warnings already reported, the offsets already quarantined, who wrote last, and
// the revision last handed out.
import type { LoadWarning } from '../../../shared/chat-format.ts';
import type { FileState } from './log-file.ts';

export interface ChatMemo {
  warnings: LoadWarning[];
  /** Offsets already quarantined (durably). */
  quarantined: Set<number>;
  /**
   * Set when the file was changed by another program since the app last wrote it: a torn last
   * line may be one that program is still writing, so it is reported, never truncated.
   */
  external?: boolean;
  /**
   * The chat's revision as last handed out, the file state it describes, and the offset it
   * carried (ChatLog.revisionOffset): a reopened log of the same file keeps the offset, one of a
   * changed file gets a revision past this one.
   */
  revision?: { state: FileState; value: number; offset: number };
}

export function newChatMemo(): ChatMemo {
  return { warnings: [], quarantined: new Set() };
}

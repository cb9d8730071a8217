// Shapes shared by the importers, the tree walker and the CLI.
import type { MessageRecord } from '../../shared/chat-format.ts';

export type SourceFormat =
  | 'sillytavern'
  | 'cardshark-v0'
  | 'cardshark-feb24'
  | 'cardshark-1.0'
  | 'cardshark-2.0'
  | 'cardshark-v1';

/** A line of a source that could not be imported, 1-based as an editor shows it. */
export interface LineProblem {
  file: string;
  line: number;
  reason: string;
}

/** One chat read from a source file, before it is written. */
export interface ParsedChat {
  /** Place of this chat in its file (CardShark's bulk export holds several). */
  index: number;
  format: SourceFormat;
  title: string;
  created: number;
  /** Character identity the file itself states (legacy `character_id`), and the name it gives. */
  characterId?: string;
  characterName?: string;
  /** The chat id the source gave (legacy `chat_id`), to match active_chats.json. */
  sourceChatId?: string;
  metadata: Record<string, unknown>;
  /**
   * The messages, read from the source (parsed and mapped) in batches as they are iterated; each
   * pass rebuilds `problems`. A message `refuse` gives a reason for is left out and reported by line.
   */
  batches: (refuse?: (m: MessageRecord) => string | null) => AsyncIterable<Iterable<MessageRecord>>;
  /** A name the character speaks under (an assistant message's), when the scan saw one. */
  speaker?: string;
  problems: LineProblem[];
}

export interface ImportedChat {
  source: string;
  index: number;
  format: SourceFormat;
  chatId: string;
  characterId: string;
  /** The character's name as the source gives it (to list a character the app does not know yet). */
  characterName?: string;
  title: string;
  messageCount: number;
  /** `already_imported`: the same source bytes were imported before; nothing was written. */
  status: 'created' | 'already_imported';
  /** CardShark's active_chats.json named this chat as its character's active one. */
  active?: boolean;
  /** Lines of the source left out, by number (empty for `already_imported`: nothing was read). */
  problems: LineProblem[];
}

export interface ImportReport {
  chats: ImportedChat[];
  /** Sources (or chats in them) that could not be imported at all, with the reason. */
  failed: { source: string; reason: string }[];
  /** Files seen but not chats (repair backups, unreadable side files). */
  skipped: { source: string; reason: string }[];
}

export interface ImportProgress {
  /** Source files done, of `total`, and the one being read. */
  done: number;
  total: number;
  source: string;
  /** Within that file: the pass (a first read finds the chats, a second writes them), bytes read of it, messages written. */
  phase?: 'scan' | 'write';
  bytesRead?: number;
  bytesTotal?: number;
  messagesWritten?: number;
}

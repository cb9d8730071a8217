// Find in a chat and search across the library (issue 16): results as plain text with highlight ranges
// (no HTML crosses IPC). Re-exported by ipc-contract.ts.
import { z } from 'zod';

export const SearchResultOut = z.object({
  matches: z.array(z.object({ id: z.string(), role: z.enum(['user', 'assistant', 'system']), timestamp: z.number(), snippet: z.string() })),
  total: z.number(),
  /** Where this page starts among all `total` matches in chat order (0: the oldest). */
  offset: z.number(),
});
export type SearchResultOut = z.infer<typeof SearchResultOut>;
/** Plain text and the ranges (UTF-16 offsets) a match covers: the renderer marks them itself (no HTML crosses). */
export const MarkedTextOut = z.object({ text: z.string(), highlights: z.array(z.object({ start: z.number().int().min(0), end: z.number().int().min(0) })) });
export type MarkedTextOut = z.infer<typeof MarkedTextOut>;
/** Search across the library: chats whose messages, title or character name match, with the matching messages. */
export const LibrarySearchOut = z.object({
  chats: z.array(
    z.object({
      chatId: z.string(),
      characterId: z.string(),
      title: MarkedTextOut,
      characterName: MarkedTextOut,
      /** Matching messages in this chat (among those looked at: see `truncated`). */
      matchCount: z.number().int().min(0),
      hits: z.array(z.object({ messageId: z.string(), role: z.string(), timestamp: z.number(), snippet: MarkedTextOut })),
    }),
  ),
  /** More chats or matches exist than were returned or counted. */
  truncated: z.boolean(),
  /** The index is still catching up with the chat files (opening, a rebuild): some matches may be missing. */
  indexing: z.boolean(),
});
export type LibrarySearchOut = z.infer<typeof LibrarySearchOut>;
/** Chats returned by one library search. */
export const LibrarySearchLimit = z.number().int().min(1).max(200);

// The prompt viewer's and the author's note's schemas (re-exported by ipc-contract.ts).
import { z } from 'zod';

export const PromptRoleSchema = z.enum(['system', 'user', 'assistant']);

/** A chat's author's note: inserted `depth` messages from the newest, as `role`. */
export const AuthorsNoteSchema = z.strictObject({
  text: z.string().max(20_000),
  depth: z.number().int().min(0).max(10_000),
  role: PromptRoleSchema,
});
export type AuthorsNoteData = z.infer<typeof AuthorsNoteSchema>;

export const PromptPartKind = z.enum(['main_prompt', 'card', 'persona', 'lorebook', 'examples', 'authors_note', 'depth_prompt', 'history', 'post_history']);

/** Exactly what the next request would send, part by part, with token counts and the budget. */
export const PromptPreviewOut = z.object({
  messages: z.array(z.object({ role: PromptRoleSchema, content: z.string(), tokens: z.number() })),
  parts: z.array(z.object({ kind: PromptPartKind, label: z.string(), message: z.number(), content: z.string(), tokens: z.number(), depth: z.number().optional() })),
  /** Context tokens − max reply tokens. */
  budget: z.number(),
  /** Every message with its framing. */
  totalTokens: z.number(),
  systemTokens: z.number(),
  historyTokens: z.number(),
  historyKept: z.number(),
  historyDropped: z.number(),
  /** Hidden messages met in the history read, left out of the prompt. */
  hiddenLeftOut: z.number(),
  lore: z.array(z.object({ name: z.string(), index: z.number(), position: z.string(), tokens: z.number() })),
  /**
   * Who counted the messages' tokens: the endpoint's tokenizer (llama.cpp's /tokenize, KoboldCPP's
   * /api/extra/tokencount; plus the app's per-message framing), else the app's estimate (about four
   * characters a token). Parts are always estimated.
   */
  tokenCounter: z.enum(['estimate', 'gpt-tokenizer', 'llama.cpp', 'koboldcpp']),
});
export type PromptPreview = z.infer<typeof PromptPreviewOut>;

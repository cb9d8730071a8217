// The character card as the app holds it: the V2 spec's `data` fields under their spec names,
// with every other key (V3 additions, a creator's own fields) carried through untouched.
// Pure TypeScript + zod: main and the renderer both import it.
import { z } from 'zod';
import { CharacterId, EpochMs } from './chat-format.ts';
import { plainDataIssue } from './plain-data.ts';

/** Long text fields: a card's description or example dialogue can be large, but not unbounded. */
const Text = z.string().max(200_000);
const Short = z.string().max(1_000);

/**
 * The V2 `data` object (chara_card_v2, spec_version 2.0), also the base of V3's. Unknown keys
 * (V3's `nickname`, `group_only_greetings`, `assets`, `source`, a creator's own) are kept.
 */
export const CardData = z.looseObject({
  name: z.string().trim().min(1).max(200),
  description: Text,
  personality: Text,
  scenario: Text,
  first_mes: Text,
  mes_example: Text,
  creator_notes: Text,
  system_prompt: Text,
  post_history_instructions: Text,
  alternate_greetings: z.array(Text).max(1_000),
  tags: z.array(Short).max(1_000),
  creator: Short,
  character_version: Short,
  /** Kept whole: other apps' settings (depth prompts, talkativeness, regex scripts...). */
  extensions: z.record(z.string(), z.unknown()),
  character_book: z.unknown().optional(),
});
export type CardData = z.infer<typeof CardData>;

/**
 * A lorebook as the editor saves it (V2 spec `character_book`): each entry's known fields checked,
 * every other field (SillyTavern's extensions, ids, comments) carried through as plain data.
 */
export const CharacterBookEntry = z.looseObject({
  keys: z.array(Short).max(1_000),
  content: Text,
  enabled: z.boolean(),
  insertion_order: z.number().finite(),
  constant: z.boolean().optional(),
  selective: z.boolean().optional(),
  secondary_keys: z.array(Short).max(1_000).optional(),
  case_sensitive: z.boolean().optional(),
  name: Short.optional(),
  extensions: z.record(z.string(), z.unknown()).optional(),
});
export type CharacterBookEntry = z.infer<typeof CharacterBookEntry>;
export const CharacterBook = z
  .looseObject({
    name: Short.optional(),
    scan_depth: z.number().int().min(0).max(1_000).optional(),
    token_budget: z.number().int().min(0).max(10_000_000).optional(),
    recursive_scanning: z.boolean().optional(),
    extensions: z.record(z.string(), z.unknown()).optional(),
    entries: z.array(CharacterBookEntry).max(10_000),
  })
  .superRefine((book, ctx) => {
    const issue = plainDataIssue(book);
    if (issue) ctx.addIssue({ code: 'custom', message: `the lorebook must be plain JSON data: ${issue}` });
  });
export type CharacterBook = z.infer<typeof CharacterBook>;

/** What the editor may change; unknown keys are refused here (the renderer edits known fields only). */
export const CardDataPatch = z.strictObject({
  name: CardData.shape.name.optional(),
  description: Text.optional(),
  personality: Text.optional(),
  scenario: Text.optional(),
  first_mes: Text.optional(),
  mes_example: Text.optional(),
  creator_notes: Text.optional(),
  system_prompt: Text.optional(),
  post_history_instructions: Text.optional(),
  alternate_greetings: z.array(Text).max(1_000).optional(),
  tags: z.array(Short).max(1_000).optional(),
  creator: Short.optional(),
  character_version: Short.optional(),
  character_book: CharacterBook.optional(),
});
export type CardDataPatch = z.infer<typeof CardDataPatch>;

/** A stored character with its full card (the accessor the prompt builder reads). */
export const CharacterCard = z.object({
  id: CharacterId,
  /** Same as card.name: a CharacterCard can stand where a listed Character is expected. */
  name: z.string(),
  created: EpochMs,
  updated: EpochMs,
  hasAvatar: z.boolean(),
  card: CardData,
});
export type CharacterCard = z.infer<typeof CharacterCard>;

/** A card file crosses IPC as bytes, base64, at most this large once decoded. */
export const MAX_CARD_BYTES = 20 * 1024 * 1024;
export const CardBytes = z
  .string()
  .max(Math.ceil(MAX_CARD_BYTES / 3) * 4 + 4, 'the card file is larger than 20 MiB')
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');

/** Empty values for every spec field: a card made from a name alone. */
export function blankCard(name: string): CardData {
  return {
    name,
    description: '',
    personality: '',
    scenario: '',
    first_mes: '',
    mes_example: '',
    creator_notes: '',
    system_prompt: '',
    post_history_instructions: '',
    alternate_greetings: [],
    tags: [],
    creator: '',
    character_version: '',
    extensions: {},
  };
}

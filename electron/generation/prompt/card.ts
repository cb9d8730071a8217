// What prompt building needs of a character card: the V2 spec's field names
// (https://github.com/malfoyslastname/character-card-spec-v2), so a V2/V3 card's `data`
// object fits as it is. Everything but the name may be missing (a character with only a name).
import { z } from 'zod';

export interface PromptCard {
  name: string;
  description?: string;
  personality?: string;
  scenario?: string;
  first_mes?: string;
  alternate_greetings?: readonly string[];
  mes_example?: string;
  system_prompt?: string;
  post_history_instructions?: string;
  /** Other apps' settings; `depth_prompt` ({prompt, depth, role}) is read. */
  extensions?: Record<string, unknown>;
  /** The V2/V3 lorebook, as the card holds it (lorebook.ts reads it tolerantly). */
  character_book?: unknown;
}

/** The card of a character, or undefined when there is no such character. */
export type LoadCard = (characterId: string) => Promise<PromptCard | undefined>;

const Text = z.string().max(1_000_000);

/** A card read from untrusted JSON: unknown keys dropped, wrong-typed fields dropped (not fatal). */
const Fields = z.object({
  name: Text.optional().catch(undefined),
  description: Text.optional().catch(undefined),
  personality: Text.optional().catch(undefined),
  scenario: Text.optional().catch(undefined),
  first_mes: Text.optional().catch(undefined),
  alternate_greetings: z.array(Text).max(1_000).optional().catch(undefined),
  mes_example: Text.optional().catch(undefined),
  system_prompt: Text.optional().catch(undefined),
  post_history_instructions: Text.optional().catch(undefined),
  extensions: z.record(z.string(), z.unknown()).optional().catch(undefined),
  character_book: z.unknown().optional(),
});

/** `{spec: 'chara_card_v2' | 'chara_card_v3', data: {...}}` or a flat (V1-style) object. */
export function promptCardFromJson(json: unknown, fallbackName: string): PromptCard | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const data = (json as { data?: unknown }).data;
  const source = typeof data === 'object' && data !== null && !Array.isArray(data) ? data : json;
  const r = Fields.safeParse(source);
  if (!r.success) return undefined;
  const out: PromptCard = { name: r.data.name?.trim() || fallbackName };
  for (const [k, v] of Object.entries(r.data)) if (k !== 'name' && v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

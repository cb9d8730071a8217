// Characters over IPC: the registry entry as listed, the trash, previous cards and what an import did.
// Re-exported by ipc-contract.ts.
import { z } from 'zod';
import { CharacterId, EpochMs, LIMITS } from './chat-format.ts';

export const CharacterName = z.string().trim().min(1).max(LIMITS.titleChars);
/** A character as listed: the registry entry (no card text; `get` in main has the full card). */
export const Character = z.object({
  id: CharacterId,
  name: CharacterName,
  created: EpochMs,
  updated: EpochMs.optional(),
  /** Fetch it with getCharacterAvatar (a small PNG data URL). */
  hasAvatar: z.boolean().optional(),
  tags: z.array(z.string().max(1_000)).max(1_000).optional(),
});
export type Character = z.infer<typeof Character>;

/** A character in the trash, with the chats that went there with it. */
export const DeletedCharacter = z.object({
  trashId: z.string(),
  id: CharacterId,
  name: z.string(),
  deletedAt: EpochMs,
  chatCount: z.number().int().min(0),
});
export type DeletedCharacter = z.infer<typeof DeletedCharacter>;
/**
 * An import whose card names the id of a character already here, with different content:
 * `ask` answers `conflict` and writes nothing (the UI then asks the user); `replace` keeps the
 * current card as a previous card (restorable) and takes the new one; `new` (the default, for
 * callers that cannot ask) imports it as a new character beside the existing one.
 */
export const OnCardConflict = z.enum(['ask', 'replace', 'new']);
export type OnCardConflict = z.infer<typeof OnCardConflict>;
/** A card an import replaced (or a restore set aside): `<ms>-<seq>`. */
export const PreviousCardId = z.string().regex(/^\d{13}-\d{4}$/, 'previous card id must be <ms>-<seq>');
export const PreviousCard = z.object({ versionId: PreviousCardId, name: z.string(), replacedAt: EpochMs, hasAvatar: z.boolean() });
export type PreviousCard = z.infer<typeof PreviousCard>;
/** What the user should know about an import (the picture was left out, or got no thumbnail, and why). */
const ImportWarnings = { warnings: z.array(z.string().max(1000)).max(20).optional() };
export const ImportCharacterResult = z.discriminatedUnion('kind', [
  /** A character added. `idTakenBy`: the card's own id belongs to this different character, so the card got a new id. */
  z.object({ kind: z.literal('imported'), character: Character, idTakenBy: Character.optional(), ...ImportWarnings }),
  /** The character's card was replaced; `previous` is the card it had (listPreviousCards, restorePreviousCard). */
  z.object({ kind: z.literal('replaced'), character: Character, previous: PreviousCard, ...ImportWarnings }),
  /** The same card (text and picture) is already here: nothing was written. */
  z.object({ kind: z.literal('unchanged'), character: Character, ...ImportWarnings }),
  /** Only with onConflict 'ask': the card's id belongs to a character with other content; nothing was written. */
  z.object({
    kind: z.literal('conflict'),
    existing: Character,
    /** `changed`: the card fields that differ, and 'picture' when the picture does. */
    incoming: z.object({ name: z.string(), hasAvatar: z.boolean(), changed: z.array(z.string()).max(100) }),
    ...ImportWarnings,
  }),
]);
export type ImportCharacterResult = z.infer<typeof ImportCharacterResult>;

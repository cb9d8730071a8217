// Personas: who the user is in a chat (issue 18). Several, each with a name, a description and an
// avatar; one is the default, and a chat may choose its own (remembered). Re-exported by ipc-contract.ts.
import { z } from 'zod';
import { ChatId } from './chat-format.ts';
import { PersonaDescription, PersonaName } from './settings-contract.ts';

export const PersonaId = z.string().regex(/^[0-9a-f-]{36}$/, 'persona id must be a UUID');
/** At most this many personas (each carries a small avatar in one file). */
export const MAX_PERSONAS = 50;
/** A picture for a persona: PNG bytes (base64; the app shrinks it to a 96 px avatar). Empty clears it. */
export const PersonaAvatarPng = z
  .string()
  .max(Math.ceil((2 * 1024 * 1024) / 3) * 4 + 4, 'the picture is larger than 2 MiB')
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');

export const PersonaOut = z.object({
  id: PersonaId,
  name: z.string(),
  description: z.string(),
  /** A 96 px PNG as a data: URL, or null. */
  avatar: z.string().startsWith('data:image/png;base64,').nullable(),
  created: z.number(),
  updated: z.number(),
});
export type PersonaOut = z.infer<typeof PersonaOut>;

/** The persona a chat speaks as: a chosen or default one (id), else the name and description in Generation settings (id null). */
export const EffectivePersonaOut = z.object({
  id: PersonaId.nullable(),
  name: z.string(),
  description: z.string(),
  avatar: z.string().nullable(),
});
export type EffectivePersonaOut = z.infer<typeof EffectivePersonaOut>;

export const PersonasOut = z.object({
  personas: z.array(PersonaOut),
  /** New chats, and chats that chose none, speak as this one; null: as the Generation settings' name. */
  defaultId: PersonaId.nullable(),
  /** The Generation settings' persona (used while no default is set). */
  settingsPersona: z.object({ name: z.string(), description: z.string() }),
});
export type PersonasOut = z.infer<typeof PersonasOut>;

export const ChatPersonaOut = z.object({
  /** The persona this chat chose (null: it follows the default). */
  chosenId: PersonaId.nullable(),
  persona: EffectivePersonaOut,
});
export type ChatPersonaOut = z.infer<typeof ChatPersonaOut>;

const Empty = z.strictObject({});
const Ok = z.object({ ok: z.literal(true) });

/** Method name → schemas (spread into CHANNELS). */
export const PERSONA_CHANNELS = {
  listPersonas: { request: Empty, response: PersonasOut },
  createPersona: { request: z.strictObject({ name: PersonaName, description: PersonaDescription.optional(), avatarPngBase64: PersonaAvatarPng.optional() }), response: PersonaOut },
  /** `avatarPngBase64: ''` removes the picture. */
  updatePersona: { request: z.strictObject({ id: PersonaId, name: PersonaName.optional(), description: PersonaDescription.optional(), avatarPngBase64: PersonaAvatarPng.optional() }), response: PersonaOut },
  /** Chats that chose it follow the default again; deleting the default leaves the settings' name as the default. */
  deletePersona: { request: z.strictObject({ id: PersonaId }), response: Ok },
  setDefaultPersona: { request: z.strictObject({ id: PersonaId.nullable() }), response: Ok },
  getChatPersona: { request: z.strictObject({ chatId: ChatId }), response: ChatPersonaOut },
  /** `personaId: null`: the chat follows the default again. */
  setChatPersona: { request: z.strictObject({ chatId: ChatId, personaId: PersonaId.nullable() }), response: ChatPersonaOut },
} as const;

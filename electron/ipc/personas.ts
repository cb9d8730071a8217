// The persona channels (issue 18) and the one question the rest of main asks: who is the user in
// this chat? Its chosen persona, else the default persona, else the name and description in the
// Generation settings (what the app had before personas, so nothing changes for a user with none).
import { StoreError } from '../../shared/errors.ts';
import type { ChatPersonaOut, EffectivePersonaOut, PersonasOut } from '../../shared/persona-contract.ts';
import type { Personas } from '../app-data/personas.ts';
import { makeThumbnail } from '../cards/thumbnail.ts';
import type { Emit } from '../generation/manager.ts';
import type { ChatStore } from '../store/types.ts';

interface Deps {
  personas: Personas;
  store: Pick<ChatStore, 'getChat'>;
  settings: { get(): Promise<{ personaName: string; personaDescription: string }> };
  emit: Emit;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** The picture's longer side at most (the renderer sends it shrunk; decoding more would stall main). */
const MAX_SIDE = 2048;

/** The user's picture → a 96 px PNG data: URL (decoded and re-encoded: nothing of the original's other chunks is kept). */
export function personaAvatar(base64: string): string | null {
  if (base64 === '') return null;
  const bytes = Buffer.from(base64, 'base64');
  const bad = (why: string) => new StoreError('INVALID_INPUT', `the persona's picture ${why}`, { field: 'avatarPngBase64' });
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) throw bad('is not a PNG image');
  const width = bytes.readUInt32BE(16), height = bytes.readUInt32BE(20);
  if (width > MAX_SIDE || height > MAX_SIDE) throw bad(`is ${width}×${height}; at most ${MAX_SIDE}×${MAX_SIDE}`);
  const r = makeThumbnail(bytes);
  if (!('thumb' in r)) throw bad(`cannot be used: ${r.reason}`);
  return `data:image/png;base64,${r.thumb.toString('base64')}`;
}

/**
 * Who the user is in `chatId` (undefined: in a new chat). A personas file that cannot be read (EIO,
 * EACCES) must not stop a send or a reply: the settings' persona is used, and the failure logged.
 */
export async function personaForChat(d: Pick<Deps, 'personas' | 'settings'>, chatId: string | undefined): Promise<EffectivePersonaOut> {
  const p = await d.personas.forChat(chatId).catch((e: unknown) => {
    console.error('the personas could not be read; the settings\' persona is used:', e);
    return undefined;
  });
  if (p) return { id: p.id, name: p.name, description: p.description, avatar: p.avatar };
  const s = await d.settings.get();
  return { id: null, name: s.personaName, description: s.personaDescription, avatar: null };
}

/** A new chat made from another (a branch) keeps the persona its parent chose. */
export async function inheritPersona(personas: Personas, fromChatId: string, toChatId: string): Promise<void> {
  const chosen = await personas.chosen(fromChatId);
  if (chosen) await personas.choose(toChatId, chosen);
}

export function personaHandlers(d: Deps) {
  async function chatPersona(chatId: string): Promise<ChatPersonaOut> {
    return { chosenId: await d.personas.chosen(chatId), persona: await personaForChat(d, chatId) };
  }
  const changed = (chatId?: string) => d.emit('personas:changed', chatId === undefined ? {} : { chatId });
  return {
    async listPersonas(): Promise<PersonasOut> {
      const s = await d.settings.get();
      return { ...(await d.personas.list()), settingsPersona: { name: s.personaName, description: s.personaDescription } };
    },
    async createPersona({ name, description, avatarPngBase64 }: { name: string; description?: string | undefined; avatarPngBase64?: string | undefined }) {
      const p = await d.personas.create({ name, description, avatar: avatarPngBase64 === undefined ? null : personaAvatar(avatarPngBase64) });
      changed();
      return p;
    },
    async updatePersona({ id, name, description, avatarPngBase64 }: { id: string; name?: string | undefined; description?: string | undefined; avatarPngBase64?: string | undefined }) {
      const p = await d.personas.update(id, { name, description, ...(avatarPngBase64 === undefined ? {} : { avatar: personaAvatar(avatarPngBase64) }) });
      changed();
      return p;
    },
    async deletePersona({ id }: { id: string }) {
      await d.personas.remove(id);
      changed();
      return { ok: true as const };
    },
    async setDefaultPersona({ id }: { id: string | null }) {
      await d.personas.setDefault(id);
      changed();
      return { ok: true as const };
    },
    async getChatPersona({ chatId }: { chatId: string }) {
      await d.store.getChat(chatId); // NOT_FOUND for a chat that is not here
      return chatPersona(chatId);
    },
    async setChatPersona({ chatId, personaId }: { chatId: string; personaId: string | null }) {
      await d.store.getChat(chatId);
      await d.personas.choose(chatId, personaId);
      changed(chatId);
      return chatPersona(chatId);
    },
  };
}

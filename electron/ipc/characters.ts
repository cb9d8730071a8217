// The character channels: the registry (create, edit, import and export cards, previous cards),
// the character trash, and the active character. Deleting a character first lets its chats'
// replies settle and refuses while one still streams.
import { MAX_CARD_BYTES } from '../../shared/character-card.ts';
import { StoreError } from '../../shared/errors.ts';
import type { BindingDeps, Handlers } from './binding.ts';

interface Guards {
  /** Throws CONFLICT while a reply streams in the chat. */
  refuseWhileStreaming(chatId: string): void;
  /** Deferred writes go to disk now (a significant event). */
  flushDeferred(): void;
}

export async function requireCharacter(d: Pick<BindingDeps, 'characters'>, id: string): Promise<void> {
  if (!(await d.characters.get(id))) throw new StoreError('NOT_FOUND', `no character with id ${id}`);
}

export function characterHandlers(d: BindingDeps, { refuseWhileStreaming, flushDeferred }: Guards) {
  const requireIt = (id: string) => requireCharacter(d, id);
  return {
    listCharacters: () => d.characters.list(),
    async createCharacter({ name }) {
      const c = await d.characters.create(name);
      d.emit('characters:changed', {});
      return c;
    },
    async getCharacter({ id }) {
      const c = await d.characters.get(id);
      if (!c) throw new StoreError('NOT_FOUND', `no character with id ${id}`);
      return c;
    },
    async updateCharacter({ id, card }) {
      const c = await d.characters.update(id, card);
      d.emit('characters:changed', {});
      return c;
    },
    async importCharacter({ bytesBase64, onConflict }) {
      const bytes = Buffer.from(bytesBase64, 'base64');
      if (bytes.length > MAX_CARD_BYTES) throw new StoreError('TOO_LARGE', 'the card file is larger than 20 MiB', { reason: 'size' });
      // A caller that does not say cannot ask its user: a card whose id is taken comes in as a new character.
      const r = await d.characters.importCard(bytes, { onConflict: onConflict ?? 'new' });
      if (r.kind === 'imported' || r.kind === 'replaced') d.emit('characters:changed', {});
      return r;
    },
    listPreviousCards: async ({ id }) => {
      await requireIt(id);
      return d.characters.previousCards(id);
    },
    async restorePreviousCard({ id, versionId }) {
      const r = await d.characters.restorePreviousCard(id, versionId);
      if (r.kind === 'replaced') d.emit('characters:changed', {});
      return r;
    },
    async exportCharacter({ id, format }) {
      const { fileName, mime, bytes } = await d.characters.exportCard(id, format);
      return { fileName, mime, bytesBase64: bytes.toString('base64') };
    },
    getCharacterAvatar: async ({ id }) => ({ dataUrl: await d.characters.avatarDataUrl(id) }),
    async deleteCharacter({ id }) {
      await requireIt(id);
      const chats = await d.store.listChats(id);
      for (const c of chats) await d.generation.settle(c.chatId);
      for (const c of chats) refuseWhileStreaming(c.chatId);
      const { chatIds } = await d.characterTrash.trash(id);
      for (const chatId of chatIds) {
        await d.appState.forgetChat(chatId).catch((e: unknown) => console.error('forgetChat failed:', e));
        await d.drafts.forget(chatId).catch((e: unknown) => console.error('forgetting the draft failed:', e));
        // nextChatId null: every chat of the character goes, so a window opens none of them next
        // (opening a sibling about to be trashed sprayed NOT_FOUND notices and a stuck Error badge).
        d.emit('chat:removed', { chatId, characterId: id, nextChatId: null });
      }
      d.emit('characters:changed', {});
      return { ok: true as const };
    },
    listDeletedCharacters: () => d.characterTrash.list(),
    async restoreCharacter({ trashId }) {
      const { character } = await d.characterTrash.restore(trashId);
      d.emit('characters:changed', {});
      return character;
    },
    async getActiveCharacter() {
      const id = await d.appState.getActiveCharacter();
      return { characterId: id && (await d.characters.get(id)) ? id : null };
    },
    async setActiveCharacter({ characterId }) {
      await requireIt(characterId);
      await d.appState.setActiveCharacter(characterId);
      flushDeferred();
      return { ok: true as const };
    },
  } satisfies Partial<Handlers>;
}

// Undeleting a chat whose character is gone: the chat comes back with its character. A character
// in the trash is restored (its card, without its other chats: they stay in the trash, each
// restorable); a character gone for good is listed again under its id, so the chat is reachable.
import { CharacterName } from '../../shared/ipc-contract.ts';
import type { CharacterRegistry } from '../app-data/characters.ts';
import type { CharacterTrash } from '../app-data/character-trash.ts';
import type { ChatStore } from '../store/types.ts';

export type OwnerOutcome = 'known' | 'restored' | 'listed' | 'no-such-copy';

export async function bringBackOwner(
  d: { store: ChatStore; characters: CharacterRegistry; characterTrash: CharacterTrash },
  chatId: string,
  trashId: string | undefined,
  now = Date.now(),
): Promise<OwnerOutcome> {
  // The copy undeleteChat will take: the one named, else the newest (the store lists newest first).
  const copy = (await d.store.listDeletedChats()).find((t) => (trashId !== undefined ? t.trashId === trashId : t.chatId === chatId));
  if (!copy) return 'no-such-copy'; // the store's undelete answers NOT_FOUND itself
  if (await d.characters.get(copy.characterId)) return 'known';
  const trashed = (await d.characterTrash.list()).find((c) => c.id === copy.characterId); // newest first
  if (trashed) {
    await d.characterTrash.restore(trashed.trashId, { chats: [] });
    return 'restored';
  }
  const name = CharacterName.safeParse(copy.characterId);
  await d.characters.addEntry({ id: copy.characterId, name: name.success ? name.data : 'Restored character', created: now });
  return 'listed';
}

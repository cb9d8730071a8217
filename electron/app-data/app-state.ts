// UI state that must survive a restart: the active chat of each character.
import { z } from 'zod';
import { CharacterId, ChatId } from '../../shared/chat-format.ts';
import { deviceFile } from './device-files.ts';
import { jsonFile } from './json-file.ts';

const FileSchema = z.object({
  activeChat: z.record(CharacterId, ChatId),
  activeCharacter: CharacterId.nullable().default(null),
});

export interface AppState {
  getActiveCharacter(): Promise<string | null>;
  setActiveCharacter(characterId: string): Promise<void>;
  getActiveChat(characterId: string): Promise<string | null>;
  setActiveChat(characterId: string, chatId: string): Promise<void>;
  /** Every character's active chat, as stored (checked at start-up). */
  activeChats(): Promise<Record<string, string>>;
  /** Forgets a chat wherever it was active (after deletion). */
  forgetChat(chatId: string): Promise<void>;
}

export function openAppState(dataDir: string): AppState {
  const file = jsonFile(deviceFile(dataDir, 'state'), FileSchema, () => ({ activeChat: {}, activeCharacter: null }));
  return {
    async getActiveCharacter() {
      return (await file.read()).activeCharacter;
    },
    async setActiveCharacter(characterId) {
      await file.update((cur) => ({ ...cur, activeCharacter: characterId }));
    },
    async getActiveChat(characterId) {
      return (await file.read()).activeChat[characterId] ?? null;
    },
    async setActiveChat(characterId, chatId) {
      await file.update((cur) => ({ ...cur, activeChat: { ...cur.activeChat, [characterId]: chatId } }));
    },
    async activeChats() {
      return { ...(await file.read()).activeChat };
    },
    async forgetChat(chatId) {
      await file.update((cur) => ({
        ...cur,
        activeChat: Object.fromEntries(Object.entries(cur.activeChat).filter(([, v]) => v !== chatId)),
      }));
    },
  };
}

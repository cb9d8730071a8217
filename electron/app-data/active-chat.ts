// The active chat of each character, self-healing: a stored chat that is gone (deleted, moved
// by another program) falls back to the character's most recent chat, or to none (the UI then
// offers a new one). Every repair is logged. Checked at start-up and whenever it is asked for.
import type { ChatStore } from '../store/types.ts';
import type { AppState } from './app-state.ts';

export type RepairLog = (message: string) => void;

const defaultLog: RepairLog = (m) => console.warn(`[active-chat] ${m}`);

/** The character's chat to open: the stored one if it still exists there, else the most recent (stored), else null. */
export async function resolveActiveChat(store: ChatStore, appState: AppState, characterId: string, log: RepairLog = defaultLog): Promise<string | null> {
  const stored = await appState.getActiveChat(characterId);
  if (stored) {
    const ok = await store.getChat(stored).then(
      (s) => s.characterId === characterId,
      () => false,
    );
    if (ok) return stored;
  }
  return pickMostRecent(store, appState, characterId, stored, log);
}

/** Makes the character's most recent chat active (after the active one was deleted); null when it has none. */
export async function pickMostRecent(store: ChatStore, appState: AppState, characterId: string, gone: string | null, log: RepairLog = defaultLog): Promise<string | null> {
  const chats = await store.listChats(characterId);
  const next = chats.find((c) => c.chatId !== gone && c.status !== 'corrupt')?.chatId ?? chats.find((c) => c.chatId !== gone)?.chatId ?? null;
  if (next) {
    await appState.setActiveChat(characterId, next);
    if (gone) log(`character ${characterId}: active chat ${gone} is gone; the most recent chat ${next} is active now`);
  } else if (gone) {
    await appState.forgetChat(gone);
    log(`character ${characterId}: active chat ${gone} is gone and no chat is left; none is active`);
  }
  return next;
}

/** Start-up check of every stored active chat. Never throws: a failed check is logged and retried on the next ask. */
export async function healActiveChats(store: ChatStore, appState: AppState, log: RepairLog = defaultLog): Promise<void> {
  const all = await appState.activeChats().catch((e: unknown) => {
    log(`reading the active chats failed: ${String(e)}`);
    return {};
  });
  for (const characterId of Object.keys(all)) {
    await resolveActiveChat(store, appState, characterId, log).catch((e: unknown) => log(`checking character ${characterId} failed: ${String(e)}`));
  }
}

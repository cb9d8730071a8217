// The CLI's commands carried out by the running app (electron/cli/control.ts), on the app's own
// store and character list; afterwards every window hears what changed, as if the user had done it
// in the app: new and changed chats, chats gone, new characters.
import type { ChatSummary } from '../../shared/chat-format.ts';
import type { CharacterRegistry } from '../app-data/characters.ts';
import { runCliCommand, type CliOutput, type CliRequest } from '../cli/commands.ts';
import { startControlServer, type ControlServer, type ShowProgress } from '../cli/control.ts';
import type { Emit } from '../generation/manager.ts';
import type { ChatStore } from '../store/types.ts';
import { activeAfterRemoval } from './binding.ts';

export interface CliBridgeDeps {
  store: ChatStore;
  characters: CharacterRegistry;
  personaName: (chatId: string) => Promise<string | undefined> | string | undefined;
  appState: Parameters<typeof activeAfterRemoval>[0]['appState'];
  emit: Emit;
}

/** Runs one command line for a CLI and tells the windows what it changed. */
export async function runForCli(d: CliBridgeDeps, req: CliRequest, progress?: ShowProgress): Promise<CliOutput> {
  const before = await snapshot(d.store).catch(() => null);
  const charactersBefore = await d.characters.list().then((l) => l.length, () => null);
  const out = await runCliCommand({ store: d.store, characters: () => d.characters, personaName: d.personaName, ...(progress ? { progress } : {}) }, req);
  // What the command did is done: telling the windows may fail (the app is quitting), the answer stands.
  if (before) await announce(d, before, charactersBefore).catch((e: unknown) => console.error(`CardShark: the windows were not told of a CLI command's changes: ${String(e)}`));
  return out;
}

async function announce(d: CliBridgeDeps, before: Map<string, ChatSummary>, charactersBefore: number | null): Promise<void> {
  const after = await snapshot(d.store);
  if ((await d.characters.list()).length !== charactersBefore) d.emit('characters:changed', {});
  for (const [chatId, s] of after) {
    const was = before.get(chatId);
    if (!was || was.revision !== s.revision || was.sizeBytes !== s.sizeBytes || was.title !== s.title || was.status !== s.status) d.emit('chat:changed', { chatId, characterId: s.characterId, summary: s, source: 'app' });
  }
  for (const [chatId, s] of before) {
    if (after.has(chatId)) continue;
    const nextChatId = await activeAfterRemoval({ store: d.store, appState: d.appState }, s.characterId, chatId).catch(() => null);
    d.emit('chat:removed', { chatId, characterId: s.characterId, source: 'app', nextChatId });
  }
}

async function snapshot(store: ChatStore): Promise<Map<string, ChatSummary>> {
  return new Map((await store.listAllChats()).map((s) => [s.chatId, s]));
}

/** Opens the door for CLIs on this data folder; a failure only means CLIs open the folder themselves (and find it locked). */
export async function openCliDoor(d: CliBridgeDeps): Promise<ControlServer | null> {
  return startControlServer(d.store.dataDir, (req, progress) => runForCli(d, req, progress)).catch((e: unknown) => {
    console.error(`CardShark: the CLI cannot reach this app (${String((e as Error)?.message ?? e)})`);
    return null;
  });
}

// Builds a big chat fixture: the store creates the chat (header, path), then the
// message lines are appended in the documented format (shared/chat-format.ts) in
// one write, and the store's own full reader checks the result.
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MessageRecord } from '../../shared/chat-format.ts';
import { openChatStore, readFullState } from '../../electron/store/index.ts';
import { openCharacterRegistry } from '../../electron/app-data/characters.ts';
import { openAppState } from '../../electron/app-data/app-state.ts';

export function fixtureText(i: number): string {
  return `Fixture message number ${i}. ${i % 7 === 0 ? 'This one is a little longer, so rows have different heights in the list. '.repeat(1 + (i % 3)) : ''}`;
}

export async function buildBigChat(dataDir: string, count: number): Promise<{ characterId: string; chatId: string }> {
  const characters = openCharacterRegistry(dataDir);
  const character = await characters.create('Archivist');
  const store = await openChatStore({ dataDir });
  const summary = await store.createChat({ characterId: character.id, title: `${count} messages` });
  // A small chat is the active one, so a test can time opening the big one by itself.
  const small = await store.createChat({ characterId: character.id, title: 'Small talk' });
  await store.close();

  const t0 = Date.UTC(2024, 0, 1);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const rec = { id: `m${i}`, role: i % 2 ? 'assistant' : 'user', content: fixtureText(i), timestamp: t0 + i * 1000 };
    if (i === 0) MessageRecord.parse(rec); // the format's own schema accepts our records
    lines.push(JSON.stringify(rec));
  }
  const file = path.join(dataDir, 'chats', character.id, `${summary.chatId}.jsonl`);
  await appendFile(file, lines.join('\n') + '\n');

  const state = readFullState(await readFile(file));
  if ('error' in state || state.messages.length !== count || state.invalid.length) throw new Error(`fixture is not a valid chat file`);

  const appState = openAppState(dataDir);
  await appState.setActiveCharacter(character.id);
  await appState.setActiveChat(character.id, small.chatId);
  return { characterId: character.id, chatId: summary.chatId };
}

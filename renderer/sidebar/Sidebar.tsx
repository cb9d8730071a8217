// The left-hand side: characters, the selected character's chats and chat files, deleted chats,
// and the settings panels.
import type { CardsharkApi } from '../../shared/ipc-contract.ts';
import { CharacterPanel } from '../characters/CharacterPanel.tsx';
import { ChatFiles } from '../chat-files/ChatFiles.tsx';
import type { OpenChat } from '../chat/useOpenChat.ts';
import type { Selection } from '../chat/useSelection.ts';
import { DeletedChats } from '../recovery/DeletedChats.tsx';
import type { SaveState } from '../save-state.ts';
import { GenerationSettings } from '../settings/GenerationSettings.tsx';
import { PersonasPanel } from '../personas/PersonasPanel.tsx';
import { StorageSettings } from '../settings/StorageSettings.tsx';
import { ChatList } from './ChatList.tsx';
import { LibrarySearch } from './LibrarySearch.tsx';

export function Sidebar(props: {
  api: CardsharkApi;
  save: SaveState;
  sel: Selection;
  openChat: OpenChat['openChat'];
  selectCharacter(id: string): Promise<void>;
  /** Opens the character editor. */
  onEdit(id: string): void;
  /** Opens a chat of any character, at a message when given (library search). */
  openAt(characterId: string, chatId: string, messageId?: string): void;
}) {
  const { api, save, sel, openChat, selectCharacter } = props;
  const { characters, setCharacters, characterId, chats, setChats, chatId, current } = sel;
  return (
    <aside className="sidebar">
      <h1>CardShark</h1>
      <LibrarySearch api={api} onOpen={props.openAt} />
      <CharacterPanel
        api={api}
        characters={characters}
        selected={characterId}
        onSelect={(id) => void selectCharacter(id)}
        onEdit={props.onEdit}
        onImported={(c) => {
          setCharacters((cs) => [...cs.filter((x) => x.id !== c.id), c]);
          void selectCharacter(c.id);
        }}
        onCreate={(name) =>
          void save.track(`add-character:${name}`, 'Adding character', () => api.createCharacter({ name }), (c) => {
            setCharacters((cs) => (cs.some((x) => x.id === c.id) ? cs : [...cs, c]));
            void selectCharacter(c.id);
          })
        }
      />
      {characterId && (
        <ChatList
          chats={chats}
          active={chatId}
          onOpen={(id) => void openChat(id, characterId)}
          onCreate={() =>
            void save.track(`create-chat:${characterId}`, 'Creating chat', () => api.createChat({ characterId, title: `Chat ${new Date().toLocaleString()}` }), (s) => {
              setChats((cs) => [s, ...cs.filter((c) => c.chatId !== s.chatId)]);
              void openChat(s.chatId, characterId);
            })
          }
          onRename={(id, title) => void save.track(`rename-chat:${id}`, 'Renaming chat', () => api.renameChat({ chatId: id, title }))}
          onDelete={(id) =>
            void save.track(`delete-chat:${id}`, 'Deleting chat', () => api.deleteChat({ chatId: id }), () => save.dropWhere((key) => key.includes(`:${id}`)))
          }
        />
      )}
      {characterId && <ChatFiles api={api} characterId={characterId} chatId={chatId} characterName={(id) => characters.find((c) => c.id === id)?.name} onImported={(id) => void openChat(id, characterId)} />}
      <DeletedChats
        api={api}
        refreshKey={chats}
        onRestored={(id, ch) => {
          if (ch === current.current.characterId) void selectCharacter(ch).then(() => openChat(id, ch));
          else void selectCharacter(ch);
        }}
      />
      <PersonasPanel api={api} />
      <GenerationSettings api={api} />
      <StorageSettings api={api} />
    </aside>
  );
}

// Wires one data dir's services (store, registry, state, settings, generation)
// behind one binding. Shared by the Electron shell and the browser host.
import type { ChatStore } from '../store/types.ts';
import { openCharacterRegistry, type CharacterRegistry } from '../app-data/characters.ts';
import { openAppState } from '../app-data/app-state.ts';
import { openCharacterTrash } from '../app-data/character-trash.ts';
import { openPersonas } from '../app-data/personas.ts';
import { personaForChat } from './personas.ts';
import { generationSettings, type GenerationSettings } from '../generation/generation-settings.ts';
import { openAppSettings, type AppSettingsStore } from '../app-settings/settings.ts';
import { openConfBackend } from '../app-settings/conf-backend.ts';
import { createGenerationManager, type Emit, type GenerationManager } from '../generation/manager.ts';
import type { Provider } from '../generation/provider.ts';
import { activeAfterRemoval, createBinding, type Binding, type BindingLimits } from './binding.ts';
import { openCliDoor } from './cli-bridge.ts';
import { clearUploads } from './chat-uploads.ts';
import type { PickChatFile } from './picked-chat.ts';
import { healActiveChats } from '../app-data/active-chat.ts';
import { createConflictKeeper } from '../watcher/conflict-copy.ts';
import { startChatWatcher, type ChatWatcher } from '../watcher/chat-watcher.ts';
import { startCharacterWatcher } from '../watcher/character-watcher.ts';
import { openImportedFiles } from '../watcher/imported-files.ts';
import path from 'node:path';
import { createDebouncer, type Clock, type Debouncer } from '../autosave/debouncer.ts';
import { openDrafts } from '../drafts/drafts.ts';
import { toErrorInfo } from '../../shared/errors.ts';
import type { LoadCard } from '../generation/prompt/card.ts';
import type { ConnectionTestOptions } from '../generation/connection-test.ts';
import type { StreamInfo } from '../../shared/ipc-contract.ts';
import { createRequestGate, openLibrarySearch, type LibrarySearch, type RequestGate } from '../library-search/index.ts';

export interface Services<S> {
  binding: Binding<S>;
  /** Main-side character accessor: `characters.get(id)` is the full card (for the prompt builder). */
  characters: CharacterRegistry;
  generation: GenerationManager;
  /** The app settings, e.g. `services.settings.get().autosaveIntervalMs` as a live getter. */
  settings: AppSettingsStore;
  /** The deferred writes (stream checkpoints, drafts): flush on significant events (a window closed). */
  autosave: Debouncer;
  /** Start-up checks done (stored active chats healed) and the chats folder watched. */
  ready: Promise<void>;
  /** The watcher of the chats folder (null when `watch: false`). */
  watcher: ChatWatcher | null;
  /** Resolves once `npm run cli` can hand this app its commands (at once without `cliDoor`). */
  cliDoorOpen: Promise<void>;
  /** Search across the library (null when `librarySearch: false`). */
  library: LibrarySearch | null;
  /**
   * Stops streams (each stores its text with its final status); refuses new deferred writes
   * (CLOSED) and writes every accepted one; then closes the watcher (it saw outside changes until
   * the app's last writes), waits for conflict copies, and closes the store. If a write fails (disk
   * full) it rejects with that typed error and leaves the store and the watcher open with the state
   * in memory, so calling it again retries.
   */
  shutdown(): Promise<void>;
}

export function createServices<S>(opts: {
  store: ChatStore;
  emit: Emit;
  isTrustedSender: (sender: S) => boolean;
  settingsOverrides?: Partial<GenerationSettings>;
  provider?: Provider;
  /** Per-sender bound on calls in flight (Electron IPC); the browser host bounds per connection itself. */
  bindingLimits?: BindingLimits<S>;
  /** Opened by the caller before the store (it needs backupRetention); else conf on the store's data dir. */
  settings?: AppSettingsStore;
  /** The autosave interval (setting `autosaveIntervalMs`, 100–60,000); read at each scheduling. Default 1000. */
  autosaveIntervalMs?: () => number;
  /** Injected time for tests. */
  clock?: Clock;
  /** A character's card for prompts and greetings; today a stop-gap over the {id, name} registry. */
  loadCard?: LoadCard;
  /** "Test connection" (and the prompt viewer's endpoint token counts) without the network (tests, the fuzzer): its fetch and DNS lookup. */
  connectionTest?: ConnectionTestOptions;
  /** Watch the chats folder for changes made by other programs (default true). */
  watch?: boolean;
  /** Watcher settle delay (ms), for tests and benches. */
  watchSettleMs?: number;
  /** Let `npm run cli` hand its commands to this app while it holds the data folder (the hosts turn it on). */
  cliDoor?: boolean;
  /** Keep the library search index (default true): it follows every write of the store from now on. */
  librarySearch?: boolean;
  /** How long after start the library search checks every chat (default LIBRARY_START_DELAY_MS): the first window loads first. */
  librarySearchStartDelayMs?: number;
  /** Main's own file dialog (Electron): importPickedChat reads the file picked from its path. None in the browser host. */
  pickChatFile?: PickChatFile;
}): Services<S> {
  const { store, emit } = opts;
  const dataDir = store.dataDir;
  clearUploads(dataDir);
  const appState = openAppState(dataDir);
  const appSettings = opts.settings ?? openAppSettings(dataDir, openConfBackend);
  const characters = openCharacterRegistry(dataDir, Date.now, () => appSettings.get().backupRetention);
  const characterTrash = openCharacterTrash(dataDir, characters, store);
  const settings = generationSettings(appSettings, opts.settingsOverrides);
  const personas = openPersonas(dataDir);
  const autosave = createDebouncer({
    // The setting unless a caller (tests, the host) passes its own getter.
    intervalMs: opts.autosaveIntervalMs ?? (() => appSettings.get().autosaveIntervalMs),
    ...(opts.clock ? { clock: opts.clock } : {}),
    onError: (key, e) => {
      console.error(`deferred write ${key} failed (kept, retried):`, e);
      emit('notice', { level: 'error', code: e.code, message: `Saving failed; the change is kept and retried: ${toErrorInfo(e).message}` });
    },
  });
  const drafts = openDrafts(dataDir, autosave);
  // The prompt builder and the greeting read the character's card (V2 field names) from the registry.
  const loadCard: LoadCard = opts.loadCard ?? (async (id) => {
    const c = await characters.get(id);
    return c && { ...c.card, name: c.card.name || c.name };
  });
  const keeper = createConflictKeeper({ store, emit });
  /** Conflict copies being made for replies refused by a changed file: quit waits for them (they hold the only copy of that text). */
  const copies = new Set<Promise<unknown>>();
  const keepCopy = (chatId: string, reply: StreamInfo, characterId: string) => {
    const p = keeper.keep(chatId, reply, characterId);
    copies.add(p);
    void p.finally(() => copies.delete(p));
  };
  const generation = createGenerationManager({
    store,
    settings,
    emit,
    autosave,
    loadCard,
    persona: (chatId) => personaForChat({ personas, settings }, chatId),
    ...(opts.provider ? { provider: opts.provider } : {}),
    // A reply's write refused because the file changed outside the app: the reply goes to a conflict copy.
    onOutsideChange: keepCopy,
  });
  // A cache of every chat's text for searchLibrary: it follows the store's writes; its index file is rebuilt when missing or stale.
  // The windows' requests go first: the library search's background work waits between its slices while one is under way.
  const requests = createRequestGate();
  const library = opts.librarySearch === false ? null : openLibrarySearchOrNull(store, characters, requests, opts.librarySearchStartDelayMs ?? LIBRARY_START_DELAY_MS);
  const binding = createBinding<S>({ requests, store, characters, characterTrash, appState, settings, personas, appSettings, generation, emit, autosave, drafts, loadCard, ...(library ? { library } : {}), ...(opts.pickChatFile ? { pickChatFile: opts.pickChatFile } : {}), ...(opts.connectionTest ? { connectionTest: opts.connectionTest, endpointTokens: opts.connectionTest } : {}) }, opts.isTrustedSender, opts.bindingLimits);
  const watcher =
    opts.watch === false
      ? null
      : startChatWatcher({
          chatsDir: path.join(dataDir, 'chats'),
          store,
          generation,
          keeper,
          emit,
          imported: openImportedFiles(dataDir),
          ...(opts.watchSettleMs !== undefined ? { settleMs: opts.watchSettleMs } : {}),
        });
  // Character folders arriving, leaving or edited by a sync tool (another computer): every window lists them again.
  const characterWatcher =
    opts.watch === false
      ? null
      : startCharacterWatcher({
          characters,
          onChange: () => emit('characters:changed', {}),
          ...(opts.watchSettleMs !== undefined ? { settleMs: opts.watchSettleMs } : {}),
        });
  // A chat whose file was deleted outside the app leaves every window's list, whichever call found it
  // gone (the watcher, or a load that met the missing file first); the character's next chat becomes active.
  const stopGone = store.onChatGone((chatId, characterId) => {
    void activeAfterRemoval({ store, appState }, characterId, chatId)
      .catch(() => null)
      .then((nextChatId) => emit('chat:removed', { chatId, characterId, source: 'external', nextChatId }));
  });
  const door = opts.cliDoor ? openCliDoor({ store, characters, appState, emit, personaName: async (chatId) => (await personaForChat({ personas, settings }, chatId)).name }) : Promise.resolve(null);
  const ready = Promise.all([healActiveChats(store, appState), watcher?.ready, characterWatcher?.ready, door]).then(() => undefined);
  // Paused past the lock's heartbeat and taken over: the store refuses every write now; every window says so.
  void store.whenLockLost().then((e) => {
    console.error(`CardShark: ${e.message}`);
    emit('store:lock-lost', { message: e.message });
  });
  let closing: Promise<void> | undefined;
  return {
    binding,
    characters,
    generation,
    ready,
    watcher,
    cliDoorOpen: door.then(() => undefined),
    library,
    settings: appSettings,
    autosave,
    shutdown: () =>
      (closing ??= (async () => {
        // CLIs are turned away from here on; a command under way finishes before the store closes.
        const doorClosed = door.then((d) => d?.close());
        // No new reply starts; the running ones end and store their text (through the debouncer).
        await generation.stopAll();
        // Every deferred write accepted so far is written; any later one is refused (CLOSED), so a
        // draft typed during the quit is on disk at exit or refused, never answered "ok" and dropped.
        await autosave.close();
        // The watcher needs the store to act: it stays open through the app's last writes (and a
        // retry dialog on a full disk), so outside changes made meanwhile are still seen.
        await watcher?.close();
        await characterWatcher?.close();
        await Promise.all([...copies]);
        await doorClosed;
        await library?.close(); // a cache: what it has not indexed yet is caught up at the next start
        await store.close();
        stopGone();
      })().catch((e: unknown) => {
        closing = undefined; // a failed flush (disk full) may be retried: the quit dialog offers it
        throw e;
      })),
  };
}

/**
 * The library search's check of every chat (and the build of a missing index) starts this long
 * after start-up: the first window loads and opens its chat without sharing the main thread.
 */
export const LIBRARY_START_DELAY_MS = 1_500;

/** The library search, or null (logged) when its index cannot be opened (an unwritable folder): the app runs without it. */
function openLibrarySearchOrNull(store: ChatStore, characters: CharacterRegistry, requests: RequestGate, startDelayMs: number): LibrarySearch | null {
  try {
    return openLibrarySearch({ store, characters: () => characters.list(), quiet: () => requests.quiet(), startDelayMs });
  } catch (e) {
    console.error('CardShark: search across chats is unavailable: its index could not be opened:', e);
    return null;
  }
}

/** Reads the env/CLI knobs that tune generation (tests use a fast demo pace). */
export function settingsOverridesFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<GenerationSettings> {
  const pace = env.CARDSHARK_DEMO_PACE_MS;
  return pace !== undefined && /^\d+$/.test(pace) ? { paceMs: Number(pace) } : {};
}

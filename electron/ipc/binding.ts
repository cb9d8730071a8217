// Binds the contract to the store: one handler per channel. Every call is
// (1) sender-checked, (2) safeParsed, (3) executed, (4) answered with an envelope.
// It never throws, whatever the renderer sends; both transports reuse it.
import type { z } from 'zod';
import { StoreError, toErrorInfo } from '../../shared/errors.ts';
import { CHANNELS, isChannelName, type ChannelName, type Channels, type Result } from '../../shared/ipc-contract.ts';
import type { ChatStore } from '../store/types.ts';
import type { Message } from '../../shared/chat-format.ts';
import type { CharacterRegistry } from '../app-data/characters.ts';
import type { CharacterTrash } from '../app-data/character-trash.ts';
import type { AppState } from '../app-data/app-state.ts';
import { pickMostRecent, resolveActiveChat } from '../app-data/active-chat.ts';
import { publicSettings, type GenerationSettingsStore } from '../generation/generation-settings.ts';
import type { AppSettingsStore } from '../app-settings/settings.ts';
import type { Emit, GenerationManager } from '../generation/manager.ts';
import type { Debouncer } from '../autosave/debouncer.ts';
import type { Drafts } from '../drafts/drafts.ts';
import type { LoadCard } from '../generation/prompt/card.ts';
import { createChatWithGreeting, greetingMessage } from '../generation/prompt/greeting.ts';
import { assemblePrompt } from '../generation/prompt/assemble.ts';
import { AUTHORS_NOTE_KEY, authorsNoteOf } from '../generation/prompt/authors-note.ts';
import { MESSAGE_OVERHEAD_TOKENS, messageTokens } from '../generation/prompt/tokens.ts';
import { countWithLibrary } from '../generation/prompt/library-tokens.ts';
import { countWithEndpoint, type EndpointTokenOptions } from '../generation/endpoint-tokens.ts';
import { testConnection, type ConnectionTestOptions } from '../generation/connection-test.ts';
import { characterHandlers, requireCharacter } from './characters.ts';
import { chatFileHandlers } from './chat-files.ts';
import { chatUploadHandlers } from './chat-uploads.ts';
import type { PickChatFile } from './picked-chat.ts';
import { bringBackOwner } from './chat-owner.ts';
import { inheritPersona, personaForChat, personaHandlers } from './personas.ts';
import type { Personas } from '../app-data/personas.ts';
import type { LibrarySearch, RequestGate } from '../library-search/index.ts';

export interface BindingDeps {
  store: ChatStore;
  characters: CharacterRegistry;
  characterTrash: CharacterTrash;
  appState: AppState;
  settings: GenerationSettingsStore;
  appSettings: AppSettingsStore;
  generation: GenerationManager;
  emit: Emit;
  autosave: Debouncer;
  drafts: Drafts;
  /** The user's personas: who speaks in each chat. */
  personas: Personas;
  /** A character's card: a new chat opens with its greeting. */
  loadCard: LoadCard;
  /** Injectable for tests (lookup, fetch); the real network otherwise. */
  connectionTest?: ConnectionTestOptions;
  /** Search across the library (none: searchLibrary fails IO_ERROR, reason 'unavailable'). */
  library?: LibrarySearch;
  /** Told of every request, so background indexing gives way to them (request-gate.ts). */
  requests?: RequestGate;
  /** The prompt viewer's token counts by the endpoint (tests: fetch, DNS lookup). */
  endpointTokens?: EndpointTokenOptions;
  /** Main's file dialog for importPickedChat (Electron); none in the browser host. */
  pickChatFile?: PickChatFile;
}

export type Handlers = {
  [K in ChannelName]: (req: z.output<Channels[K]['request']>) => Promise<z.output<Channels[K]['response']>>;
};

export interface Binding<S> {
  /** Answers one call. Resolves to an envelope; never rejects. */
  handle(sender: S, channel: unknown, payload: unknown): Promise<Result<unknown>>;
}

const MAX_ERROR_MESSAGE = 500;

/** The store's optional write options from a request's optional field. */
function revisionOpts(expectedRevision: number | undefined) {
  return expectedRevision === undefined ? undefined : { expectedRevision };
}

export function createHandlers(d: BindingDeps): Handlers {
  /** Advisory: the write before it succeeded, so a failure here must not turn it into an error. */
  async function changed(chatId: string, what: { messages?: Message[]; deletedIds?: string[] } = {}) {
    await d.store.getChat(chatId).then(
      (summary) => d.emit('chat:changed', { chatId, characterId: summary.characterId, summary, revision: summary.revision, ...what }),
      (e: unknown) => console.error(`chat:changed for ${chatId} not sent:`, e),
    );
  }
  /** A significant event (a send, a switch): deferred writes go to disk now. Failures stay pending and are reported by the debouncer. */
  function flushDeferred() {
    d.autosave.flush().catch((e: unknown) => console.error('flush on a significant event failed (kept, retried):', e));
  }
  /**
   * Nothing may land between a user message and the reply being generated for it. Called
   * synchronously just before the store call: no await may separate the check from the write.
   * Before it, `await d.generation.settle(chatId)`: a reply that ended without reaching the disk
   * (full) is stored first, or the write is refused with that error.
   */
  function refuseWhileStreaming(chatId: string, messageId?: string) {
    if (messageId === undefined ? d.generation.busy(chatId) : d.generation.liveMessage(chatId) === messageId) {
      throw new StoreError('CONFLICT', 'a reply is being generated in this chat; wait for it or stop it first', { chatId, reason: 'streaming' });
    }
  }

  return {
    ...chatFileHandlers(d),
    ...chatUploadHandlers(d),
    ...personaHandlers(d),
    ...characterHandlers(d, { refuseWhileStreaming, flushDeferred }),
    async listChats({ characterId }) {
      await requireCharacter(d, characterId);
      return d.store.listChats(characterId);
    },
    async createChat(input) {
      await requireCharacter(d, input.characterId);
      const greeting = async () => greetingMessage(await d.loadCard(input.characterId), (await personaForChat(d, undefined)).name);
      const summary = await createChatWithGreeting(d.store, input, greeting, (e) => {
        console.error('the greeting was not stored:', e);
        d.emit('notice', { level: 'error', code: toErrorInfo(e).code, message: `The chat was created, but its greeting could not be stored: ${toErrorInfo(e).message}` });
      });
      d.emit('chat:changed', { chatId: summary.chatId, characterId: summary.characterId, summary, revision: summary.revision });
      return summary;
    },
    getChat: ({ chatId }) => d.store.getChat(chatId),
    loadChat: ({ chatId, options }) => d.store.loadChat(chatId, options),
    searchChat: ({ chatId, query, limit, offset }) => d.store.searchChat(chatId, query, limit, offset),
    async searchLibrary({ query, limit }) {
      if (!d.library) throw new StoreError('IO_ERROR', 'Search across chats is unavailable: its index could not be opened (the app log says why).', { reason: 'unavailable' });
      return d.library.search(query, limit === undefined ? undefined : { chats: limit });
    },
    async getAuthorsNote({ chatId }) {
      return authorsNoteOf(await d.store.getChatMetadata(chatId));
    },
    async setAuthorsNote({ chatId, note, expectedRevision }) {
      const summary = await d.store.updateChatMetadata(chatId, { [AUTHORS_NOTE_KEY]: note }, revisionOpts(expectedRevision));
      d.emit('chat:changed', { chatId, characterId: summary.characterId, summary, revision: summary.revision });
      return summary;
    },
    async previewPrompt({ chatId }) {
      const { built, hiddenLeftOut, settings } = await assemblePrompt({ store: d.store, settings: d.settings, loadCard: d.loadCard, persona: (id) => personaForChat(d, id) }, { chatId, mode: 'new' });
      const texts = built.messages.map((m) => m.content);
      const counted = (await countWithEndpoint(settings, texts, d.endpointTokens)) ?? (await countWithLibrary(texts).then((counts) => (counts ? { counts, tokenizer: 'gpt-tokenizer' as const } : undefined)));
      const messages = built.messages.map((m, i) => ({ ...m, tokens: counted ? counted.counts[i]! + MESSAGE_OVERHEAD_TOKENS : messageTokens(m) }));
      return {
        messages,
        parts: built.parts,
        budget: built.budget,
        totalTokens: messages.reduce((n, m) => n + m.tokens, 0),
        systemTokens: built.systemTokens,
        historyTokens: built.historyTokens,
        historyKept: built.historyKept,
        historyDropped: built.historyDropped,
        hiddenLeftOut,
        lore: built.lore,
        tokenCounter: counted?.tokenizer ?? ('estimate' as const),
      };
    },
    async renameChat({ chatId, title, expectedRevision }) {
      const summary = await d.store.renameChat(chatId, title, revisionOpts(expectedRevision));
      d.emit('chat:changed', { chatId, characterId: summary.characterId, summary, revision: summary.revision });
      return summary;
    },
    async branchChat({ chatId, messageId, title }) {
      // A reply still streaming into the parent is settled first: the branch copies what is on disk.
      await d.generation.settle(chatId);
      const summary = await d.store.branchChat(chatId, messageId, title === undefined ? {} : { title });
      // The branch speaks as its parent did (advisory: the branch itself is made already).
      await inheritPersona(d.personas, chatId, summary.chatId).catch((e: unknown) => console.error('the branch did not get its parent\'s persona:', e));
      d.emit('chat:changed', { chatId: summary.chatId, characterId: summary.characterId, summary, revision: summary.revision });
      return summary;
    },
    validateChat: ({ chatId }) => d.store.validateChat(chatId),
    async repairChat({ chatId }) {
      await d.generation.settle(chatId);
      refuseWhileStreaming(chatId);
      const r = await d.store.repairChat(chatId);
      await changed(chatId);
      return r;
    },
    listBackups: ({ chatId }) => d.store.listBackups(chatId),
    async restoreBackup({ chatId, backupId }) {
      await d.generation.settle(chatId);
      refuseWhileStreaming(chatId);
      const r = await d.store.restoreBackup(chatId, backupId);
      await changed(chatId);
      return r;
    },
    listDeletedChats: () => d.store.listDeletedChats(),
    async undeleteChat({ chatId, trashId }) {
      // A chat of a deleted character comes back with it (chat-owner.ts), never orphaned.
      const owner = await bringBackOwner(d, chatId, trashId);
      if (owner === 'restored' || owner === 'listed') d.emit('characters:changed', {});
      const summary = await d.store.undeleteChat(chatId, trashId);
      d.emit('chat:changed', { chatId: summary.chatId, characterId: summary.characterId, summary, revision: summary.revision });
      return summary;
    },
    async deleteChat({ chatId, expectedRevision }) {
      await d.generation.settle(chatId);
      refuseWhileStreaming(chatId);
      const { characterId } = await d.store.getChat(chatId);
      await d.store.deleteChat(chatId, revisionOpts(expectedRevision));
      // The chat is in the trash now. If it was the open one, the next most recent chat is.
      const nextChatId = await activeAfterRemoval(d, characterId, chatId);
      await d.drafts.forget(chatId).catch((e: unknown) => console.error('forgetting the draft failed:', e));
      d.emit('chat:removed', { chatId, characterId, source: 'app', nextChatId });
      return { ok: true as const };
    },
    async getActiveChat({ characterId }) {
      // The chat may have been removed behind our back (another tool, a restore): it heals to the most recent one.
      return { chatId: await resolveActiveChat(d.store, d.appState, characterId) };
    },
    async setActiveChat({ characterId, chatId }) {
      const summary = await d.store.getChat(chatId);
      if (summary.characterId !== characterId) throw new StoreError('INVALID_INPUT', 'that chat belongs to another character');
      await d.appState.setActiveChat(characterId, chatId);
      flushDeferred();
      return { ok: true as const };
    },
    async appendMessage({ chatId, message, expectedRevision }) {
      await d.generation.settle(chatId);
      refuseWhileStreaming(chatId);
      // `streaming` is main's own: it marks a reply this session is generating.
      if (message.status === 'streaming') throw new StoreError('INVALID_INPUT', 'message.status: streaming is set by the app only', { field: 'message.status' });
      // The user's message keeps the name of the chat's persona at its time (shown on it, and written by export).
      const named = message.role === 'user' && message.name === undefined ? { ...message, name: (await personaForChat(d, chatId)).name } : message;
      const m = await d.store.appendMessage(chatId, named, revisionOpts(expectedRevision));
      flushDeferred();
      await changed(chatId, { messages: [m] });
      return m;
    },
    async appendMessages({ chatId, messages, expectedRevision }) {
      await d.generation.settle(chatId);
      refuseWhileStreaming(chatId);
      if (messages.some((m) => m.status === 'streaming')) throw new StoreError('INVALID_INPUT', 'message.status: streaming is set by the app only', { field: 'messages' });
      const ms = await d.store.appendMessages(chatId, messages, revisionOpts(expectedRevision));
      await changed(chatId, { messages: ms });
      return ms;
    },
    async updateMessage({ chatId, messageId, patch, expectedRevision }) {
      await d.generation.settle(chatId);
      refuseWhileStreaming(chatId, messageId);
      if (patch.status === 'streaming') throw new StoreError('INVALID_INPUT', 'patch.status: streaming is set by the app only', { field: 'patch.status' });
      // An edit cannot empty a message (the UI offers delete, with undo, for that).
      if (patch.content !== undefined && patch.content.trim() === '') throw new StoreError('INVALID_INPUT', 'patch.content: an edit cannot empty a message; delete it instead', { field: 'patch.content' });
      const m = await d.store.updateMessage(chatId, messageId, patch, revisionOpts(expectedRevision));
      await changed(chatId, { messages: [m] });
      return m;
    },
    async deleteMessage({ chatId, messageId, expectedRevision }) {
      await d.generation.settle(chatId);
      refuseWhileStreaming(chatId, messageId);
      await d.store.deleteMessage(chatId, messageId, revisionOpts(expectedRevision));
      await changed(chatId, { deletedIds: [messageId] });
      return { ok: true as const };
    },
    generate: (req) => d.generation.start(req),
    impersonate: ({ chatId }) => d.generation.impersonate(chatId),
    stopGeneration: async ({ streamId }) => ({ stopped: d.generation.stop(streamId) }),
    listStreams: async () => d.generation.list(),
    getDraft: async ({ chatId }) => ({ text: await d.drafts.get(chatId) }),
    async setDraft({ chatId, text, flush }) {
      await d.drafts.set(chatId, text, flush === true);
      return { ok: true as const };
    },
    getGenerationSettings: async () => publicSettings(await d.settings.get()),
    setGenerationSettings: async (patch) => publicSettings(await d.settings.update(patch)),
    testConnection: async () => testConnection(await d.settings.get(), d.connectionTest),
    getAppSettings: async () => appSettingsOut(d.appSettings),
    setAppSettings: async (patch) => {
      d.appSettings.update(patch);
      return appSettingsOut(d.appSettings);
    },
  };
}

/** After a chat was removed (here or outside the app): the character's active chat, healed to the next most recent if it was this one. */
export async function activeAfterRemoval(d: Pick<BindingDeps, 'store' | 'appState'>, characterId: string, chatId: string): Promise<string | null> {
  try {
    const active = await d.appState.getActiveChat(characterId);
    if (active && active !== chatId) return active;
    return await pickMostRecent(d.store, d.appState, characterId, chatId);
  } catch (e) {
    console.error('choosing the next chat failed:', e);
    await d.appState.forgetChat(chatId).catch(() => {});
    return null;
  }
}

/** Optional: bounds the calls of one sender running at once (the browser host bounds its own per connection). */
export interface BindingLimits<S> {
  /** More calls from one sender while this many run are refused at once: TOO_LARGE, details.reason 'busy'. */
  maxInFlightPerSender: number;
  /** Identifies a sender across calls (Electron: `event.sender`, since every call has its own event). */
  senderKey: (sender: S) => object;
}


/** Only the storage knobs and the opening notices: never the generation settings' key. */
function appSettingsOut(s: AppSettingsStore) {
  const { autosaveIntervalMs, backupRetention, quitFlushTimeoutMs } = s.get();
  return { autosaveIntervalMs, backupRetention, quitFlushTimeoutMs, notices: s.notices.slice(0, 10) };
}

export function createBinding<S>(deps: BindingDeps, isTrustedSender: (sender: S) => boolean, limits?: BindingLimits<S>): Binding<S> {
  const handlers = createHandlers(deps);
  const inFlight = new WeakMap<object, number>();
  const binding: Binding<S> = {
    async handle(sender, channel, payload) {
      const ended = deps.requests?.begin();
      try {
        if (!isTrustedSender(sender)) return fail('FORBIDDEN', 'call refused: untrusted sender', { reason: 'sender' });
        if (!isChannelName(channel)) return fail('INVALID_INPUT', 'unknown channel', { reason: 'channel' });
        const spec = CHANNELS[channel];
        const parsed = spec.request.safeParse(payload);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
          // `field` lets a form show the error at its input.
          const field = issue?.path.length ? { field: issue.path.join('.') } : {};
          return fail('INVALID_INPUT', `${channel}: ${where}${issue?.message ?? 'invalid payload'}`, { reason: 'payload', ...field });
        }
        const handler = handlers[channel] as (req: unknown) => Promise<unknown>;
        const data = await handler(parsed.data);
        // Our own answers are checked too: a store bug must not leak a malformed shape.
        if (!spec.response.safeParse(data).success) return fail('INTERNAL', `${channel}: the answer did not match the contract`);
        return { ok: true, data };
      } catch (e) {
        const info = toErrorInfo(e);
        // The renderer gets a sanitised message; the full story goes to the main-side log.
        if (info.code === 'INTERNAL' || info.code === 'IO_ERROR' || info.code === 'DISK_FULL') console.error(`${String(channel)} failed:`, e);
        return { ok: false, error: { ...info, message: info.message.slice(0, MAX_ERROR_MESSAGE) } };
      } finally {
        ended?.();
      }
    },
  };
  if (!limits) return binding;
  return {
    async handle(sender, channel, payload) {
      let key: object;
      try {
        key = limits.senderKey(sender);
      } catch {
        return fail('FORBIDDEN', 'call refused: untrusted sender', { reason: 'sender' });
      }
      const running = inFlight.get(key) ?? 0;
      if (running >= limits.maxInFlightPerSender) {
        return fail('TOO_LARGE', `too many calls at once (at most ${limits.maxInFlightPerSender}); try again when some have finished`, { reason: 'busy' });
      }
      inFlight.set(key, running + 1);
      try {
        return await binding.handle(sender, channel, payload);
      } finally {
        const left = (inFlight.get(key) ?? 1) - 1;
        if (left > 0) inFlight.set(key, left);
        else inFlight.delete(key);
      }
    },
  };
}

function fail(code: StoreError['code'], message: string, details?: Record<string, unknown>): Result<never> {
  return { ok: false, error: details ? { code, message: message.slice(0, MAX_ERROR_MESSAGE), details } : { code, message: message.slice(0, MAX_ERROR_MESSAGE) } };
}

// Runs generations main-side. A stream is bound to its chat (and, for a swipe or a continuation,
// its message) at birth; chunks go out as events and are checkpointed to the chat file through
// the shared debouncer (see reply-writer.ts): first text at once, then at most one write per
// autosave interval, then one final write with the end status. A reply whose final write failed
// (disk full) is owed to its chat: the chat stays bound to it until it is on disk, so nothing sent
// after it can land before it.
import { randomUUID } from 'node:crypto';
import { StoreError, toErrorInfo } from '../../shared/errors.ts';
import { LIMITS } from '../../shared/chat-format.ts';
import type { EventName, EventPayload, GenerateRequest, StreamInfo } from '../../shared/ipc-contract.ts';
import type { ChatStore } from '../store/types.ts';
import type { GenerationSettingsStore } from './generation-settings.ts';
import { createDebouncer, type Debouncer } from '../autosave/debouncer.ts';
import { demoProvider } from './demo.ts';
import { openAiProvider } from './openai.ts';
import type { PromptMessage, Provider, Sampling } from './provider.ts';
import type { LoadCard } from './prompt/card.ts';
import { assemblePrompt, type ChatPersona } from './prompt/assemble.ts';
import { impersonationPrompt } from './prompt/impersonate.ts';
import { ReplyWriter, type FinalStatus } from './reply-writer.ts';

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface GenerationManager {
  start(req: GenerateRequest): Promise<{ streamId: string }>;
  /**
   * Impersonate: the user's next message, generated from the chat so far and streamed to the
   * renderer's composer (impersonate:chunk, impersonate:end); nothing is written to the chat.
   * The chat is busy meanwhile (no reply starts); stop() stops it.
   */
  impersonate(chatId: string): Promise<{ streamId: string }>;
  stop(streamId: string): boolean;
  /** Aborts every stream and waits until their partial replies are stored with their final status. */
  stopAll(): Promise<void>;
  /** The streams running now, with their text so far: a reloaded renderer picks them up. */
  list(): StreamInfo[];
  /** Whether a reply is being generated (or about to be) in this chat. */
  busy(chatId: string): boolean;
  /** The message a live stream writes into (or an ended one still owes to the disk), if any. */
  liveMessage(chatId: string): string | undefined;
  /**
   * Before a write to the chat: a reply that ended without reaching the disk (full) is stored now,
   * which frees the chat. Rejects with the write's error (the reply stays owed, the chat bound).
   */
  settle(chatId: string): Promise<void>;
  /**
   * The chat's file changed outside the app: stops the chat's stream without writing anything
   * more into the file, and resolves with its reply so far (for a conflict copy); undefined if
   * no stream runs there (a reply only owed to the disk is left to its own write's check).
   */
  abandon(chatId: string): Promise<StreamInfo | undefined>;
}

interface Running {
  info: StreamInfo;
  /** The chat's character: where a conflict copy of the reply goes even if the chat's file is gone. */
  characterId: string;
  controller: AbortController;
  done: Promise<void>;
  writer?: ReplyWriter;
  /** Set by abandon(): the reply goes to whoever abandoned it, not to onOutsideChange. */
  abandoned?: boolean;
  released?: boolean;
  /** The stream ended but its reply is not on disk yet: the chat stays bound until it is. */
  owed?: boolean;
}

export function createGenerationManager(deps: {
  store: ChatStore;
  settings: GenerationSettingsStore;
  emit: Emit;
  /** Injectable for tests; defaults to choosing by settings. */
  provider?: Provider;
  /** The shared deferred-write mechanism; a private one (default interval) when absent. */
  autosave?: Debouncer;
  /** The chat's character card (by the chat summary's characterId); a card with just a name when absent. */
  loadCard?: LoadCard;
  /** The chat's persona (its name is `{{user}}`); the settings' persona when absent. */
  persona?: ChatPersona;
  /** A reply's write was refused because its chat's file changed or vanished outside the app: the reply so far, to keep elsewhere. */
  onOutsideChange?: (chatId: string, reply: StreamInfo, characterId: string) => void;
}): GenerationManager {
  const autosave = deps.autosave ?? createDebouncer();
  const running = new Map<string, Running>();
  /** Chats with a stream starting or running: sends to them are refused until it ends. */
  const reserved = new Set<string>();
  /** Ended streams whose reply is not on disk yet (disk full), by chat: retried by the debouncer. */
  const owed = new Map<string, Running>();
  /** Starts still awaiting their context: stopAll waits for them too. */
  const starting = new Set<Promise<unknown>>();
  /** Impersonations running (they write nothing: no writer, nothing owed), by stream id. */
  const impersonating = new Map<string, { chatId: string; controller: AbortController; done: Promise<void> }>();
  let closed = false;

  async function pickProvider(): Promise<Provider> {
    if (deps.provider) return deps.provider;
    const s = await deps.settings.get();
    return s.provider === 'openai' ? openAiProvider(s) : demoProvider(s.paceMs);
  }

  function start(req: GenerateRequest): Promise<{ streamId: string }> {
    // A reply still owed to this chat's file is stored first: the new one comes after it.
    if (owed.has(req.chatId) && !closed) return settle(req.chatId).then(() => startNow(req));
    return startNow(req);
  }

  function startNow(req: GenerateRequest): Promise<{ streamId: string }> {
    if (closed) return Promise.reject(new StoreError('CLOSED', 'the app is quitting; no new replies are started'));
    // Reserved synchronously, before any await: two starts, or a send, cannot slip in between.
    if (reserved.has(req.chatId)) return Promise.reject(new StoreError('CONFLICT', 'a reply is already being generated in this chat'));
    reserved.add(req.chatId);
    const p = begin(req);
    starting.add(p);
    void p.catch(() => reserved.delete(req.chatId)).finally(() => starting.delete(p));
    return p;
  }

  async function begin(req: GenerateRequest): Promise<{ streamId: string }> {
    const { chatId } = req;
    const { built, card, settings, variant, prefix, characterId } = await assemblePrompt(deps, req);
    const prompt: PromptMessage[] = built.messages;
    const sampling: Sampling = { temperature: settings.temperature, topP: settings.topP, maxTokens: settings.maxTokens, stop: settings.stopSequences };
    const provider = await pickProvider();
    if (closed) throw new StoreError('CLOSED', 'the app is quitting; no new replies are started');

    const streamId = randomUUID();
    const messageId = req.mode === 'new' ? randomUUID() : req.messageId;
    const controller = new AbortController();
    const info: StreamInfo = { streamId, chatId, mode: req.mode, messageId, text: prefix };
    const entry: Running = { info, characterId, controller, done: Promise.resolve() };
    running.set(streamId, entry);
    deps.emit('stream:start', { streamId, chatId, mode: req.mode, messageId, text: prefix });
    entry.done = run(entry, provider, { messages: prompt, variant, prefix, sampling, name: card.name.slice(0, LIMITS.titleChars) }).finally(() => {
      if (!entry.owed) release(entry);
    });
    return { streamId };
  }

  /** The chat is free for sends and new replies again; once per stream (a later stream's reservation is not touched). */
  function release(entry: Running) {
    if (entry.released) return;
    entry.released = true;
    running.delete(entry.info.streamId);
    if (owed.get(entry.info.chatId) === entry) owed.delete(entry.info.chatId);
    reserved.delete(entry.info.chatId);
  }

  /** A key's pending write: the reply's text so far, stored when the debouncer runs it. */
  const keyOf = (entry: Running) => `stream:${entry.info.streamId}`;

  function settle(chatId: string): Promise<void> {
    const entry = owed.get(chatId);
    return entry ? autosave.flush(keyOf(entry)) : Promise.resolve();
  }

  /** An owed reply reached the disk (or was given up for good): the chat is free, the UI hears of it. */
  function paid(entry: Running) {
    if (!entry.owed || entry.released) return;
    const { chatId } = entry.info;
    const failure = entry.writer?.failure;
    const code = failure instanceof StoreError ? failure.code : undefined;
    if (!entry.abandoned && (code === 'CONFLICT' || code === 'NOT_FOUND')) deps.onOutsideChange?.(chatId, { ...entry.info }, entry.characterId);
    release(entry);
    const message = entry.writer?.stored;
    if (failure || !message) return;
    void deps.store.getChat(chatId).then(
      (summary) => deps.emit('chat:changed', { chatId, characterId: summary.characterId, summary, revision: summary.revision, messages: [message] }),
      () => {},
    );
  }

  async function run(entry: Running, provider: Provider, ctx: { messages: PromptMessage[]; variant: number; prefix: string; sampling: Sampling; name: string }) {
    const { streamId, chatId, mode, messageId } = entry.info;
    const signal = entry.controller.signal;
    const writer = new ReplyWriter(deps.store, chatId, mode === 'new' ? { mode, messageId, name: ctx.name } : { mode, messageId });
    entry.writer = writer;
    const key = keyOf(entry);
    const save = async () => {
      await writer.checkpoint();
      if (writer.done) paid(entry);
    };
    let failure: unknown;
    let providerFailed = false; // the endpoint failed (not the store): the text so far is kept as interrupted
    let finished = false; // the provider ended on its own: a Stop pressed just then changes nothing
    let first = true;
    try {
      for await (const delta of provider({ messages: ctx.messages, signal, variant: ctx.variant, sampling: ctx.sampling, ...(ctx.prefix ? { prefix: ctx.prefix } : {}) })) {
        if (!delta) continue;
        entry.info.text += delta;
        writer.add(delta);
        deps.emit('stream:chunk', { streamId, chatId, delta });
        autosave.set(key, save);
        if (first) {
          // The reply appears in the chat file as soon as its first text arrives.
          first = false;
          autosave.flush(key).catch(() => {}); // a failure keeps the text pending; the end reports it
        }
        if (signal.aborted) break;
        if (writer.failure) {
          failure = writer.failure; // the store refused the reply (too long): end the stream
          break;
        }
      }
      finished = !signal.aborted && !failure;
    } catch (e) {
      failure = e;
      providerFailed = true;
    }
    const status = failure ? 'error' : finished ? 'complete' : 'stopped';
    // A timeout, a dropped connection or a malformed chunk cut the reply short: what arrived is
    // good text, kept as interrupted (Continue picks it up), as a Stop keeps it.
    const final: FinalStatus = status === 'complete' ? 'complete' : status === 'stopped' || providerFailed ? 'interrupted' : 'error';
    writer.finish(final);
    autosave.set(key, save);
    try {
      await autosave.flush(key);
      // A stream's end is a significant event: every other deferred write goes to disk too.
      autosave.flush().catch(() => {}); // failures stay pending and are reported by the debouncer
      if (writer.failure && !failure) failure = writer.failure; // given up on the final write
      const code = failure instanceof StoreError ? failure.code : undefined;
      if (!entry.abandoned && (code === 'CONFLICT' || code === 'NOT_FOUND')) deps.onOutsideChange?.(chatId, { ...entry.info }, entry.characterId);
      const message = writer.stored;
      const end = failure ? 'error' : status;
      // Stored: the chat is free before anyone hears of the end (a send right after it is not refused).
      release(entry);
      deps.emit('stream:end', { streamId, chatId, status: end, messageId, ...(message ? { message } : {}), ...(failure ? { error: toErrorInfo(failure) } : {}) });
      if (message) {
        const summary = await deps.store.getChat(chatId).catch(() => undefined);
        if (summary) deps.emit('chat:changed', { chatId, characterId: summary.characterId, summary, revision: summary.revision, messages: [message] });
      }
    } catch (e) {
      // The text stays pending in the debouncer: it is retried every interval, before the next
      // write to this chat, and at quit. Until it is stored, the chat stays bound to this reply.
      running.delete(streamId);
      entry.owed = true;
      owed.set(chatId, entry);
      if (writer.done) paid(entry); // stored meanwhile by another flush
      deps.emit('stream:end', { streamId, chatId, status: 'error', messageId, error: toErrorInfo(e) });
      deps.emit('notice', { level: 'error', code: toErrorInfo(e).code, message: `The reply could not be saved yet (it is kept and retried): ${toErrorInfo(e).message}` });
    }
  }

  function impersonate(chatId: string): Promise<{ streamId: string }> {
    if (closed) return Promise.reject(new StoreError('CLOSED', 'the app is quitting; no new replies are started'));
    if (reserved.has(chatId) || owed.has(chatId)) return Promise.reject(new StoreError('CONFLICT', 'a reply is being generated in this chat'));
    reserved.add(chatId);
    const p = (async () => {
      // The request a reply would send (card, lorebook, author's note, history), then the instruction to write the user's turn.
      const { built, card, settings } = await assemblePrompt(deps, { chatId, mode: 'new' });
      const messages = impersonationPrompt(built.messages, card.name, settings.personaName);
      const sampling: Sampling = { temperature: settings.temperature, topP: settings.topP, maxTokens: settings.maxTokens, stop: settings.stopSequences };
      const provider = await pickProvider();
      if (closed) throw new StoreError('CLOSED', 'the app is quitting; no new replies are started');
      const streamId = randomUUID();
      const controller = new AbortController();
      const entry = { chatId, controller, done: Promise.resolve() };
      impersonating.set(streamId, entry);
      entry.done = (async () => {
        let text = '';
        let error: unknown;
        try {
          for await (const delta of provider({ messages, signal: controller.signal, variant: 0, sampling })) {
            if (!delta) continue;
            text += delta;
            deps.emit('impersonate:chunk', { streamId, chatId, delta });
            if (controller.signal.aborted) break;
          }
        } catch (e) {
          error = e;
        } finally {
          impersonating.delete(streamId);
          reserved.delete(chatId);
        }
        const status = error ? 'error' : controller.signal.aborted ? 'stopped' : 'complete';
        deps.emit('impersonate:end', { streamId, chatId, status, text, ...(error ? { error: toErrorInfo(error) } : {}) });
      })();
      return { streamId };
    })();
    starting.add(p);
    void p.catch(() => reserved.delete(chatId)).finally(() => starting.delete(p));
    return p;
  }

  return {
    start,
    impersonate,
    stop(streamId) {
      const r = running.get(streamId) ?? impersonating.get(streamId);
      if (!r) return false;
      r.controller.abort();
      return true;
    },
    async stopAll() {
      closed = true;
      await Promise.allSettled([...starting]);
      const all = [...running.values(), ...impersonating.values()];
      for (const r of all) r.controller.abort();
      await Promise.all(all.map((r) => r.done));
    },
    list: () => [...running.values()].map((r) => ({ ...r.info })),
    busy: (chatId) => reserved.has(chatId),
    async abandon(chatId) {
      // Live streams only. A reply owed to the disk is not abandoned: its own write is refused if
      // the file changed (then onOutsideChange keeps it), and a change the watcher merely suspects
      // (say, our own failed write cut back) must not cost its text.
      const r = [...running.values()].find((x) => x.info.chatId === chatId);
      if (!r) return undefined;
      r.abandoned = true;
      r.writer?.detach();
      r.controller.abort();
      await r.done;
      return { ...r.info };
    },
    liveMessage: (chatId) => ([...running.values()].find((r) => r.info.chatId === chatId) ?? owed.get(chatId))?.info.messageId,
    settle,
  };
}

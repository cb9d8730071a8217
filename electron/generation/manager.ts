// Runs generations main-side. A stream is bound to its chat id at birth; chunks go
// out as events; the finished (or stopped) reply is stored with exactly one write.
import { randomUUID } from 'node:crypto';
import { StoreError, toErrorInfo } from '../../shared/errors.ts';
import type { Message } from '../../shared/chat-format.ts';
import type { EventName, EventPayload, GenerateRequest } from '../../shared/ipc-contract.ts';
import type { ChatStore } from '../store/types.ts';
import type { SettingsStore } from '../app-data/settings.ts';
import { demoProvider } from './demo.ts';
import { openAiProvider } from './openai.ts';
import type { PromptMessage, Provider } from './provider.ts';

export type Emit = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface GenerationManager {
  start(req: GenerateRequest): Promise<{ streamId: string }>;
  stop(streamId: string): boolean;
  /** Aborts every stream and waits until their partial replies are stored. */
  stopAll(): Promise<void>;
}

interface Running {
  chatId: string;
  controller: AbortController;
  done: Promise<void>;
}

const CONTEXT_MESSAGES = 50;

export function createGenerationManager(deps: {
  store: ChatStore;
  settings: SettingsStore;
  emit: Emit;
  /** Injectable for tests; defaults to choosing by settings. */
  provider?: Provider;
}): GenerationManager {
  const running = new Map<string, Running>();
  /** Starts still awaiting their context: stopAll waits for them too. */
  const starting = new Set<Promise<unknown>>();
  let closed = false;

  async function pickProvider(): Promise<Provider> {
    if (deps.provider) return deps.provider;
    const s = await deps.settings.get();
    return s.provider === 'openai' ? openAiProvider(s) : demoProvider(s.paceMs);
  }

  function start(req: GenerateRequest): Promise<{ streamId: string }> {
    if (closed) return Promise.reject(new StoreError('CLOSED', 'the app is quitting; no new replies are started'));
    const p = begin(req);
    starting.add(p);
    void p.catch(() => {}).finally(() => starting.delete(p));
    return p;
  }

  async function begin(req: GenerateRequest): Promise<{ streamId: string }> {
    const { chatId } = req;
    for (const r of running.values()) {
      if (r.chatId === chatId) throw new StoreError('CONFLICT', 'a reply is already being generated in this chat');
    }
    const page = await deps.store.loadChat(chatId, { limit: CONTEXT_MESSAGES });
    if (page.readOnly) throw new StoreError('READ_ONLY', 'this chat is read-only');
    let history: Message[] = page.messages;
    let variant = 0;
    if (req.mode === 'swipe') {
      const idx = history.findIndex((m) => m.id === req.messageId);
      const target = history[idx];
      if (!target) throw new StoreError('NOT_FOUND', 'only one of the newest messages can get a new swipe');
      if (target.role !== 'assistant') throw new StoreError('INVALID_INPUT', 'only assistant messages can be regenerated');
      history = history.slice(0, idx);
      variant = target.swipes?.length ?? 1;
    }
    const prompt: PromptMessage[] = history.map((m) => ({ role: m.role, content: m.content }));
    const provider = await pickProvider();
    // Re-check after the awaits: two starts for one chat may have raced, or a quit began.
    if (closed) throw new StoreError('CLOSED', 'the app is quitting; no new replies are started');
    for (const r of running.values()) {
      if (r.chatId === chatId) throw new StoreError('CONFLICT', 'a reply is already being generated in this chat');
    }

    const streamId = randomUUID();
    const controller = new AbortController();
    const entry: Running = { chatId, controller, done: Promise.resolve() };
    running.set(streamId, entry);
    deps.emit('stream:start', { streamId, chatId, mode: req.mode, ...(req.mode === 'swipe' ? { messageId: req.messageId } : {}) });
    entry.done = run(streamId, req, provider, prompt, variant, controller.signal).finally(() => running.delete(streamId));
    return { streamId };
  }

  async function run(streamId: string, req: GenerateRequest, provider: Provider, messages: PromptMessage[], variant: number, signal: AbortSignal) {
    const { chatId } = req;
    let text = '';
    let failure: unknown;
    let finished = false; // the provider ended on its own: a Stop pressed just then changes nothing
    try {
      for await (const delta of provider({ messages, signal, variant })) {
        text += delta;
        deps.emit('stream:chunk', { streamId, chatId, delta });
        if (signal.aborted) break;
      }
      finished = !signal.aborted;
    } catch (e) {
      failure = e;
    }
    const status = failure ? 'error' : finished ? 'complete' : 'stopped';
    if (!text) {
      deps.emit('stream:end', { streamId, chatId, status, ...(failure ? { error: toErrorInfo(failure) } : {}) });
      return;
    }
    try {
      const message =
        req.mode === 'new'
          ? await deps.store.appendMessage(chatId, {
              role: 'assistant',
              content: text,
              status: status === 'complete' ? 'complete' : status === 'stopped' ? 'interrupted' : 'error',
            })
          : await deps.store.updateMessage(chatId, req.messageId, { addSwipe: text });
      deps.emit('stream:end', { streamId, chatId, status, message, ...(failure ? { error: toErrorInfo(failure) } : {}) });
      const summary = await deps.store.getChat(chatId).catch(() => undefined);
      if (summary) deps.emit('chat:changed', { chatId, characterId: summary.characterId, summary });
    } catch (e) {
      deps.emit('stream:end', { streamId, chatId, status: 'error', error: toErrorInfo(e) });
      deps.emit('notice', { level: 'error', code: toErrorInfo(e).code, message: `The reply could not be saved: ${toErrorInfo(e).message}` });
    }
  }

  return {
    start,
    stop(streamId) {
      const r = running.get(streamId);
      if (!r) return false;
      r.controller.abort();
      return true;
    },
    async stopAll() {
      closed = true;
      await Promise.allSettled([...starting]);
      const all = [...running.values()];
      for (const r of all) r.controller.abort();
      await Promise.all(all.map((r) => r.done));
    },
  };
}

// An OpenAI-compatible streaming chat-completions client (KoboldCPP, llama.cpp
// server, Ollama, OpenAI). Runs in main: the key never reaches the renderer, no CORS.
// A request whose answer has not started within the connect timeout, or whose answer then
// stalls past the idle timeout, ends with an error; what the stream may hold is in sse.ts.
import { StoreError } from '../../shared/errors.ts';
import type { GenerateContext, Provider } from './provider.ts';
import { parseSse } from './sse.ts';
import { authorization, errorMessageOf, networkFailure, readCapped, seconds } from './upstream.ts';
import { checkRequestUrl, type LookupAll } from './url-policy.ts';

export interface OpenAiOptions {
  baseUrl: string;
  model: string;
  apiKey: string;
  /** Until the answer's status line and headers arrive (ms). */
  connectTimeoutMs?: number;
  /** Between any two reads of the answer (ms). */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  /** Injectable for tests: resolves a host name to all its addresses. */
  lookup?: LookupAll;
}

/** What of an error reply's body we read at most. */
const ERROR_BODY_READ_BYTES = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 60_000;

export function openAiProvider(opts: OpenAiOptions): Provider {
  const doFetch = opts.fetch ?? fetch;
  const connectMs = opts.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  return async function* openai(ctx) {
    // Throws INVALID_INPUT for a refused URL, also one whose host resolves to a link-local address.
    const base = await checkRequestUrl(opts.baseUrl, opts.lookup);
    const url = `${base.href.replace(/\/+$/, '')}/chat/completions`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream', ...authorization(opts.apiKey) };
    // Aborted at the connect timeout, and when we are done with the answer (the connection closes).
    const request = new AbortController();
    const connectTimer = setTimeout(() => request.abort(), connectMs);
    try {
      let res: Response;
      try {
        res = await doFetch(url, {
          method: 'POST',
          headers,
          body: JSON.stringify(requestBody(opts.model, ctx)),
          signal: AbortSignal.any([ctx.signal, request.signal]),
          // A redirect could take the key and the prompt to another server: none are followed.
          redirect: 'manual',
        });
      } catch (e) {
        if (ctx.signal.aborted) return;
        if (request.signal.aborted) {
          throw new StoreError('IO_ERROR', `the generation endpoint did not answer within ${seconds(connectMs)} (the connect timeout is in Generation settings)`, {
            reason: 'connect-timeout',
            timeoutMs: connectMs,
          });
        }
        throw networkFailure(e, 'connect');
      } finally {
        clearTimeout(connectTimer);
      }
      if (res.status >= 300 && res.status < 400) {
        throw new StoreError(
          'IO_ERROR',
          `generation endpoint answered ${res.status} (a redirect); redirects are not followed: set the base URL to the address the server expects`,
        );
      }
      if (!res.ok || !res.body) {
        // Only the status and a parsed OpenAI-style error.message reach the UI, never the raw body.
        const message = res.body ? errorMessageOf(await readCapped(res.body, ERROR_BODY_READ_BYTES, idleMs)) : undefined;
        throw new StoreError('IO_ERROR', `generation endpoint answered ${res.status}${message ? `: ${message}` : ''}`);
      }
      try {
        yield* parseSse(res.body, ctx.signal, { idleTimeoutMs: idleMs });
      } catch (e) {
        throw e instanceof StoreError ? e : networkFailure(e, 'reading');
      }
    } finally {
      request.abort();
    }
  };
}

/** The chat-completions body: model, messages, stream, and the samplers when given. */
export function requestBody(model: string, ctx: Pick<GenerateContext, 'messages' | 'sampling'>): Record<string, unknown> {
  const body: Record<string, unknown> = { model: model || undefined, messages: ctx.messages, stream: true };
  const s = ctx.sampling;
  if (s) {
    body.temperature = s.temperature;
    body.top_p = s.topP;
    body.max_tokens = s.maxTokens;
    // An empty list is left out: some servers refuse `stop: []`.
    if (s.stop.length) body.stop = s.stop;
  }
  return body;
}


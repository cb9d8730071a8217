// An OpenAI-compatible streaming chat-completions client (KoboldCPP, llama.cpp
// server, Ollama, OpenAI). Runs in main: the key never reaches the renderer, no CORS.
import { StoreError } from '../../shared/errors.ts';
import type { GenerateContext, Provider } from './provider.ts';
import { checkRequestUrl, type LookupAll } from './url-policy.ts';

export interface OpenAiOptions {
  baseUrl: string;
  model: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Injectable for tests: resolves a host name to all its addresses. */
  lookup?: LookupAll;
}

/** What of an error reply's body we read at most, and pass on at most. */
const ERROR_BODY_READ_BYTES = 64 * 1024;
const ERROR_MESSAGE_CHARS = 200;

export function openAiProvider(opts: OpenAiOptions): Provider {
  const doFetch = opts.fetch ?? fetch;
  return async function* openai(ctx) {
    // Throws INVALID_INPUT for a refused URL, also one whose host resolves to a link-local address.
    const base = await checkRequestUrl(opts.baseUrl, opts.lookup);
    const url = `${base.href.replace(/\/+$/, '')}/chat/completions`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(requestBody(opts.model, ctx)),
        signal: ctx.signal,
        // A redirect could take the key and the prompt to another server: none are followed.
        redirect: 'manual',
      });
    } catch (e) {
      if (ctx.signal.aborted) return;
      throw new StoreError('IO_ERROR', `generation endpoint unreachable: ${(e as Error).message}`);
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => {});
      throw new StoreError(
        'IO_ERROR',
        `generation endpoint answered ${res.status} (a redirect); redirects are not followed: set the base URL to the address the server expects`,
      );
    }
    if (!res.ok || !res.body) {
      // Only the status and a parsed OpenAI-style error.message reach the UI, never the raw body.
      const message = res.body ? errorMessageOf(await readCapped(res.body, ERROR_BODY_READ_BYTES)) : undefined;
      throw new StoreError('IO_ERROR', `generation endpoint answered ${res.status}${message ? `: ${message}` : ''}`);
    }
    yield* parseSse(res.body, ctx.signal);
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

/** `{"error": {"message": "…"}}` (OpenAI, llama.cpp) or `{"error": "…"}` (Ollama): capped, control characters stripped. */
export function errorMessageOf(body: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const error = typeof json === 'object' && json !== null ? (json as { error?: unknown }).error : undefined;
  const raw = typeof error === 'string' ? error : typeof error === 'object' && error !== null ? (error as { message?: unknown }).message : undefined;
  if (typeof raw !== 'string') return undefined;
  return cleanText(raw) || undefined;
}

/** Upstream text shown to the user: control characters and runs of spaces folded, capped. */
export function cleanText(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const clean = raw.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > ERROR_MESSAGE_CHARS ? `${clean.slice(0, ERROR_MESSAGE_CHARS - 1)}…` : clean;
}

/** Reads at most `max` bytes of a body, then cancels the rest. */
export async function readCapped(body: ReadableStream<Uint8Array>, max: number): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body cut short: parse what arrived
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

/** Yields `choices[0].delta.content` from an SSE stream until `data: [DONE]`. */
export async function* parseSse(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  const reader = body.getReader();
  try {
    while (!signal.aborted) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        try {
          const json = JSON.parse(data) as { choices?: { delta?: { content?: unknown } }[] };
          const delta = json.choices?.[0]?.delta?.content;
          if (typeof delta === 'string' && delta) yield delta;
        } catch {
          // keep-alive comments and malformed lines are skipped, not fatal
        }
      }
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  } finally {
    reader.releaseLock();
  }
}

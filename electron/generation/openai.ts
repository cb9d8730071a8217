// An OpenAI-compatible streaming chat-completions client (KoboldCPP, llama.cpp
// server, Ollama, OpenAI). Runs in main: the key never reaches the renderer, no CORS.
import { StoreError } from '../../shared/errors.ts';
import type { Provider } from './provider.ts';

export interface OpenAiOptions {
  baseUrl: string;
  model: string;
  apiKey: string;
  fetch?: typeof fetch;
}

export function openAiProvider(opts: OpenAiOptions): Provider {
  const doFetch = opts.fetch ?? fetch;
  return async function* openai(ctx) {
    const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    let res: Response;
    try {
      res = await doFetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ model: opts.model || undefined, messages: ctx.messages, stream: true }),
        signal: ctx.signal,
      });
    } catch (e) {
      if (ctx.signal.aborted) return;
      throw new StoreError('IO_ERROR', `generation endpoint unreachable: ${(e as Error).message}`);
    }
    if (!res.ok || !res.body) {
      const body = await res.text().catch(() => '');
      throw new StoreError('IO_ERROR', `generation endpoint answered ${res.status}: ${body.slice(0, 300)}`);
    }
    yield* parseSse(res.body, ctx.signal);
  };
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

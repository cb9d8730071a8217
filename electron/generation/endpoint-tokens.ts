// Token counts from the endpoint's own tokenizer, when it has one: llama.cpp's server
// (POST /tokenize {content} → {tokens: [...]}) or KoboldCPP (POST /api/extra/tokencount
// {prompt} → {value}). Both live at the server's root, beside the OpenAI-compatible /v1. Same URL
// policy as generation (checked literally and per resolved address, no redirects, the key only to
// the saved origin). Anything else (another server, a failure, a timeout) → undefined, and the
// caller keeps its estimate: a count is never guessed from a half-answer.
import type { GenerationSettings } from './generation-settings.ts';
import { authorization, readCapped } from './upstream.ts';
import { checkRequestUrl, type LookupAll } from './url-policy.ts';

export type EndpointTokenizer = 'llama.cpp' | 'koboldcpp';

export interface EndpointTokenOptions {
  fetch?: typeof fetch;
  lookup?: LookupAll;
  /** For all the counts together. */
  timeoutMs?: number;
}

const TIMEOUT_MS = 5_000;
const BODY_BYTES = 8 * 1024 * 1024;
const PARALLEL = 6;

const APIS: { name: EndpointTokenizer; path: string; body: (t: string) => unknown; count: (json: unknown) => number | undefined }[] = [
  { name: 'llama.cpp', path: '/tokenize', body: (content) => ({ content }), count: (j) => (Array.isArray((j as { tokens?: unknown })?.tokens) ? (j as { tokens: unknown[] }).tokens.length : undefined) },
  { name: 'koboldcpp', path: '/api/extra/tokencount', body: (prompt) => ({ prompt }), count: (j) => { const v = (j as { value?: unknown })?.value; return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined; } },
];

/** Each text's token count by the endpoint's tokenizer, or undefined when it has none we know. */
export async function countWithEndpoint(s: GenerationSettings, texts: readonly string[], opts: EndpointTokenOptions = {}): Promise<{ counts: number[]; tokenizer: EndpointTokenizer } | undefined> {
  if (s.provider !== 'openai' || texts.length === 0) return undefined;
  let root: string;
  let headers: Record<string, string>;
  try {
    const base = await checkRequestUrl(s.baseUrl, opts.lookup);
    root = base.origin + base.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
    headers = { accept: 'application/json', 'content-type': 'application/json', ...authorization(s.apiKey) };
  } catch {
    return undefined;
  }
  const doFetch = opts.fetch ?? fetch;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS);
  const ask = async (api: (typeof APIS)[number], text: string): Promise<number | undefined> => {
    try {
      const res = await doFetch(`${root}${api.path}`, { method: 'POST', headers, body: JSON.stringify(api.body(text)), redirect: 'manual', signal });
      const body = res.body ? await readCapped(res.body, BODY_BYTES) : '';
      return res.status === 200 ? api.count(JSON.parse(body)) : undefined;
    } catch {
      return undefined;
    }
  };
  // The first text finds which API the server speaks; the others go to that one.
  for (const api of APIS) {
    const first = await ask(api, texts[0]!);
    if (first === undefined) continue;
    const counts = [first];
    for (let i = 1; i < texts.length; i += PARALLEL) {
      const got = await Promise.all(texts.slice(i, i + PARALLEL).map((t) => ask(api, t)));
      if (got.some((n) => n === undefined)) return undefined;
      counts.push(...(got as number[]));
    }
    return { counts, tokenizer: api.name };
  }
  return undefined;
}

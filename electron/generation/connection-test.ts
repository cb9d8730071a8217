// "Test connection": one small request to the saved endpoint, under the same URL policy as
// generation (checked literally and per resolved address, no redirects, the key only to the
// saved origin). GET <base>/models first; a server without it (404/405) gets a 1-token
// completion instead. OK only for a well-formed answer (a model list, or a completion with
// its `choices`). The answer is ours: ok, or the status and the parsed error.message — never
// the raw body, never a network error's own text.
import type { ConnectionTestOut } from '../../shared/ipc-contract.ts';
import { toErrorInfo } from '../../shared/errors.ts';
import type { GenerationSettings } from './generation-settings.ts';
import { authorization, cleanText, errorMessageOf, networkFailure, readCapped, seconds } from './upstream.ts';
import { checkRequestUrl, type LookupAll } from './url-policy.ts';

const TIMEOUT_MS = 10_000;
/** Model lists of hosted APIs run to a few hundred KiB. */
const BODY_READ_BYTES = 4 * 1024 * 1024;
const MAX_MODELS = 50;

export interface ConnectionTestOptions {
  fetch?: typeof fetch;
  lookup?: LookupAll;
  timeoutMs?: number;
}

export async function testConnection(s: GenerationSettings, opts: ConnectionTestOptions = {}): Promise<ConnectionTestOut> {
  if (s.provider !== 'openai') return { ok: true, message: 'The offline demo generator needs no connection.' };
  let base: URL;
  try {
    base = await checkRequestUrl(s.baseUrl, opts.lookup);
  } catch (e) {
    return { ok: false, message: toErrorInfo(e).message.slice(0, 500) };
  }
  const root = base.href.replace(/\/+$/, '');
  const doFetch = opts.fetch ?? fetch;
  let headers: Record<string, string>;
  try {
    headers = { accept: 'application/json', ...authorization(s.apiKey) };
  } catch (e) {
    return { ok: false, message: `${toErrorInfo(e).message}.` };
  }
  const timeoutMs = opts.timeoutMs ?? TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);

  const request = async (path: string, init: RequestInit): Promise<{ status: number; body: string } | { error: string }> => {
    try {
      const res = await doFetch(`${root}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) }, redirect: 'manual', signal });
      const body = res.body ? await readCapped(res.body, BODY_READ_BYTES) : '';
      return { status: res.status, body };
    } catch (e) {
      if (signal.aborted) return { error: `The endpoint did not answer within ${seconds(timeoutMs)}.` };
      const why = networkFailure(e, 'connect').message.replace(/^the generation endpoint/, 'The endpoint');
      return { error: /[.?]$/.test(why) ? why : `${why}.` };
    }
  };

  let r = await request('/models', { method: 'GET' });
  let viaCompletion = false;
  if ('status' in r && (r.status === 404 || r.status === 405)) {
    viaCompletion = true;
    r = await request('/chat/completions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: s.model || undefined, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 1, stream: false }),
    });
  }
  if ('error' in r) return { ok: false, message: r.error };
  const { status, body } = r;
  if (status >= 300 && status < 400) {
    return { ok: false, status, message: `The endpoint answered ${status} (a redirect); redirects are not followed: set the base URL to the address the server expects.` };
  }
  if (status < 200 || status >= 300) {
    const why = errorMessageOf(body);
    return { ok: false, status, message: `The endpoint answered ${status}${why ? `: ${why}` : ''}.` };
  }
  if (viaCompletion) {
    if (!isCompletion(body)) return { ok: false, status, message: `The endpoint answered ${status}, but not with a chat completion (no "choices" list): is the base URL an OpenAI-compatible API?` };
    return { ok: true, status, message: `Connected: a 1-token completion worked (${status}).` };
  }
  const models = modelIds(body);
  if (!models) {
    return { ok: false, status, message: `The endpoint answered ${status}, but not with a model list ({"data": [{"id": …}, …]}): is the base URL an OpenAI-compatible API?` };
  }
  const listed = models.length ? `${models.length} model${models.length === 1 ? '' : 's'} listed` : 'no models listed';
  const missing = s.model && models.length && !models.includes(s.model) ? `; "${cleanText(s.model)}" is not among them` : '';
  return { ok: true, status, message: `Connected (${status}): ${listed}${missing}.`, models: models.slice(0, MAX_MODELS) };
}

/** `{"data": [{"id": "…"}, …]}` (OpenAI, llama.cpp, Ollama, KoboldCPP): the ids, cleaned; undefined unless every entry has a string id. */
function modelIds(body: string): string[] | undefined {
  const data = parsed<{ data?: unknown }>(body)?.data;
  if (!Array.isArray(data)) return undefined;
  const ids: string[] = [];
  for (const m of data) {
    const id = typeof m === 'object' && m !== null ? (m as { id?: unknown }).id : undefined;
    if (typeof id !== 'string' || !id) return undefined;
    ids.push(cleanText(id));
  }
  return ids;
}

/** A non-streamed chat completion: `{"choices": [...]}`. */
function isCompletion(body: string): boolean {
  return Array.isArray(parsed<{ choices?: unknown }>(body)?.choices);
}

function parsed<T>(body: string): T | undefined {
  try {
    const json: unknown = JSON.parse(body);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as T) : undefined;
  } catch {
    return undefined;
  }
}

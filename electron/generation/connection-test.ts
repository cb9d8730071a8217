// "Test connection": one small request to the saved endpoint, under the same URL policy as
// generation (checked literally and per resolved address, no redirects, the key only to the
// saved origin). GET <base>/models first; a server without it (404/405) gets a 1-token
// completion instead. The answer is ours: ok, or the status and the parsed error.message —
// never the raw body.
import type { ConnectionTestOut } from '../../shared/ipc-contract.ts';
import { toErrorInfo } from '../../shared/errors.ts';
import type { GenerationSettings } from './generation-settings.ts';
import { cleanText, errorMessageOf, readCapped } from './openai.ts';
import { checkRequestUrl, type LookupAll } from './url-policy.ts';

const TIMEOUT_MS = 10_000;
const BODY_READ_BYTES = 256 * 1024;
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
  const headers: Record<string, string> = { accept: 'application/json' };
  if (s.apiKey) headers.authorization = `Bearer ${s.apiKey}`;
  const signal = AbortSignal.timeout(opts.timeoutMs ?? TIMEOUT_MS);

  const request = async (path: string, init: RequestInit): Promise<{ status: number; body: string } | { error: string }> => {
    try {
      const res = await doFetch(`${root}${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) }, redirect: 'manual', signal });
      const body = res.body ? await readCapped(res.body, BODY_READ_BYTES) : '';
      return { status: res.status, body };
    } catch (e) {
      if (signal.aborted) return { error: `no answer within ${Math.round((opts.timeoutMs ?? TIMEOUT_MS) / 1000)} s` };
      const cause = (e as { cause?: { code?: unknown } }).cause?.code;
      return { error: `unreachable${typeof cause === 'string' ? ` (${cause})` : ''}` };
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
  if ('error' in r) return { ok: false, message: `The endpoint is ${r.error}.` };
  const { status, body } = r;
  if (status >= 300 && status < 400) {
    return { ok: false, status, message: `The endpoint answered ${status} (a redirect); redirects are not followed: set the base URL to the address the server expects.` };
  }
  if (status < 200 || status >= 300) {
    const why = errorMessageOf(body);
    return { ok: false, status, message: `The endpoint answered ${status}${why ? `: ${why}` : ''}.` };
  }
  if (viaCompletion) return { ok: true, status, message: `Connected: a 1-token completion worked (${status}).` };
  const models = modelIds(body);
  if (!models) return { ok: true, status, message: `Connected (${status}).` };
  const listed = models.length ? `${models.length} model${models.length === 1 ? '' : 's'} listed` : 'no models listed';
  const missing = s.model && models.length && !models.includes(s.model) ? `; "${cleanText(s.model)}" is not among them` : '';
  return { ok: true, status, message: `Connected (${status}): ${listed}${missing}.`, models: models.slice(0, MAX_MODELS) };
}

/** `{"data": [{"id": "…"}, …]}` (OpenAI, llama.cpp, Ollama, KoboldCPP): the ids, cleaned and capped. */
function modelIds(body: string): string[] | undefined {
  try {
    const data = (JSON.parse(body) as { data?: unknown }).data;
    if (!Array.isArray(data)) return undefined;
    return data.flatMap((m) => {
      const id = (m as { id?: unknown } | null)?.id;
      return typeof id === 'string' && id ? [cleanText(id)] : [];
    });
  } catch {
    return undefined;
  }
}

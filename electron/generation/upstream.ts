// What the app takes from a generation endpoint, and how it says what went wrong: bodies read
// with a cap and a stall limit, upstream text cleaned before it is shown, and network failures
// described in our own words. Node fetch's messages can quote request headers (the API key):
// they go to the main-process log, never to a window.
import { StoreError } from '../../shared/errors.ts';
import { HEADER_SAFE } from '../../shared/ipc-contract.ts';

const ERROR_MESSAGE_CHARS = 200;

/** `{"error": {"message": "…"}}` (OpenAI, llama.cpp) or `{"error": "…"}` (Ollama): capped, control characters stripped. */
export function errorMessageOf(body: string): string | undefined {
  try {
    return errorMessageIn(JSON.parse(body));
  } catch {
    return undefined;
  }
}

/** The same, from a parsed answer. */
export function errorMessageIn(json: unknown): string | undefined {
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

/** The request headers that carry the key. Refuses a key that is not header-safe rather than let fetch quote it. */
export function authorization(apiKey: string): Record<string, string> {
  if (!apiKey) return {};
  if (!HEADER_SAFE.test(apiKey)) {
    throw new StoreError('INVALID_INPUT', 'the saved API key holds a character an HTTP header cannot carry (a line break or other control character): enter it again', { field: 'apiKey' });
  }
  return { authorization: `Bearer ${apiKey}` };
}

/** The endpoint sent nothing for `ms`: thrown by `readWithin`. */
export function idleTimeoutError(ms: number): StoreError {
  return new StoreError('IO_ERROR', `the generation endpoint sent nothing for ${seconds(ms)}; the reply so far is kept (the idle timeout is in Generation settings)`, {
    reason: 'idle-timeout',
    timeoutMs: ms,
  });
}

export function seconds(ms: number): string {
  const s = Math.round(ms / 100) / 10;
  return `${s} s`;
}

/** One read of a body, failing with `idleTimeoutError` when nothing arrives within `ms` (none: no limit). */
export function readWithin<T>(reader: ReadableStreamDefaultReader<T>, ms: number | undefined): Promise<ReadableStreamReadResult<T>> {
  if (!ms) return reader.read();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(idleTimeoutError(ms)), ms);
  });
  // The losing read stays attached to the race: its later rejection is handled, not unhandled.
  return Promise.race([reader.read(), stalled]).finally(() => clearTimeout(timer));
}

/** Reads at most `max` bytes of a body (each read within `idleMs` when given), then cancels the rest. */
export async function readCapped(body: ReadableStream<Uint8Array>, max: number, idleMs?: number): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { value, done } = await readWithin(reader, idleMs);
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body cut short or stalled: parse what arrived
  } finally {
    await reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, max));
}

/** Why fetch or a body read failed, in our words: the error's code at most (codes are safe), never its message. */
export function networkFailure(e: unknown, during: 'connect' | 'reading'): StoreError {
  console.error(`generation endpoint: ${during === 'connect' ? 'the request' : 'reading the answer'} failed:`, e);
  const code = errorCode(e);
  const details = code ? { errno: code } : undefined;
  if (during === 'reading') {
    return new StoreError('IO_ERROR', `the generation endpoint broke off the reply${code ? ` (${code})` : ''}; the reply so far is kept`, details);
  }
  const [why, hint] = (code && REASONS[code]) || ['could not be reached'];
  return new StoreError('IO_ERROR', `the generation endpoint ${why}${code ? ` (${code})` : ''}${hint ? `: ${hint}` : ''}`, details);
}

/** What a failure code means, and what the user may check. */
const REASONS: Record<string, [string, string?]> = {
  ECONNREFUSED: ['refused the connection', 'is the server running at the base URL?'],
  ENOTFOUND: ['could not be found', 'check the host name in the base URL'],
  EAI_AGAIN: ['could not be looked up just now', 'check the network'],
  ECONNRESET: ['closed the connection'],
  EPIPE: ['closed the connection'],
  UND_ERR_SOCKET: ['closed the connection'],
  ETIMEDOUT: ['did not accept the connection in time'],
  UND_ERR_CONNECT_TIMEOUT: ['did not accept the connection in time'],
  EHOSTUNREACH: ['cannot be reached from this network'],
  ENETUNREACH: ['cannot be reached from this network'],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['has a self-signed TLS certificate'],
  SELF_SIGNED_CERT_IN_CHAIN: ['has a TLS certificate this system does not trust'],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['has a TLS certificate this system does not trust'],
  CERT_HAS_EXPIRED: ['has an expired TLS certificate'],
  ERR_TLS_CERT_ALTNAME_INVALID: ['has a TLS certificate for another host name'],
};

/** A code such as ECONNREFUSED from the error or its causes; only an identifier-shaped one. */
function errorCode(e: unknown): string | undefined {
  for (let cur = e, depth = 0; typeof cur === 'object' && cur !== null && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  }
  return undefined;
}

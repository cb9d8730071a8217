// The server-sent events of an OpenAI-compatible streaming answer, read defensively: the stream
// is split into lines at the byte level, each byte scanned once (a line's bytes are held only
// until its line break, never rescanned), and an unfinished line is capped, so an endless line
// costs at most the cap in memory and linear time. Every `data:` chunk must be what the API
// promises; anything else ends the stream with an error that names what was wrong.
import { StoreError } from '../../shared/errors.ts';
import { errorMessageIn, readWithin } from './upstream.ts';

/** The longest line (and so the most bytes held at once) the parser accepts. */
export const SSE_MAX_LINE_BYTES = 1024 * 1024;

export interface SseOptions {
  /** The stream ends with an error when nothing arrives for this long (ms); none: no limit. */
  idleTimeoutMs?: number;
  maxLineBytes?: number;
}

const LF = 0x0a;
/** The SSE field names (a line `name: value`); comments start with ':'. */
const FIELDS = new Set(['data', 'event', 'id', 'retry']);

/** Yields `choices[0].delta.content` from an SSE stream until `data: [DONE]`. */
export async function* parseSse(body: ReadableStream<Uint8Array>, signal: AbortSignal, opts: SseOptions = {}): AsyncIterable<string> {
  const max = opts.maxLineBytes ?? SSE_MAX_LINE_BYTES;
  const lines = new LineSplitter(max);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let lineNo = 0;
  let chunks = 0; // well-formed `data:` chunks so far
  /** One line: its delta, if any; true at `[DONE]`. Throws for a malformed line. */
  const take = (bytes: Uint8Array): string | true | undefined => {
    lineNo++;
    let line = decoder.decode(bytes);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (lineNo === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line === '' || line.startsWith(':')) return undefined; // event boundary, keep-alive comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    if (!FIELDS.has(field)) throw malformed(`line ${lineNo} is not a server-sent event field (data:, event:, id: or retry:)`);
    if (field !== 'data') return undefined;
    const data = line.slice(colon + 1).replace(/^ /, '');
    if (data.trim() === '[DONE]') return true;
    const delta = deltaOf(data, lineNo);
    chunks++;
    return delta;
  };
  try {
    while (!signal.aborted) {
      const { value, done } = await readWithin(reader, opts.idleTimeoutMs);
      if (done) break;
      for (const bytes of lines.push(value)) {
        const out = take(bytes);
        if (out === true) return;
        if (out) yield out;
      }
    }
    if (signal.aborted) return;
    // A last line without a line break still counts.
    const last = lines.rest();
    if (last) {
      const out = take(last);
      if (out === true) return;
      if (out) yield out;
    }
    if (chunks === 0) throw malformed('it held no data: chunks (is the base URL an OpenAI-compatible server that streams?)');
  } catch (e) {
    if (signal.aborted) return;
    throw e;
  } finally {
    // Closes the connection too: an endless or stalled answer is not read on.
    await reader.cancel().catch(() => {});
  }
}

function malformed(what: string): StoreError {
  return new StoreError('IO_ERROR', `the generation endpoint's answer was malformed: ${what}`, { reason: 'malformed-stream' });
}

/** `{"choices": [{"delta": {"content": "…"}}]}`; an `{"error": …}` chunk ends the stream with its message. */
function deltaOf(data: string, lineNo: number): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw malformed(`the data on line ${lineNo} is not valid JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw malformed(`the data on line ${lineNo} is not a JSON object`);
  const error = errorMessageIn(json);
  if (error !== undefined || 'error' in json) {
    throw new StoreError('IO_ERROR', `the generation endpoint reported an error mid-reply${error ? `: ${error}` : ''}`, { reason: 'upstream-error' });
  }
  const choices = (json as { choices?: unknown }).choices;
  if (!Array.isArray(choices)) throw malformed(`the chunk on line ${lineNo} has no "choices" list`);
  if (choices.length === 0) return undefined; // a usage-only chunk
  const choice = choices[0] as { delta?: unknown } | null;
  if (typeof choice !== 'object' || choice === null) throw malformed(`choices[0] on line ${lineNo} is not an object`);
  if (choice.delta === undefined || choice.delta === null) return undefined; // a finish_reason-only chunk
  if (typeof choice.delta !== 'object') throw malformed(`choices[0].delta on line ${lineNo} is not an object`);
  const content = (choice.delta as { content?: unknown }).content;
  if (content === undefined || content === null) return undefined; // a role-only or tool chunk
  if (typeof content !== 'string') throw malformed(`choices[0].delta.content on line ${lineNo} is not text`);
  return content || undefined;
}

/**
 * Splits bytes into lines at LF. Each chunk is searched once, from where the last search
 * stopped; an unfinished line is held (copied, so no chunk is kept alive) up to `max` bytes.
 */
class LineSplitter {
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  *push(chunk: Uint8Array): Generator<Uint8Array> {
    let start = 0;
    for (let nl = chunk.indexOf(LF); nl >= 0; nl = chunk.indexOf(LF, start)) {
      const piece = chunk.subarray(start, nl);
      this.check(piece.byteLength);
      yield this.heldBytes ? Buffer.concat([...this.held, piece]) : piece;
      this.held = [];
      this.heldBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.byteLength) {
      this.check(chunk.byteLength - start);
      const rest = chunk.slice(start);
      this.held.push(rest);
      this.heldBytes += rest.byteLength;
    }
  }

  /** The unfinished last line, if any. */
  rest(): Uint8Array | undefined {
    return this.heldBytes ? Buffer.concat(this.held) : undefined;
  }

  private check(more: number) {
    if (this.heldBytes + more > this.max) {
      throw malformed(`a line reached the ${sizeOf(this.max)} cap without a line break`);
    }
  }
}

function sizeOf(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

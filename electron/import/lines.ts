// Splits a source file into lines with their 1-based numbers, tolerating what real files hold:
// a BOM, CRLF, blank lines, no trailing newline, and a last line cut in half.

export interface RawLine {
  line: number;
  text: string;
  /** The file's last line with no newline after it: if it does not parse, it was cut off. */
  last: boolean;
}

export type SourceLine =
  | { line: number; ok: true; value: Record<string, unknown> }
  | { line: number; ok: false; reason: string };

/** Where a source's text starts: after its UTF-8 BOM, if any. */
export function textStart(buf: Buffer): number {
  return buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
}

/**
 * Non-blank lines of buf[from, to), numbered from firstLine, with the byte offsets of each line's
 * start and of the end of its newline. Each line is decoded on its own (a newline byte is never
 * part of a multi-byte character): no text of the whole file is ever made, and a caller can stop
 * between lines (an import reads a 20 MiB file in slices).
 */
export function* rawLines(buf: Buffer, from = textStart(buf), to = buf.length, firstLine = 1): Generator<RawLine & { start: number; end: number }> {
  const endsWithNewline = buf.length > 0 && buf[buf.length - 1] === 0x0a;
  let start = from;
  let line = firstLine - 1;
  while (start < to && start < buf.length) {
    line++;
    const nl = buf.indexOf(0x0a, start);
    const stop = Math.min(nl === -1 ? buf.length : nl, to, buf.length);
    let s = buf.toString('utf8', start, stop);
    if (s.endsWith('\r')) s = s.slice(0, -1);
    const lineStart = start;
    start = stop + 1;
    // trim() copies the line: test the first character first (real lines start with "{").
    if (s.length === 0 || (s.charCodeAt(0) !== 0x7b && s.trim() === '')) continue;
    yield { line, text: s, last: stop === buf.length && !endsWithNewline, start: lineStart, end: start };
  }
}

/** `text`: the line's text when the caller has it already (a block line decodes it at each read of `text`). */
export function parseLine(raw: RawLine, text = raw.text): SourceLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line: raw.line, ok: false, reason: raw.last ? 'not valid JSON: the last line is cut off' : 'not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { line: raw.line, ok: false, reason: 'not a JSON object' };
  return { line: raw.line, ok: true, value: value as Record<string, unknown> };
}

/**
 * Whether a line can be a message, without parsing it: a raw `"mes":` or `"role":` can only be a
 * key (inside a JSON string a quote is escaped). Headers have neither at any depth in practice.
 */
export function looksLikeMessage(text: string): boolean {
  return text.includes('"mes":') || text.includes('"role":') || text.includes('"is_user":') || text.includes('"swipes":');
}

/** How every header variant's line begins when written by its app (key order of JSON.stringify). */
const HEADER_STARTS = ['{"chat_metadata"', '{"user_name"', '{"character_name"', '{"create_date"', '{"version"', '{"format"', '{"chat_id"'];

/** A line the scan must parse: it may be a header (always the first line, or one that begins like one). */
export function mayBeHeader(text: string): boolean {
  return HEADER_STARTS.some((p) => text.startsWith(p));
}

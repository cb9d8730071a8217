// A source's lines (read in blocks by block-lines.ts, numbered from 1 as an editor shows them),
// parsed and told apart: headers, messages, and lines that are neither.

export interface RawLine {
  line: number;
  text: string;
  /** The file's last line with no newline after it: if it does not parse, it was cut off. */
  last: boolean;
}

export type SourceLine =
  | { line: number; ok: true; value: Record<string, unknown> }
  | { line: number; ok: false; reason: string };

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

// Splits a source file into JSON lines with their 1-based line numbers, tolerating what real
// files hold: a BOM, CRLF, blank lines, no trailing newline, and a last line cut in half.

export type SourceLine =
  | { line: number; ok: true; value: Record<string, unknown> }
  | { line: number; ok: false; reason: string };

/** A generator, so each parsed line can be mapped and dropped while young (100k lines, little GC). */
export function* readJsonLines(buf: Buffer): Generator<SourceLine> {
  let text = buf.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const endsWithNewline = text.endsWith('\n');
  let start = 0;
  let line = 0;
  while (start < text.length) {
    line++;
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    let s = text.slice(start, end);
    if (s.endsWith('\r')) s = s.slice(0, -1);
    start = end + 1;
    // trim() copies the line: test the first character first (real lines start with "{").
    if (s.length === 0 || (s.charCodeAt(0) !== 0x7b && s.trim() === '')) continue;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch {
      const last = nl === -1 && !endsWithNewline;
      yield { line, ok: false, reason: last ? 'not valid JSON: the last line is cut off' : 'not valid JSON' };
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) yield { line, ok: false, reason: 'not a JSON object' };
    else yield { line, ok: true, value: value as Record<string, unknown> };
  }
}

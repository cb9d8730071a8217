// Every date shape SillyTavern and CardShark's legacy files hold, to epoch ms with its precision.
// Dates without a zone (the humanised forms) were written in the user's local time, so they are
// read in local time: an import normally runs on the machine that wrote them.

/** How exact a parsed time is: a time with seconds beats one with minutes only. */
export type Precision = 'ms' | 's' | 'min' | 'day';
export interface ParsedDate {
  ms: number;
  precision: Precision;
}
const RANK: Record<Precision, number> = { ms: 3, s: 2, min: 1, day: 0 };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
// "June 19, 2023 2:20pm", "February 16, 2025 03:12PM", "June 19, 2023 14:20:05"
const HUMAN = /^([A-Za-z]+)\.? (\d{1,2}),? (\d{4}),?(?: at)? (\d{1,2}):(\d{2})(?::(\d{2}))? ?([ap]\.?m\.?)?$/i;
// "2023-6-19 @14h 20m 05s 123ms", "2024-10-18@20h52m30s", "2025-02-16@15h12m05s"
const ST_HUMANISED = /^(\d{4})-(\d{1,2})-(\d{1,2}) ?@ ?(\d{1,2}) ?h ?(\d{1,2}) ?m(?: ?(\d{1,2}) ?s)?(?: ?(\d{1,3}) ?ms)?$/i;
const ISO_LIKE = /^\d{4}-\d{2}-\d{2}(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?/;
const MAX_MS = 8_640_000_000_000_000;

function local(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number | null {
  const t = new Date(y, mo, d, h, mi, s, ms);
  // Date rolls 31 February over into March: refuse instead.
  return t.getFullYear() === y && t.getMonth() === mo && t.getDate() === d ? t.getTime() : null;
}

function fromNumber(n: number): ParsedDate | null {
  if (!Number.isFinite(n) || n < 0) return null;
  // Epoch seconds reach 1e11 only in the year 5138; epoch ms passed 1e11 in 1973.
  const ms = n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  if (ms > MAX_MS) return null;
  return { ms, precision: n < 1e11 && Number.isInteger(n) ? 's' : 'ms' };
}

/** Parses one date value; null when it is not a date we can read. */
export function parseDate(value: unknown): ParsedDate | null {
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (s === '') return null;
  if (/^\d+(\.\d+)?$/.test(s)) return fromNumber(Number(s));
  // The common case first: an ISO string (SillyTavern's modern send_date).
  const iso = ISO_LIKE.exec(s);
  if (iso && s.length > 10 && (s[10] === 'T' || s[10] === ' ')) {
    const t = Date.parse(s);
    if (!Number.isNaN(t) && t >= 0) return { ms: t, precision: iso[4] ? 'ms' : iso[3] ? 's' : 'min' };
  }
  let m = ST_HUMANISED.exec(s);
  if (m) {
    const [, y, mo, d, h, mi, sec, ms] = m;
    const t = local(+y!, +mo! - 1, +d!, +h!, +mi!, sec ? +sec : 0, ms ? +ms : 0);
    return t === null ? null : { ms: t, precision: ms ? 'ms' : sec ? 's' : 'min' };
  }
  m = HUMAN.exec(s);
  if (m) {
    const [, monthName, d, y, h, mi, sec, ampm] = m;
    const mo = MONTHS.indexOf(monthName!.slice(0, 3).toLowerCase());
    let hour = +h!;
    if (ampm) {
      if (hour < 1 || hour > 12) return null;
      const pm = ampm.toLowerCase().startsWith('p');
      hour = (hour % 12) + (pm ? 12 : 0);
    }
    if (mo === -1 || hour > 23 || +mi! > 59) return null;
    const t = local(+y!, mo, +d!, hour, +mi!, sec ? +sec : 0);
    return t === null ? null : { ms: t, precision: sec ? 's' : 'min' };
  }
  const t = Date.parse(s);
  if (Number.isNaN(t) || t < 0) return null;
  const precision: Precision = iso ? (iso[4] ? 'ms' : iso[3] ? 's' : iso[1] ? 'min' : 'day') : /\d:\d\d:\d\d/.test(s) ? 's' : 'min';
  return { ms: t, precision };
}

/**
 * The most precise of several readings of the same moment (send_date, gen_finished, a ms field).
 * A more precise candidate is taken only when it lies within a day of the first readable one:
 * zone-less local times may be off by the zone offset, but an unrelated date must not win.
 */
export function bestDate(values: unknown[]): ParsedDate | null {
  let best: ParsedDate | null = null;
  let anchor: number | null = null;
  for (const v of values) {
    const d = parseDate(v);
    if (!d) continue;
    if (anchor === null) anchor = d.ms;
    else if (Math.abs(d.ms - anchor) > 86_400_000) continue;
    if (!best || RANK[d.precision] > RANK[best.precision]) best = d;
    if (best.precision === 'ms') break; // nothing is more precise
  }
  return best;
}

/** SillyTavern's humanised form, "2024-10-18@20h52m30s" in local time (its file names and create_date). */
export function humanizedDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}@${p(d.getHours())}h${p(d.getMinutes())}m${p(d.getSeconds())}s`;
}

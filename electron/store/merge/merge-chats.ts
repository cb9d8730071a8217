// Merges two divergent copies of one chat file (a sync tool's conflict copy and the chat) into
// one chat. Pure: bytes in, bytes out. The rules (docs/DESIGN.md, "Merging two copies of a chat"):
// - Records are grouped by message id. A group the same on both sides, or held whole by the other
//   side (that side saw every line of it and went on), is taken as that side wrote it.
// - Otherwise both changed the message concurrently: the lines of both are kept (history, so a
//   later merge with either copy sees it has them) and one line more states the result, a second
//   first appearance (FORMAT.md: it replaces the message):
//   - an edit against a delete keeps the edit (the delete line is left out);
//   - two live versions: the winner is the one changed last (its newest change time, `edited`,
//     else its creation time); on a tie the one whose selected text sorts last (code-unit order),
//     then the rest of the message, then its swipes. The loser's texts the winner lacks are
//     appended to the winner's swipes (the winner's selection stays): nothing typed is lost.
// - Messages in the order (timestamp of their first appearance, then id); renames and metadata
//   changes (meta records) of both, after them in the order (timestamp, text): the newest rename wins.
// - Header: the one whose content sorts last, with the newest `updated`; revision_base is left
//   to the writer.
// merge(a, b) and merge(b, a) give the same bytes, and merging the result with either copy, or
// with itself, gives it back unchanged (test/store/merge.test.ts).
import type { HeaderRecord, Message } from '../../../shared/chat-format.ts';
import { applyOp, BlockTokens, parseHeader, parseRecord, serialize, sniff, toMessage } from '../records.ts';
import { canonical, cmpStr, joinVersions } from './concurrent-versions.ts';

export { canonical, compareVersions, joinVersions } from './concurrent-versions.ts';

/** One line of a copy, as latin1 text (bytes unchanged, cheap to compare and hash). */
interface Line {
  text: string;
  kind: 'message' | 'op';
}

interface Copy {
  header: HeaderRecord;
  groups: Map<string, Line[]>;
  metas: string[];
  invalid: number;
}

export interface MergeResult {
  /** The merged chat file: `header` then `body` (joined when first asked for). */
  readonly bytes: Buffer;
  /** The merged header (revision_base left to the writer). */
  header: HeaderRecord;
  /** The records after the header line, in pieces (a shared beginning stays a slice of the first copy: no 50 MB copy). */
  body: Buffer[];
  /** Live messages the result holds that `a` did not have as they are now (added or changed by `b`). */
  fromB: number;
  /** Whether the result differs from `a` in any record (else there is nothing to write). */
  changed: boolean;
  /** Lines of either copy that are no valid record: left out (the caller keeps both files' bytes). */
  invalidLines: number;
  /** Of those, the lines of `a`. */
  invalidInA: number;
  /**
   * What a reader's index of the result counts (log/tail-index.ts), so the store need not index
   * the file it wrote: live messages (ids with a first appearance and no delete), and the newest
   * title a meta record sets (undefined: the header's).
   */
  live: number;
  title: string | undefined;
}

const LATIN1 = 'latin1';
const toUtf8 = (latin1: string) => Buffer.from(latin1, LATIN1).toString('utf8');
const toLatin1 = (utf8: string) => Buffer.from(utf8, 'utf8').toString(LATIN1);

/** Reads a chat file into its header and its record lines grouped by message id. */
export function readCopy(buf: Buffer): Copy | { error: string } {
  let nl = buf.indexOf(0x0a);
  const headerEnd = nl === -1 ? buf.length : nl;
  const parsed = parseHeader(buf.toString('utf8', 0, headerEnd).replace(/\r$/, ''));
  if (!parsed.ok) return { error: parsed.reason };
  const groups = new Map<string, Line[]>();
  const metas: string[] = [];
  let invalid = 0;
  let off = headerEnd + 1;
  while (off < buf.length) {
    nl = buf.indexOf(0x0a, off);
    let end = nl === -1 ? buf.length : nl;
    const next = end + 1;
    if (end > off && buf[end - 1] === 0x0d) end--;
    const bytes = buf.subarray(off, end);
    off = next;
    const s = sniff(bytes);
    if (s.kind === 'blank') continue;
    if (s.kind === 'invalid') {
      invalid++;
      continue;
    }
    const text = bytes.toString(LATIN1);
    if (s.kind === 'meta') {
      metas.push(text);
      continue;
    }
    const group = groups.get(s.id);
    const line: Line = { text, kind: s.kind };
    if (group) group.push(line);
    else groups.set(s.id, [line]);
  }
  return { header: parsed.header, groups, metas, invalid };
}

/**
 * The second copy as the bytes it shares with the first from the start (`shared` of them, compared
 * by the caller without reading them into memory twice) and its own bytes after them.
 */
export interface SharedCopy {
  shared: number;
  tail: Buffer;
}

const asShared = (b: Buffer | SharedCopy): SharedCopy => (Buffer.isBuffer(b) ? { shared: 0, tail: b } : b);

/** The bytes of `b` from `off` on (a slice when they are all its own). */
function bytesFrom(a: Buffer, b: SharedCopy, off: number): Buffer {
  return off >= b.shared ? b.tail.subarray(off - b.shared) : Buffer.concat([a.subarray(off, b.shared), b.tail]);
}

/** Merges two copies of one chat; an error when either is not a chat file, or they are two chats. */
export function mergeChats(a: Buffer, b: Buffer | SharedCopy): MergeResult | { error: string } {
  return mergeOnCommonPrefix(a, b) ?? mergeWhole(a, bytesFrom(a, asShared(b), 0));
}

/** The merge without the shortcut for a shared beginning (mergeChats gives the same bytes; the tests compare them). */
export function mergeWhole(a: Buffer, b: Buffer): (MergeResult & { first: { key: number; id: string } | null }) | { error: string } {
  const ca = readCopy(a);
  if ('error' in ca) return { error: `the first copy is not a chat file: ${ca.error}` };
  const cb = readCopy(b);
  if ('error' in cb) return { error: `the second copy is not a chat file: ${cb.error}` };
  return mergeCopies(ca, cb);
}

export function mergeCopies(a: Copy, b: Copy): (MergeResult & { first: { key: number; id: string } | null }) | { error: string } {
  if (a.header.chat_id !== b.header.chat_id) return { error: `the copies are of two chats (${a.header.chat_id}, ${b.header.chat_id})` };
  const out: { key: number; id: string; lines: Line[] }[] = [];
  let fromB = 0;
  let changed = false;
  const ids = new Set([...a.groups.keys(), ...b.groups.keys()]);
  for (const id of ids) {
    const la = a.groups.get(id);
    const lb = b.groups.get(id);
    const lines = mergeGroup(la, lb);
    if (!la || !sameLines(lines, la)) {
      changed = true;
      if (replay(lines).msg) fromB++;
    }
    out.push({ key: groupTime(lines), id, lines });
  }
  out.sort((x, y) => x.key - y.key || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  const metas = mergeMetas(a.metas, b.metas);
  if (metas.length !== a.metas.length || metas.some((m, i) => m !== a.metas[i])) changed = true;
  const header = mergeHeaders(a.header, b.header);
  const parts: string[] = [];
  for (const g of out) for (const l of g.lines) parts.push(l.text, '\n');
  for (const m of metas) parts.push(m, '\n');
  // Groups in another order than in `a` is a change too.
  if (!changed) changed = !sameOrder(a, out);
  const first = out[0] ? { key: out[0].key, id: out[0].id } : null;
  let live = 0;
  for (const g of out) if (g.lines.some((l) => l.kind === 'message') && !g.lines.some((l) => l.kind === 'op' && isDelete(l.text))) live++;
  return mergeResult(header, [Buffer.from(parts.join(''), LATIN1)], { fromB, changed, invalidLines: a.invalid + b.invalid, invalidInA: a.invalid, first, live, title: newestTitle(metas) });
}

/** The title the last meta record that sets one sets (the index's rule: scanning back, the first one seen). */
function newestTitle(metas: string[]): string | undefined {
  for (let i = metas.length - 1; i >= 0; i--) {
    const r = parseRecord(toUtf8(metas[i]!));
    if (r.kind === 'meta' && r.rec.title !== undefined) return r.rec.title;
  }
  return undefined;
}

/** A MergeResult whose `bytes` are joined from its header and body only if someone asks (the store writes the pieces). */
function mergeResult<T extends Omit<MergeResult, 'bytes' | 'header' | 'body'>>(header: HeaderRecord, body: Buffer[], rest: T): T & MergeResult {
  let bytes: Buffer | undefined;
  return {
    ...rest,
    header,
    body,
    get bytes() {
      return (bytes ??= Buffer.concat([Buffer.from(serialize(header)), ...body]));
    },
  };
}

function sameLines(x: Line[], y: Line[]): boolean {
  return x === y || (x.length === y.length && x.every((l, i) => l.text === y[i]!.text));
}

function sameOrder(a: Copy, out: { id: string }[]): boolean {
  let i = 0;
  for (const id of a.groups.keys()) if (out[i++]?.id !== id) return false;
  return i === out.length;
}

/** One message's lines in the result (see the rules at the top). Returns `la` or `lb` itself when one side is taken whole. */
function mergeGroup(la: Line[] | undefined, lb: Line[] | undefined): Line[] {
  if (!lb) return la!;
  if (!la) return lb;
  if (sameLines(la, lb)) return la;
  const inA = new Set(la.map((l) => l.text));
  const inB = new Set(lb.map((l) => l.text));
  const aHasAllB = lb.every((l) => inA.has(l.text));
  const bHasAllA = la.every((l) => inB.has(l.text));
  if (aHasAllB && !bHasAllA) return la;
  if (bHasAllA && !aHasAllB) return lb;
  // Changed on both sides (or the same lines in two orders): keep both histories, then the result.
  const sa = replay(la);
  const sb = replay(lb);
  const result = sa.msg && sb.msg ? joinVersions(sa.msg, sb.msg) : (sa.msg ?? sb.msg);
  const resultLine: Line | null = result ? { text: toLatin1(resultText(result)), kind: 'message' } : null;
  const union = new Map<string, Line>();
  for (const l of [...la, ...lb]) {
    // A live result leaves the deletes out (a delete is final wherever it stands); its own line goes last.
    if (result && l.kind === 'op' && isDelete(l.text)) continue;
    if (resultLine && l.text === resultLine.text) continue;
    union.set(l.text, l);
  }
  const history = [...union.values()].map((l) => ({ l, t: lineTime(l.text), m: l.kind === 'message' ? 0 : 1 }));
  history.sort((x, y) => x.m - y.m || x.t - y.t || (x.l.text < y.l.text ? -1 : x.l.text > y.l.text ? 1 : 0));
  const lines = history.map((h) => h.l);
  if (resultLine) lines.push(resultLine);
  return lines;
}

/** The result's line: the same message gives the same text, whichever copy it came from (its id first, as the store writes it: the fast read path knows it). */
function resultText({ id, ...rest }: Message): string {
  const body = canonical(rest);
  return `{"id":${JSON.stringify(id)}${body === '{}' ? '}' : `,${body.slice(1)}`}`;
}

function isDelete(text: string): boolean {
  const r = parseRecord(toUtf8(text));
  return r.kind === 'op' && r.rec.op === 'delete';
}

/** A message's state after its lines, as a full read of the file gives it (compaction.ts): a delete is final. */
function replay(lines: Line[]): { msg: Message | null; deleted: boolean } {
  let msg: Message | null = null;
  let deleted = false;
  for (const l of lines) {
    const r = parseRecord(toUtf8(l.text));
    if (r.kind === 'message') {
      if (!deleted) msg = toMessage(r.rec);
    } else if (r.kind === 'op') {
      if (r.rec.op === 'delete') {
        deleted = true;
        msg = null;
      } else if (msg) applyOp(msg, r.rec);
    }
  }
  return { msg, deleted };
}

const TIME_KEY = '"timestamp"';

/** The number after the only `"timestamp"` key of a record line (inside a string every quote is escaped), else null. */
function timeAfterKey(at: number, charAt: (i: number) => number, length: number): number | null {
  let i = at + TIME_KEY.length;
  while (i < length && (charAt(i) === 0x20 || charAt(i) === 0x09)) i++;
  if (charAt(i) !== 0x3a) return null; // ':'
  i++;
  while (i < length && (charAt(i) === 0x20 || charAt(i) === 0x09)) i++;
  let t = 0;
  const from = i;
  for (let c = charAt(i); c >= 0x30 && c <= 0x39 && i < length; c = charAt(++i)) t = t * 10 + (c - 0x30);
  return i > from && i - from <= 16 ? t : null;
}

/** A record line's timestamp: read off its only `"timestamp"` key, else parsed. */
function lineTime(text: string): number {
  const at = text.indexOf(TIME_KEY);
  if (at !== -1 && text.lastIndexOf(TIME_KEY) === at) {
    const t = timeAfterKey(at, (i) => text.charCodeAt(i), text.length);
    if (t !== null) return t;
  }
  try {
    const t = (JSON.parse(toUtf8(text)) as { timestamp?: unknown }).timestamp;
    return typeof t === 'number' ? t : 0;
  } catch {
    return 0;
  }
}

/** lineTime of a line in a buffer, without copying it unless it must be parsed. */
function bufTime(buf: Buffer, from: number, to: number): number {
  const line = buf.subarray(from, to);
  const at = line.indexOf(TIME_KEY);
  if (at !== -1 && line.lastIndexOf(TIME_KEY) === at) {
    const t = timeAfterKey(at, (i) => line[i] ?? -1, line.length);
    if (t !== null) return t;
  }
  return lineTime(line.toString(LATIN1));
}

/** Where a message stands: the time of its first first-appearance line (its creation), else of its first line. */
function groupTime(lines: Line[]): number {
  const first = lines.find((l) => l.kind === 'message') ?? lines[0]!;
  return lineTime(first.text);
}

function mergeMetas(a: string[], b: string[]): string[] {
  if (a.length === b.length && a.every((m, i) => m === b[i])) return a;
  const all = [...new Set([...a, ...b])].map((text) => ({ text, t: lineTime(text) }));
  all.sort((x, y) => x.t - y.t || cmpStr(x.text, y.text));
  return all.map((m) => m.text);
}

function mergeHeaders(a: HeaderRecord, b: HeaderRecord): HeaderRecord {
  const plain = (h: HeaderRecord) => {
    const { revision_base: _r, updated: _u, ...rest } = h;
    return rest;
  };
  const pa = plain(a);
  const pb = plain(b);
  const base = cmpStr(canonical(pa), canonical(pb)) >= 0 ? pa : pb;
  const updated = Math.max(a.updated ?? -1, b.updated ?? -1);
  return (updated >= 0 ? { ...base, updated } : base) as HeaderRecord;
}

/**
 * The usual case, fast: two copies that share all but their last lines (each appended, edited and
 * swiped on its own since). The shared lines up to the first message either side changed since are
 * taken as they are when they are already as the full merge lays them out (each message's lines
 * together, messages in order, no renames among them) and come before everything else; only the
 * rest is merged. Gives exactly the bytes of the full merge, or null (then the full merge runs).
 */
export function mergeOnCommonPrefix(a: Buffer, bytesOfB: Buffer | SharedCopy): MergeResult | { error: string } | null {
  const b = asShared(bytesOfB);
  const { shared, tail } = b;
  const headerEnd = a.indexOf(0x0a);
  if (headerEnd === -1) return null;
  // The longest common prefix (from what the caller found shared on), cut back to a line end.
  const n = Math.min(a.length, shared + tail.length);
  let lo = shared;
  const BLOCK = 1 << 16;
  while (lo < n && a.compare(tail, lo - shared, Math.min(n, lo + BLOCK) - shared, lo, Math.min(n, lo + BLOCK)) === 0) lo = Math.min(n, lo + BLOCK);
  while (lo < n && a[lo] === tail[lo - shared]) lo++;
  // The same header line (its newline too) on both sides.
  if (lo <= headerEnd) return null;
  const prefixEnd = a.lastIndexOf(0x0a, lo - 1) + 1;
  // Ids the two tails name: the shared lines before the first message of these stay as they are.
  const touched = new Set<string>();
  const idsOf = (buf: Buffer, from: number, into: Set<string>): boolean => {
    for (let off = from; off < buf.length; ) {
      const nl = buf.indexOf(0x0a, off);
      const end = nl === -1 ? buf.length : nl;
      const s = sniff(buf.subarray(off, end));
      if (s.kind === 'message' || s.kind === 'op') into.add(s.id);
      off = end + 1;
    }
    return true;
  };
  idsOf(a, prefixEnd, touched);
  idsOf(bytesFrom(a, b, prefixEnd), 0, touched);
  const seen = new Set<string>();
  let group = null as { id: string; key: number | null; first: number; deleted: boolean } | null;
  let stableLive = 0;
  let last = null as { id: string; key: number } | null;
  let stableEnd = headerEnd + 1;
  /** Closes the current group: in order after the one before, or the layout is not the merge's. */
  const close = (): boolean => {
    if (!group) return true;
    const key = group.key ?? group.first;
    if (last && !(key > last.key || (key === last.key && group.id > last.id))) return false;
    last = { id: group.id, key };
    if (group.key !== null && !group.deleted) stableLive++;
    return true;
  };
  // The rare `\u` escapes and "op" tokens of the shared lines found in one pass, not one per line.
  const tokens = BlockTokens.find(a.subarray(0, prefixEnd));
  // Meta records among the shared lines (a chat's settings changed, say its author's note): the full
  // merge puts every meta after the messages, so they are taken out of the stable lines and merged with the rest.
  const metaLines: [number, number][] = [];
  let off = headerEnd + 1;
  while (off < prefixEnd) {
    const end = a.indexOf(0x0a, off);
    if (end > off && a[end - 1] === 0x0d) return null;
    const s = sniff(a.subarray(off, end), tokens, off);
    if (s.kind === 'meta') {
      metaLines.push([off, end + 1]);
      off = end + 1;
      continue;
    }
    if (s.kind !== 'message' && s.kind !== 'op') return null; // blank, invalid: the full merge drops them
    if (group?.id !== s.id) {
      if (!close()) return null;
      stableEnd = off;
      group = null;
      if (touched.has(s.id)) break;
      if (seen.has(s.id)) return null; // a message's lines apart
      seen.add(s.id);
      const t = bufTime(a, off, end);
      group = { id: s.id, key: s.kind === 'message' ? t : null, first: t, deleted: false };
    } else if (s.kind === 'message' && group.key === null) group.key = bufTime(a, off, end);
    if (s.kind === 'op' && s.op === 'delete') group!.deleted = true;
    off = end + 1;
  }
  if (off >= prefixEnd) {
    if (!close()) return null;
    stableEnd = prefixEnd;
  }
  const l = last;
  if (stableEnd <= headerEnd + 1 || !l) return null;
  // No line after the stable ones may belong to one of them (the full merge would put it there).
  const after = new Set<string>();
  idsOf(a.subarray(0, prefixEnd), stableEnd, after);
  for (const id of after) if (seen.has(id)) return null;
  for (const id of touched) if (seen.has(id)) return null;
  // The rest, merged in full (with the stable lines' metas, first as in both copies); its every message must come after the stable ones.
  const header = a.subarray(0, headerEnd + 1);
  const stable: Buffer[] = [];
  const metas: Buffer[] = [];
  let from = headerEnd + 1;
  for (const [start, end] of metaLines) {
    if (start >= stableEnd) break;
    if (start > from) stable.push(a.subarray(from, start));
    metas.push(a.subarray(start, end));
    from = end;
  }
  if (stableEnd > from) stable.push(a.subarray(from, stableEnd));
  if (stable.length === 0) return null;
  const rest = mergeWhole(Buffer.concat([header, ...metas, a.subarray(stableEnd)]), Buffer.concat([header, ...metas, bytesFrom(a, b, stableEnd)]));
  if ('error' in rest) return rest;
  if (rest.first && !(rest.first.key > l.key || (rest.first.key === l.key && rest.first.id > l.id))) return null;
  return mergeResult(rest.header, [...stable, ...rest.body], { fromB: rest.fromB, changed: rest.changed, invalidLines: rest.invalidLines, invalidInA: rest.invalidInA, live: stableLive + rest.live, title: rest.title });
}

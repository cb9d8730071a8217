// A card's lorebook (`character_book`, character-card spec V2/V3) as SillyTavern's world info
// applies it. Pure and cheap: a book is compiled once (keys to matchers), then each prompt scans
// only the newest `scan_depth` messages, whatever the chat's length.
//
// Rules (V2 spec field, or SillyTavern's `extensions` key where it has its own):
//   enabled            false: never inserted
//   constant           inserted whatever the messages say
//   keys               any key found in the scanned text activates the entry; a key written as
//                      `/pattern/flags` is a regular expression
//   selective + secondary_keys + extensions.selectiveLogic (0 AND ANY, 1 NOT ALL, 2 NOT ANY,
//                      3 AND ALL): once a key matched, the secondary keys must also agree
//                      (no secondary keys: the key alone decides)
//   case_sensitive     (or extensions.case_sensitive) default: not
//   extensions.match_whole_words  keys match whole words only (default: anywhere)
//   scan_depth         (book) how many of the newest messages are scanned, default 2;
//                      extensions.scan_depth overrides it per entry
//   token_budget       (book) at most this many tokens of entries; default a quarter of the
//                      prompt budget. Entries are admitted by priority (`priority`, else
//                      `insertion_order`; higher first), constant or not, until one does not fit
//   insertion_order    lower is placed higher (earlier) among entries at the same place
//   position           'before_char' | 'after_char'; extensions.position (SillyTavern's numbers)
//                      overrides: 0 before the card's description, 1 after the card's fields,
//                      2/3 just before/after the author's note, 4 at extensions.depth with
//                      extensions.role (0 system, 1 user, 2 assistant), 5/6 before/after the
//                      example dialogue
//   recursive_scanning (book) activated entries' text is scanned too, for further entries
import { estimateTokens } from './tokens.ts';

export type LorePosition = 'before_char' | 'after_char' | 'an_top' | 'an_bottom' | 'at_depth' | 'em_top' | 'em_bottom';
export type PromptRole = 'system' | 'user' | 'assistant';
export type SelectiveLogic = 'and_any' | 'not_all' | 'not_any' | 'and_all';

export interface LoreEntry {
  /** Index in the book (stable order for ties). */
  index: number;
  name: string;
  content: string;
  constant: boolean;
  position: LorePosition;
  depth: number;
  role: PromptRole;
  order: number;
  /** Higher is admitted first under the budget. */
  rank: number;
  scanDepth: number | undefined;
  excludeRecursion: boolean;
  preventRecursion: boolean;
  primary: Matcher[];
  secondary: Matcher[] | null;
  logic: SelectiveLogic;
}

export interface CompiledBook {
  entries: LoreEntry[];
  scanDepth: number;
  tokenBudget: number | undefined;
  recursive: boolean;
  /** The newest scanDepth the book may need (book's or any entry's own). */
  maxScanDepth: number;
}

export interface ActivatedEntry {
  entry: LoreEntry;
  tokens: number;
}

type Matcher = (text: string, lower: string) => boolean;

export const DEFAULT_SCAN_DEPTH = 2;
export const DEFAULT_AN_DEPTH = 4;
/** Without a book budget, entries may take this share of the prompt budget (SillyTavern's default). */
export const DEFAULT_BUDGET_SHARE = 0.25;
/** A hostile book cannot make a prompt scan more than this many messages. */
const MAX_SCAN_DEPTH = 1_000;
const MAX_ENTRIES = 10_000;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((k): k is string => typeof k === 'string' && k.trim().length > 0) : []);

const POSITIONS: Record<number, LorePosition> = { 0: 'before_char', 1: 'after_char', 2: 'an_top', 3: 'an_bottom', 4: 'at_depth', 5: 'em_top', 6: 'em_bottom' };
const LOGICS: SelectiveLogic[] = ['and_any', 'not_all', 'not_any', 'and_all'];
const ROLES: PromptRole[] = ['system', 'user', 'assistant'];

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `/pattern/flags` (SillyTavern's regex keys); undefined when the key is plain text or an invalid pattern. */
function regexKey(key: string): RegExp | undefined {
  const m = /^\/(.+)\/([dgimsuvy]*)$/s.exec(key.trim());
  if (!m) return undefined;
  try {
    return new RegExp(m[1]!, m[2]!.replace(/[gy]/g, ''));
  } catch {
    return undefined;
  }
}

function compileKey(key: string, caseSensitive: boolean, wholeWords: boolean): Matcher {
  const re = regexKey(key);
  if (re) return (text) => re.test(text);
  const k = key.trim();
  if (wholeWords) {
    const word = new RegExp(`(?:^|[^\\p{L}\\p{N}_])${escapeRegExp(k)}(?:$|[^\\p{L}\\p{N}_])`, caseSensitive ? 'u' : 'iu');
    return (text) => word.test(text);
  }
  if (caseSensitive) return (text) => text.includes(k);
  const lowerKey = k.toLowerCase();
  return (_text, lower) => lower.includes(lowerKey);
}

function positionOf(e: Record<string, unknown>, ext: Record<string, unknown>): LorePosition {
  const n = num(ext.position);
  if (n !== undefined && POSITIONS[n]) return POSITIONS[n]!;
  return e.position === 'after_char' ? 'after_char' : 'before_char';
}

/** The card's `character_book` compiled, or undefined when the card has none (or it holds no usable entry). */
export function compileBook(book: unknown): CompiledBook | undefined {
  if (!isObject(book) || !Array.isArray(book.entries)) return undefined;
  const bookScan = num(book.scan_depth);
  const scanDepth = Math.min(MAX_SCAN_DEPTH, Math.max(0, Math.floor(bookScan ?? DEFAULT_SCAN_DEPTH)));
  const budget = num(book.token_budget);
  const entries: LoreEntry[] = [];
  let maxScanDepth = scanDepth;
  book.entries.slice(0, MAX_ENTRIES).forEach((raw, index) => {
    if (!isObject(raw) || raw.enabled === false || typeof raw.content !== 'string' || !raw.content.trim()) return;
    const ext = isObject(raw.extensions) ? raw.extensions : {};
    const caseSensitive = (raw.case_sensitive ?? ext.case_sensitive) === true;
    const wholeWords = ext.match_whole_words === true;
    const primary = strings(raw.keys).map((k) => compileKey(k, caseSensitive, wholeWords));
    const constant = raw.constant === true;
    if (!constant && primary.length === 0) return; // nothing could ever activate it
    const second = strings(raw.secondary_keys);
    const logicNum = num(ext.selectiveLogic);
    const entryScan = num(ext.scan_depth);
    const own = entryScan === undefined ? undefined : Math.min(MAX_SCAN_DEPTH, Math.max(0, Math.floor(entryScan)));
    if (own !== undefined) maxScanDepth = Math.max(maxScanDepth, own);
    const order = num(raw.insertion_order) ?? num(ext.order) ?? 100;
    entries.push({
      index,
      name: typeof raw.name === 'string' && raw.name ? raw.name : typeof raw.comment === 'string' && raw.comment ? raw.comment : `Entry ${index + 1}`,
      content: raw.content.trim(),
      constant,
      position: positionOf(raw, ext),
      depth: Math.min(MAX_SCAN_DEPTH, Math.max(0, Math.floor(num(ext.depth) ?? DEFAULT_AN_DEPTH))),
      role: ROLES[num(ext.role) ?? 0] ?? 'system',
      order,
      rank: num(raw.priority) ?? order,
      scanDepth: own,
      excludeRecursion: ext.exclude_recursion === true,
      preventRecursion: ext.prevent_recursion === true,
      primary,
      secondary: raw.selective === true && second.length ? second.map((k) => compileKey(k, caseSensitive, wholeWords)) : null,
      logic: LOGICS[logicNum ?? 0] ?? 'and_any',
    });
  });
  if (!entries.length) return undefined;
  return { entries, scanDepth, tokenBudget: budget !== undefined && budget > 0 ? Math.floor(budget) : undefined, recursive: book.recursive_scanning === true, maxScanDepth };
}

interface Scan {
  text: string;
  lower: string;
}

const scanOf = (text: string): Scan => ({ text, lower: text.toLowerCase() });

function secondaryAgrees(e: LoreEntry, s: Scan): boolean {
  if (!e.secondary) return true;
  const hits = e.secondary.filter((m) => m(s.text, s.lower)).length;
  switch (e.logic) {
    case 'and_any':
      return hits > 0;
    case 'and_all':
      return hits === e.secondary.length;
    case 'not_any':
      return hits === 0;
    case 'not_all':
      return hits < e.secondary.length;
  }
}

function matches(e: LoreEntry, s: Scan): boolean {
  return e.primary.some((m) => m(s.text, s.lower)) && secondaryAgrees(e, s);
}

/**
 * The entries the newest messages activate, within the budget, in prompt order (insertion_order,
 * then book order). `recent` is chronological; only its last `maxScanDepth` items are read.
 */
export function activateEntries(book: CompiledBook, recent: readonly string[], promptBudget: number): ActivatedEntry[] {
  // Scan windows by depth, joined newest first (SillyTavern's order); built once per distinct depth.
  const windows = new Map<number, Scan>();
  const windowOf = (depth: number): Scan => {
    let w = windows.get(depth);
    if (!w) {
      const from = Math.max(0, recent.length - depth);
      const parts: string[] = [];
      for (let i = recent.length - 1; i >= from; i--) parts.push(recent[i]!);
      windows.set(depth, (w = scanOf(parts.join('\n'))));
    }
    return w;
  };
  const active = new Set<LoreEntry>();
  for (const e of book.entries) {
    if (e.constant || matches(e, windowOf(e.scanDepth ?? book.scanDepth))) active.add(e);
  }
  if (book.recursive) {
    // Entries' own text may activate others; a pass that adds nothing ends it.
    let fresh = [...active].filter((e) => !e.preventRecursion);
    while (fresh.length) {
      const s = scanOf(fresh.map((e) => e.content).join('\n'));
      fresh = [];
      for (const e of book.entries) {
        if (active.has(e) || e.excludeRecursion || !matches(e, s)) continue;
        active.add(e);
        if (!e.preventRecursion) fresh.push(e);
      }
    }
  }
  const budget = Math.min(book.tokenBudget ?? Math.floor(promptBudget * DEFAULT_BUDGET_SHARE), promptBudget);
  const byRank = [...active].sort((a, b) => b.rank - a.rank || a.index - b.index);
  const admitted: ActivatedEntry[] = [];
  let used = 0;
  for (const entry of byRank) {
    const tokens = estimateTokens(entry.content);
    if (used + tokens > budget) break; // as SillyTavern: the budget ends the list
    used += tokens;
    admitted.push({ entry, tokens });
  }
  return admitted.sort((a, b) => a.entry.order - b.entry.order || a.entry.index - b.entry.index);
}

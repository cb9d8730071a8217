// zod's first parses in a fresh process run its generic code cold: a jump parses a header, a page
// of messages and its options, ~5 ms of a ~20 ms jump (warm-parse.ts already spares the compile).
// The shapes read most often get a direct check here. It answers only "valid, and this is what zod
// would return" or "not sure" (undefined): anything it does not accept goes to zod, which decides
// and words the error, so it can be stricter than zod but never laxer.
// test/store/fast-parse.test.ts holds it to zod's answers with random records (fast-check).
import type { z } from 'zod';
import { CharacterId, FORMAT_NAME, HeaderRecord, LIMITS, LoadOptions, MAX_EPOCH_MS, MessageRecord, SAFE_ID, UUID_V4 } from '../../shared/chat-format.ts';
import { MAX_NESTING, plainDataIssue } from '../../shared/plain-data.ts';

type Plain = Record<string, unknown>;

const ROLES = new Set<unknown>(['user', 'assistant', 'system']);
const STATUSES = new Set<unknown>(['complete', 'streaming', 'interrupted', 'error']);

/** A plain object whose own keys zod copies as they are (zod drops a `__proto__` key). */
function plainObject(v: unknown): v is Plain {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(v, '__proto__');
}

/** No key holds undefined (zod keeps such a key; here it is simply left to zod). */
function noUndefined(v: Plain): boolean {
  for (const k of Object.keys(v)) if (v[k] === undefined) return false;
  return true;
}

const isId = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= LIMITS.idChars && SAFE_ID.test(v);
const isEpoch = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_EPOCH_MS;
const isIndex = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;
const isContent = (v: unknown) => typeof v === 'string' && v.length <= LIMITS.contentChars;
const isName = (v: unknown) => typeof v === 'string' && v.length <= LIMITS.titleChars;
const absentOr = (v: unknown, check: (v: unknown) => boolean) => v === undefined || check(v);

/** freeForm() of chat-format.ts: plain data, bounded nesting, at most `maxChars` of JSON. */
function isFreeForm(v: unknown, maxChars = Infinity): boolean {
  return plainObject(v) && plainDataIssue(v) === null && (maxChars === Infinity || JSON.stringify(v).length <= maxChars);
}

/** zod's output of an object schema: the shape's keys in the shape's order, then the others. */
function inShapeOrder(v: Plain, keys: readonly string[]): Plain {
  const out: Plain = {};
  for (const k of keys) if (Object.hasOwn(v, k)) out[k] = v[k];
  for (const k of Object.keys(v)) if (!keys.includes(k)) out[k] = v[k];
  return out;
}

const MESSAGE_KEYS = ['id', 'role', 'content', 'timestamp', 'name', 'swipes', 'swipe_id', 'status', 'extra', 'hidden'];

function messageRecord(v: unknown): Plain | undefined {
  if (!plainObject(v) || 'op' in v || !noUndefined(v)) return undefined;
  const ok =
    isId(v.id) &&
    ROLES.has(v.role) &&
    isContent(v.content) &&
    isEpoch(v.timestamp) &&
    absentOr(v.name, isName) &&
    absentOr(v.swipes, (s) => Array.isArray(s) && s.length >= 1 && s.length <= LIMITS.swipes && s.every(isContent)) &&
    absentOr(v.swipe_id, isIndex) &&
    absentOr(v.status, (s) => STATUSES.has(s)) &&
    absentOr(v.extra, (e) => isFreeForm(e, LIMITS.extraJsonChars)) &&
    absentOr(v.hidden, (h) => typeof h === 'boolean') &&
    plainDataIssue(v, MAX_NESTING + 1) === null;
  return ok ? inShapeOrder(v, MESSAGE_KEYS) : undefined;
}

const HEADER_KEYS = ['format', 'version', 'chat_id', 'character_id', 'timestamp', 'title', 'metadata', 'updated', 'revision_base'];

function headerRecord(v: unknown): Plain | undefined {
  if (!plainObject(v) || !noUndefined(v)) return undefined;
  const ok =
    v.format === FORMAT_NAME &&
    Number.isSafeInteger(v.version) &&
    (v.version as number) >= 1 &&
    typeof v.chat_id === 'string' &&
    UUID_V4.test(v.chat_id) &&
    isCharacterId(v.character_id) &&
    isEpoch(v.timestamp) &&
    // zod trims a title: one that needs it is left to zod.
    typeof v.title === 'string' &&
    v.title.length >= 1 &&
    v.title.length <= LIMITS.titleChars &&
    v.title.trim() === v.title &&
    absentOr(v.metadata, (m) => isFreeForm(m)) &&
    absentOr(v.updated, isEpoch) &&
    absentOr(v.revision_base, Number.isSafeInteger) &&
    plainDataIssue(v, MAX_NESTING + 1) === null;
  if (!ok) return undefined;
  // metadata defaults to {} (in its place in the shape).
  return inShapeOrder(Object.hasOwn(v, 'metadata') ? v : { ...v, metadata: {} }, HEADER_KEYS);
}

const LOAD_KEYS = ['limit', 'before', 'around', 'after'];

function loadOptions(v: unknown): Plain | undefined {
  if (!plainObject(v) || !noUndefined(v)) return undefined;
  let anchors = 0;
  for (const k of Object.keys(v)) {
    if (k === 'limit') {
      if (!Number.isSafeInteger(v.limit) || (v.limit as number) < 1 || (v.limit as number) > LIMITS.pageSize) return undefined;
    } else if (LOAD_KEYS.includes(k) && isId(v[k])) anchors++;
    else return undefined;
  }
  return anchors <= 1 ? inShapeOrder(v, LOAD_KEYS) : undefined;
}

/** A character id is also a folder name: one per character in every listing of the chats folder. */
const isCharacterId = (v: unknown) => isId(v) && !(v as string).includes('..');

const FAST = new Map<z.ZodType, (value: unknown) => unknown>([
  [CharacterId, (v) => (isCharacterId(v) ? v : undefined)],
  [MessageRecord, messageRecord],
  [HeaderRecord, headerRecord],
  [LoadOptions, loadOptions],
]);

/** The direct check for `schema`, if it has one: zod's output, or undefined when it is not sure. */
export function fastParserFor(schema: z.ZodType): ((value: unknown) => unknown) | undefined {
  return FAST.get(schema);
}

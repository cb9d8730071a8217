// zod's first parses in a fresh process run its generic code cold: a jump parses a header, a page
// of messages and its options, ~5 ms of a ~20 ms jump (warm-parse.ts already spares the compile).
// The shapes read most often get a direct check here. It answers only "valid, and this is what zod
// would return" or "not sure" (undefined): anything it does not accept goes to zod, which decides
// and words the error, so it can be stricter than zod but never laxer.
// The record checks trust what JSON.parse makes (plain data: no getters, holes, hidden keys or
// toJSON), so records.ts alone uses them, on the lines it has just parsed. A caller's input is
// checked on a snapshot of its own properties, read once (loadOptions below).
// test/store/fast-parse.test.ts holds them to zod's answers with random values (fast-check).
import { types } from 'node:util';
import type { z } from 'zod';
import { CharacterId, FORMAT_NAME, LIMITS, LoadOptions, MAX_EPOCH_MS, MessageStatus, Role, SAFE_ID, UUID_V4 } from '../../shared/chat-format.ts';
import { MAX_NESTING, plainDataIssue } from '../../shared/plain-data.ts';

type Plain = Record<string, unknown>;

const ROLES = new Set<unknown>(Role.options);
const STATUSES = new Set<unknown>(MessageStatus.options);

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

/**
 * freeForm() of chat-format.ts: a plain object of at most `maxChars` of JSON. Its plain-data walk is
 * not repeated here: the record's own walk (looseRecord) covers the same values one level deeper.
 */
function isFreeForm(v: unknown, maxChars = Infinity): boolean {
  return plainObject(v) && (maxChars === Infinity || JSON.stringify(v).length <= maxChars);
}

/** zod's output of an object schema: the shape's keys in the shape's order, then the others. */
function inShapeOrder(v: Plain, keys: readonly string[]): Plain {
  const out: Plain = {};
  for (const k of keys) if (Object.hasOwn(v, k)) out[k] = v[k];
  for (const k of Object.keys(v)) if (!keys.includes(k)) out[k] = v[k];
  return out;
}

const isStatus = (v: unknown) => STATUSES.has(v);
const isBoolean = (v: unknown) => typeof v === 'boolean';
const isExtra = (v: unknown) => isFreeForm(v, LIMITS.extraJsonChars);
const isMetadata = (v: unknown) => isFreeForm(v);
/** Title of chat-format.ts: zod trims it, so one that needs trimming is left to zod. */
const isTitle = (v: unknown) => typeof v === 'string' && v.length >= 1 && v.length <= LIMITS.titleChars && v.trim() === v;
/** A character id is also a folder name: one per character in every listing of the chats folder. */
const isCharacterId = (v: unknown) => isId(v) && !(v as string).includes('..');

/** A key of a record schema, its check, and whether it is required (else optional). */
type Field = readonly [key: string, check: (v: unknown) => boolean, required: boolean];

/** A looseObject record with boundedRecord (chat-format.ts): every field checked, then the whole nesting. */
function looseRecord(fields: readonly Field[]): (v: unknown) => Plain | undefined {
  const keys = fields.map(([key]) => key);
  return (v) => {
    if (!plainObject(v) || !noUndefined(v)) return undefined;
    for (const [key, check, required] of fields) if (Object.hasOwn(v, key) ? !check(v[key]) : required) return undefined;
    return plainDataIssue(v, MAX_NESTING + 1) === null ? inShapeOrder(v, keys) : undefined;
  };
}

const message = looseRecord([
  ['id', isId, true],
  ['role', (v) => ROLES.has(v), true],
  ['content', isContent, true],
  ['timestamp', isEpoch, true],
  ['name', isName, false],
  ['swipes', (s) => Array.isArray(s) && s.length >= 1 && s.length <= LIMITS.swipes && s.every(isContent), false],
  ['swipe_id', isIndex, false],
  ['status', isStatus, false],
  ['extra', isExtra, false],
  ['hidden', isBoolean, false],
]);

function messageRecord(v: unknown): Plain | undefined {
  return typeof v === 'object' && v !== null && 'op' in v ? undefined : message(v);
}

const header = looseRecord([
  ['format', (v) => v === FORMAT_NAME, true],
  ['version', (v) => Number.isSafeInteger(v) && (v as number) >= 1, true],
  ['chat_id', (v) => typeof v === 'string' && UUID_V4.test(v), true],
  ['character_id', isCharacterId, true],
  ['timestamp', isEpoch, true],
  ['title', isTitle, true],
  ['metadata', isMetadata, false],
  ['updated', isEpoch, false],
  ['revision_base', Number.isSafeInteger, false],
]);

function headerRecord(v: unknown): Plain | undefined {
  // metadata defaults to {} (in its place in the shape).
  return plainObject(v) && !Object.hasOwn(v, 'metadata') ? header({ ...v, metadata: {} }) : header(v);
}

const opIs = (op: string): Field => ['op', (v) => v === op, true];
const opOf: readonly Field[] = [['id', isId, true], ['timestamp', isEpoch, true]];
/** ChangeRecord's options, by `op` (the discriminated union parses with the one its op names). */
const CHANGES = new Map<unknown, (v: unknown) => Plain | undefined>([
  ['edit', looseRecord([opIs('edit'), ...opOf, ['content', isContent, false], ['status', isStatus, false], ['name', isName, false], ['extra', isExtra, false], ['hidden', isBoolean, false]])],
  ['swipe_add', looseRecord([opIs('swipe_add'), ...opOf, ['content', isContent, true], ['status', isStatus, false]])],
  ['swipe_select', looseRecord([opIs('swipe_select'), ...opOf, ['index', isIndex, true]])],
  ['delete', looseRecord([opIs('delete'), ...opOf])],
  ['append_text', looseRecord([opIs('append_text'), ...opOf, ['text', isContent, true], ['status', isStatus, false]])],
  ['meta', looseRecord([opIs('meta'), ['timestamp', isEpoch, true], ['title', isTitle, false], ['metadata', isMetadata, false]])],
]);

function changeRecord(v: unknown): Plain | undefined {
  return plainObject(v) ? CHANGES.get(v.op)?.(v) : undefined;
}

/**
 * A caller's object as zod would read it, each property read once: undefined unless it is a plain
 * object (not a proxy) whose own keys are all enumerable string keys of data properties (no
 * getters, no hidden or symbol keys), as structured clone hands them over IPC.
 */
function snapshot(v: unknown): Plain | undefined {
  if (types.isProxy(v) || !plainObject(v)) return undefined;
  const descriptors = Object.getOwnPropertyDescriptors(v);
  const out: Plain = {};
  for (const key of Reflect.ownKeys(descriptors)) {
    const d = descriptors[key as string]!;
    if (typeof key !== 'string' || !d.enumerable || !('value' in d)) return undefined;
    out[key] = d.value;
  }
  return out;
}

const LOAD_KEYS = ['limit', 'before', 'around', 'after'];

function loadOptions(input: unknown): Plain | undefined {
  const v = snapshot(input);
  if (!v || !noUndefined(v)) return undefined;
  let anchors = 0;
  for (const k of Object.keys(v)) {
    if (k === 'limit') {
      if (!Number.isSafeInteger(v.limit) || (v.limit as number) < 1 || (v.limit as number) > LIMITS.pageSize) return undefined;
    } else if (LOAD_KEYS.includes(k) && isId(v[k])) anchors++;
    else return undefined;
  }
  return anchors <= 1 ? inShapeOrder(v, LOAD_KEYS) : undefined;
}

/** Direct checks of records as JSON.parse made them (records.ts): zod's output, or undefined when not sure. */
export const recordFromJson = { message: messageRecord, change: changeRecord, header: headerRecord } as const;

/** Direct checks of a caller's input, any value at all. */
const INPUTS = new Map<z.ZodType, (value: unknown) => unknown>([
  [CharacterId, (v) => (isCharacterId(v) ? v : undefined)],
  [LoadOptions, loadOptions],
]);

/** The direct check of a caller's input to `schema`, if it has one: zod's output, or undefined when it is not sure. */
export function inputCheckFor(schema: z.ZodType): ((value: unknown) => unknown) | undefined {
  return INPUTS.get(schema);
}

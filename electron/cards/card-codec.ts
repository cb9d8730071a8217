// Card file ⇄ card: V1 JSON, V2 (`chara_card_v2`), V3 (`chara_card_v3`), as JSON or inside a PNG.
// Import is tolerant of missing fields (they become empty), strict about wrong types; a bad
// card is a typed INVALID_INPUT naming the problem, never a partial import.
import { CardData, MAX_CARD_BYTES, blankCard } from '../../shared/character-card.ts';
import { CharacterId } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { encodePng, isPng, splitCardChunks, withCardChunks } from './png-card.ts';

export interface ParsedCard {
  card: CardData;
  /** The card's own id (`data.character_uuid` and the legacy places), when it is a usable id. */
  ownId: string | undefined;
  /** The picture, without card chunks (PNG cards only). */
  avatar: Buffer | undefined;
  spec: 'v1' | 'v2' | 'v3';
}

function bad(message: string): StoreError {
  return new StoreError('INVALID_INPUT', message, { reason: 'card' });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Real cards nest a few levels (lorebook entries, other apps' extensions); far deeper data would
 * overflow the stack of every later JSON.stringify and structured clone of the card. */
export const MAX_JSON_DEPTH = 100;

/** Refuses JSON nested deeper than MAX_JSON_DEPTH; walked with a stack of its own, not recursion. */
function checkDepth(value: unknown): void {
  const todo: [unknown, number][] = [[value, 1]];
  while (todo.length) {
    const [v, depth] = todo.pop()!;
    if (depth > MAX_JSON_DEPTH) throw bad(`the card's JSON is nested deeper than ${MAX_JSON_DEPTH} levels`);
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) if (typeof child === 'object' && child !== null) todo.push([child, depth + 1]);
  }
}

const V1_KEYS = ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'] as const;

/** A decoded card JSON object (any spec) → the card's data and spec. */
export function cardFromJson(json: unknown): Omit<ParsedCard, 'avatar'> {
  if (!isObject(json)) throw bad('the card is not a JSON object');
  checkDepth(json);
  let raw: Record<string, unknown>;
  let spec: ParsedCard['spec'];
  if (json.spec === 'chara_card_v3' || json.spec === 'chara_card_v2') {
    if (!isObject(json.data)) throw bad(`the ${json.spec} card has no "data" object`);
    raw = json.data;
    spec = json.spec === 'chara_card_v3' ? 'v3' : 'v2';
  } else if (json.spec !== undefined) {
    throw bad(`unknown card spec ${JSON.stringify(json.spec).slice(0, 40)}`);
  } else if (typeof json.name === 'string' && V1_KEYS.some((k) => k !== 'name' && k in json)) {
    raw = json;
    spec = 'v1';
  } else {
    throw bad('this JSON is not a character card (no "spec", and no V1 card fields)');
  }
  const merged: Record<string, unknown> = { ...blankCard(''), ...raw };
  for (const [k, v] of Object.entries(merged)) if (v === null && k !== 'character_book') merged[k] = (blankCard('') as Record<string, unknown>)[k] ?? null;
  const parsed = CardData.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw bad(`the card's ${issue?.path.join('.') || 'data'} is invalid: ${issue?.message ?? 'unknown problem'}`);
  }
  return { card: parsed.data, ownId: ownIdOf(raw, json), spec };
}

/** CardShark's id was `data.character_uuid`; older tools used these other places. */
function ownIdOf(data: Record<string, unknown>, top: Record<string, unknown>): string | undefined {
  const ext = isObject(data.extensions) ? data.extensions : {};
  for (const v of [data.character_uuid, top.character_uuid, ext.uuid, top.uuid, top.char_id]) {
    if (typeof v === 'string' && CharacterId.safeParse(v).success) return v;
  }
  return undefined;
}

function decodeBase64Json(text: string, keyword: string): unknown {
  const cleaned = text.trim();
  if (!/^[A-Za-z0-9+/\s]*={0,2}$/.test(cleaned)) throw bad(`the PNG's ${keyword} chunk is not base64`);
  try {
    return JSON.parse(Buffer.from(cleaned, 'base64').toString('utf8'));
  } catch {
    throw bad(`the PNG's ${keyword} chunk does not hold JSON`);
  }
}

/** Any card file's bytes → the card. The V3 chunk wins over V2 when both are present (V3 spec). */
export function parseCardFile(bytes: Uint8Array): ParsedCard {
  if (bytes.length === 0) throw bad('the file is empty');
  if (bytes.length > MAX_CARD_BYTES) throw new StoreError('TOO_LARGE', 'the card file is larger than 20 MiB', { reason: 'size' });
  if (isPng(bytes)) {
    const { texts, image } = splitCardChunks(bytes);
    const keyword = texts.has('ccv3') ? 'ccv3' : texts.has('chara') ? 'chara' : undefined;
    if (!keyword) throw bad('this PNG holds no character card (no chara or ccv3 text chunk)');
    const parsed = cardFromJson(decodeBase64Json(texts.get(keyword)!, keyword));
    return { ...parsed, avatar: encodePng(image) };
  }
  let text = Buffer.from(bytes).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad('the file is neither a PNG card nor JSON');
  }
  return { ...cardFromJson(json), avatar: undefined };
}

/**
 * The card as JSON for a document that nests it one level deep (indent 2), without its
 * `character_uuid` (the registry writes the id first): the text after the opening brace, as
 * UTF-8. The card worker makes it, so an 8 MiB card is never stringified on the main thread.
 */
export function cardJsonBody(card: CardData): Buffer {
  const { character_uuid: _, ...rest } = card as CardData & { character_uuid?: unknown };
  const text = JSON.stringify(rest, null, 2).replaceAll('\n', '\n  ');
  return Buffer.from(text.slice(1), 'utf8');
}

const spec = (v: 'v2' | 'v3', data: CardData) =>
  v === 'v3' ? { spec: 'chara_card_v3', spec_version: '3.0', data } : { spec: 'chara_card_v2', spec_version: '2.0', data };

/** The card as a JSON file (V2 envelope: every known reader takes it; V3 keys ride in `data`). */
export function cardToJson(card: CardData): string {
  return JSON.stringify(spec('v2', card), null, 2) + '\n';
}

/** The card inside `image`: a V2 `chara` chunk and a V3 `ccv3` chunk with the same data. */
export function cardToPng(card: CardData, image: Uint8Array): Buffer {
  const b64 = (v: 'v2' | 'v3') => Buffer.from(JSON.stringify(spec(v, card)), 'utf8').toString('base64');
  return withCardChunks(image, { chara: b64('v2'), ccv3: b64('v3') });
}


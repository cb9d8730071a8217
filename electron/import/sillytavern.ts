// SillyTavern-shaped message lines (SillyTavern itself and CardShark's legacy files) ⇄ v1 records.
//
// Mapping, chosen so that import → export → import is lossless:
//   is_user → role; mes → content; swipes/swipe_id → swipes/swipe_id; name → name;
//   extra.id (CardShark legacy) → the message id when valid and unused (and removed from extra);
//   SillyTavern's own `extra` object → the v1 `extra`, key for key;
//   every other top-level field, verbatim (send_date, is_system, gen_started, gen_finished,
//   swipe_info, force_avatar, is_name, anything unknown) → extra.sillytavern;
//   what the import had to repair (a swipe_id out of range, Chub's object `mes`, an over-long
//   name, an invalid source id) → extra.cardshark_import, which SillyTavern ignores.
import { LIMITS, MessageStatus, type MessageRecord } from '../../shared/chat-format.ts';
import { bestDate } from './dates.ts';
import type { MessageIds } from './ids.ts';

/** Reserved keys inside a v1 message's `extra`. */
export const ST_KEY = 'sillytavern';
export const NOTES_KEY = 'cardshark_import';

/** SillyTavern's system message types (extra.type): such a line is a system message, not the character's. */
const SYSTEM_TYPES = new Set(['narrator', 'comment', 'help', 'welcome', 'empty', 'generic', 'slash_commands', 'formatting', 'hotkeys', 'macros', 'welcome_prompt', 'assistant_note']);
const MAPPED = new Set(['name', 'is_user', 'mes', 'extra', 'swipes', 'swipe_id']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A header line: chat metadata or the user/character names, and no message text. */
export function isHeaderLine(v: Record<string, unknown>): boolean {
  if ('mes' in v || 'role' in v) return false;
  return v.format === 'cardshark-chat' || 'chat_metadata' in v || 'user_name' in v || 'character_name' in v || 'create_date' in v || ('version' in v && 'chat_id' in v);
}

/** A SillyTavern-shaped message line (rather than a v1-shaped `role`/`content` one). */
export function isStMessage(v: Record<string, unknown>): boolean {
  return 'mes' in v || 'is_user' in v || 'swipes' in v;
}

/** Text from a `mes` or a swipe: a string, or Chub's `{ "message": "..." }`. */
function textOf(v: unknown): { text: string; rest?: Record<string, unknown> } | null {
  if (typeof v === 'string') return { text: v };
  if (v === null || v === undefined) return { text: '' };
  if (isObject(v)) {
    const t = typeof v.message === 'string' ? v.message : typeof v.mes === 'string' ? v.mes : null;
    if (t !== null) {
      const { message: _m, mes: _s, ...rest } = v;
      return Object.keys(rest).length ? { text: t, rest } : { text: t };
    }
  }
  if (typeof v === 'number' || typeof v === 'boolean') return { text: String(v) };
  return null;
}

/** One SillyTavern message line → a v1 record; a string says why the line cannot be one. */
export function fromStMessage(v: Record<string, unknown>, line: number, ids: MessageIds, fallbackTime: number): MessageRecord | string {
  const notes: Record<string, unknown> = {};
  const srcExtra: Record<string, unknown> = isObject(v.extra) ? v.extra : {};
  if (v.extra !== undefined && !isObject(v.extra)) notes.extra = v.extra;

  const mes = textOf(v.mes);
  if (!mes) return '"mes" is neither text nor {"message": text}';
  if (mes.rest || isObject(v.mes)) notes.mes_object = mes.rest ?? {};
  let content = mes.text;

  // Swipes: strings, or Chub's objects; anything else is kept aside and left empty.
  let swipes: string[] | undefined;
  if (Array.isArray(v.swipes) && v.swipes.length > 0) {
    const objects: Record<string, unknown> = {};
    swipes = v.swipes.map((s, i) => {
      const t = textOf(s);
      if (!t || typeof s !== 'string') objects[i] = s;
      return t?.text ?? '';
    });
    if (Object.keys(objects).length) notes.swipe_objects = objects;
  } else if (v.swipes !== undefined && !Array.isArray(v.swipes)) notes.swipes = v.swipes;
  else if (Array.isArray(v.swipes)) notes.swipes = [];

  let swipeId: number | undefined;
  if (swipes) {
    const given = v.swipe_id;
    if (typeof given === 'number' && Number.isInteger(given) && given >= 0 && given < swipes.length) swipeId = given;
    else {
      // Out of range or missing: the swipe whose text is shown, else the nearest valid index.
      const shown = swipes.indexOf(content);
      swipeId = shown !== -1 ? shown : typeof given === 'number' && given >= swipes.length ? swipes.length - 1 : 0;
      if (given !== undefined) notes.swipe_id = given;
    }
    // `mes` is what SillyTavern shows: it is the selected swipe's text (a line with no `mes` shows the swipe).
    if (v.mes === undefined) content = swipes[swipeId]!;
    if (swipes[swipeId] !== content) {
      notes.selected_swipe_text = swipes[swipeId];
      swipes[swipeId] = content;
    }
  } else if (v.swipe_id !== undefined) notes.swipe_id = v.swipe_id;

  let role: MessageRecord['role'] = v.is_user === true ? 'user' : 'assistant';
  if (role === 'assistant' && ((typeof srcExtra.type === 'string' && SYSTEM_TYPES.has(srcExtra.type)) || srcExtra.isSmallSys === true)) role = 'system';

  const { id, generated } = ids.take(srcExtra.id, line);
  if (generated && srcExtra.id !== undefined) notes.id = srcExtra.id;
  // Modern SillyTavern's send_date is toISOString's form, already in ms: the common case, taken directly.
  const sd = v.send_date;
  const isoMs = typeof sd === 'string' && ISO_MS.test(sd) ? Date.parse(sd) : NaN;
  const timestamp = !Number.isNaN(isoMs) ? isoMs : (bestDate([sd, v.timestamp, srcExtra.timestamp, v.gen_finished, v.gen_started])?.ms ?? fallbackTime);
  const rec: MessageRecord = { id, role, content, timestamp };

  // Top-level fields not mapped to a v1 field go back to the top level on export, except what
  // export writes back by itself, identical (see canonical): built without `delete`, which
  // would slow every later access and the serialisation of these objects.
  const canon = canonical(v, timestamp, isoMs, swipes?.length);
  const st: Record<string, unknown> = {};
  for (const k in v) {
    if (MAPPED.has(k) || (k === 'is_system' && v.is_system === false) || (k === 'send_date' && canon.sendDate) || (k === 'swipe_info' && canon.swipeInfo)) continue;
    st[k] = v[k];
  }
  if (v.is_user !== undefined && typeof v.is_user !== 'boolean') st.is_user = v.is_user;

  if (typeof v.name === 'string') {
    rec.name = v.name.length > LIMITS.titleChars ? v.name.slice(0, LIMITS.titleChars) : v.name;
    if (v.name.length > LIMITS.titleChars) notes.name = v.name;
  } else if (v.name !== undefined) notes.name = v.name;
  if (swipes) {
    rec.swipes = swipes;
    rec.swipe_id = swipeId;
  }
  if (typeof srcExtra.status === 'string') {
    const status = MessageStatus.safeParse(srcExtra.status);
    if (status.success) rec.status = status.data;
  }
  // SillyTavern's extra, key for key, less the id the message now carries.
  const extra: Record<string, unknown> = {};
  for (const k in srcExtra) if (k !== 'id') extra[k] = srcExtra[k];
  extra[ST_KEY] = st;
  let hasNotes = false;
  for (const _ in notes) hasNotes = true;
  if (hasNotes) extra[NOTES_KEY] = { ...(isObject(srcExtra[NOTES_KEY]) ? srcExtra[NOTES_KEY] : {}), ...notes };
  rec.extra = extra;
  return rec;
}

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * What export writes back by itself, identical, and so is left out of extra.sillytavern: is_system
 * false, a send_date that is the ISO form of the timestamp, and swipe_info entries that say only
 * that date. So import → export → import gives the same extra, and SillyTavern still gets them.
 */
function canonical(v: Record<string, unknown>, timestamp: number, isoMs: number, swipes: number | undefined): { sendDate: boolean; swipeInfo: boolean } {
  const sd = v.send_date;
  // A string of toISOString's exact shape that parses to the timestamp is that timestamp's ISO form.
  const sendDate = isoMs === timestamp;
  const info = v.swipe_info;
  if (swipes === undefined || !Array.isArray(info) || info.length !== swipes) return { sendDate, swipeInfo: false };
  const shown = sd === undefined ? new Date(timestamp).toISOString() : sd;
  const swipeInfo = info.every((e) => isObject(e) && Object.keys(e).length === 2 && e.send_date === shown && isObject(e.extra) && Object.keys(e.extra).length === 0);
  return { sendDate, swipeInfo };
}

/** A v1-shaped line (`role` + `content`, CardShark's seed format) → a v1 record. */
export function fromRoleMessage(v: Record<string, unknown>, line: number, ids: MessageIds, fallbackTime: number): MessageRecord | string {
  const { id: srcId, role: srcRole, content, timestamp, name, swipes, swipe_id, status, extra, hidden, ...rest } = v;
  if (typeof content !== 'string') return '"content" is not text';
  const role = srcRole === 'user' || srcRole === 'system' ? srcRole : srcRole === 'assistant' || srcRole === 'character' || srcRole === 'bot' ? 'assistant' : null;
  if (!role) return `unknown role ${JSON.stringify(srcRole)}`;
  const notes: Record<string, unknown> = {};
  if (srcRole !== role) notes.role = srcRole;
  const { id, generated } = ids.take(srcId, line);
  if (generated && srcId !== undefined) notes.id = srcId;
  const rec: MessageRecord = { id, role, content, timestamp: bestDate([timestamp])?.ms ?? fallbackTime };
  if (typeof name === 'string' && name.length <= LIMITS.titleChars) rec.name = name;
  else if (name !== undefined) notes.name = name;
  if (Array.isArray(swipes) && swipes.length > 0 && swipes.every((s) => typeof s === 'string')) {
    const sel = typeof swipe_id === 'number' && Number.isInteger(swipe_id) && swipe_id >= 0 && swipe_id < swipes.length ? swipe_id : Math.max(0, swipes.indexOf(content));
    if (sel !== swipe_id && swipe_id !== undefined) notes.swipe_id = swipe_id;
    rec.swipes = swipes.map((s, i) => (i === sel ? content : s));
    if (swipes[sel] !== content) notes.selected_swipe_text = swipes[sel];
    rec.swipe_id = sel;
  } else if (swipes !== undefined) notes.swipes = swipes;
  const st = MessageStatus.safeParse(status);
  if (st.success) rec.status = st.data;
  else if (status !== undefined) notes.status = status;
  if (typeof hidden === 'boolean') rec.hidden = hidden; // Hide / Unhide (a v1 file's own field)
  else if (hidden !== undefined) notes.hidden = hidden;
  const out: Record<string, unknown> = { ...(isObject(extra) ? extra : {}), ...rest };
  if (extra !== undefined && !isObject(extra)) notes.extra = extra;
  if (Object.keys(notes).length) out[NOTES_KEY] = notes;
  if (Object.keys(out).length) rec.extra = out;
  return rec;
}

// Builds the chat-completion messages for one reply from the card, the persona, the settings and
// the history. Pure: no I/O, so every rule is cheap to test.
//
//   system     the main prompt (the card's system_prompt, `{{original}}` = the settings' main
//              prompt), description, personality, scenario, the persona's description
//   system     example dialogue (mes_example, blocks split at <START>)
//   …          the newest history that fits the budget, oldest first
//   system     post_history_instructions (continuing: just before the reply being continued)
//   at depth   the author's note, the card's depth prompt (extensions.depth_prompt) and lorebook
//              entries placed "at depth": depth 0 after the newest message, depth N before the
//              Nth newest (lorebook.ts has the lorebook's rules)
//
// The system parts are always sent; the history gets what is left of the budget
// (context tokens − max reply tokens − system parts), newest first, without gaps. The newest
// history message is always sent, even alone over the budget: a prompt without it is useless.
import type { PromptMessage } from '../provider.ts';
import type { PromptCard } from './card.ts';
import { replaceMacros, type MacroValues } from './macros.ts';
import { estimateTokens, messageTokens, totalTokens } from './tokens.ts';
import { activateEntries, compileBook, DEFAULT_AN_DEPTH, type ActivatedEntry, type LorePosition, type PromptRole } from './lorebook.ts';

export const DEFAULT_MAIN_PROMPT =
  "Write {{char}}'s next reply in a fictional chat between {{char}} and {{user}}. Stay in character, and write one reply only.";

export interface PromptSettings {
  personaName: string;
  personaDescription: string;
  mainPrompt: string;
  contextTokens: number;
  maxTokens: number;
}

export interface HistoryMessage {
  role: 'user' | 'assistant' | 'system';
  content: string;
}

export interface BuildInput {
  card: PromptCard;
  settings: PromptSettings;
  /** Chronological; may hold more than fits. */
  history: readonly HistoryMessage[];
  /** Continuing a reply: the last history message is that reply and must stay last. */
  continuing?: boolean;
  /** The chat's author's note (chat metadata `author_note`). */
  authorsNote?: AuthorsNote;
}

export interface AuthorsNote {
  text: string;
  /** Messages from the newest: 0 after it, N before the Nth newest. Default 4. */
  depth?: number;
  role?: PromptRole;
}

export type PartKind = 'main_prompt' | 'card' | 'persona' | 'lorebook' | 'examples' | 'authors_note' | 'depth_prompt' | 'history' | 'post_history';

/** One piece of the prompt, for the prompt viewer: where it came from and what it costs. */
export interface PromptPart {
  kind: PartKind;
  label: string;
  /** Index in `messages` of the message holding it. */
  message: number;
  content: string;
  tokens: number;
  /** Placed at this depth (author's note, depth prompt, lorebook entries at depth). */
  depth?: number;
}

export interface BuiltPrompt {
  messages: PromptMessage[];
  /** Tokens for the prompt: context tokens − max reply tokens. */
  budget: number;
  systemTokens: number;
  historyTokens: number;
  /** History messages sent / left out (oldest first) for the budget. */
  historyKept: number;
  historyDropped: number;
  /** Part by part, in prompt order (the history as one part per message). */
  parts: PromptPart[];
  /** Lorebook entries sent, in prompt order. */
  lore: { name: string; index: number; position: LorePosition; tokens: number }[];
}

function values(card: PromptCard, s: PromptSettings): MacroValues {
  return { char: card.name, user: s.personaName };
}

const present = (x: string | undefined): x is string => typeof x === 'string' && x.trim().length > 0;

/** One message of the prompt as pieces (joined by a blank line), each remembered for the viewer. */
interface Piece {
  kind: PartKind;
  label: string;
  content: string;
  depth?: number;
}
interface Block {
  role: PromptRole;
  pieces: Piece[];
}

const blockText = (b: Block) => b.pieces.map((p) => p.content).join('\n\n');
const toMessage = (b: Block): PromptMessage => ({ role: b.role, content: blockText(b) });
const loreAt = (lore: readonly ActivatedEntry[], where: LorePosition, v: MacroValues): Piece[] =>
  lore.filter((a) => a.entry.position === where).map((a) => ({ kind: 'lorebook', label: `Lorebook: ${a.entry.name}`, content: replaceMacros(a.entry.content, v) }));

/** The blocks sent whatever the budget, before the history and after it; `lore`: activated entries. */
function fixedBlocks(card: PromptCard, s: PromptSettings, lore: readonly ActivatedEntry[] = []): { before: Block[]; after: Block[] } {
  const v = values(card, s);
  const main = replaceMacros(s.mainPrompt, v);
  const system = present(card.system_prompt) ? replaceMacros(card.system_prompt.trim(), { ...v, original: main }) : main;
  // Each piece is replaced once, so a replacement's own text is never expanded again.
  const story: Piece[] = [];
  if (present(system)) story.push({ kind: 'main_prompt', label: present(card.system_prompt) ? "Card's system prompt" : 'Main prompt', content: system });
  story.push(...loreAt(lore, 'before_char', v));
  if (present(card.description)) story.push({ kind: 'card', label: 'Description', content: replaceMacros(card.description.trim(), v) });
  if (present(card.personality)) story.push({ kind: 'card', label: 'Personality', content: `${card.name}'s personality: ${replaceMacros(card.personality.trim(), v)}` });
  if (present(card.scenario)) story.push({ kind: 'card', label: 'Scenario', content: `Scenario: ${replaceMacros(card.scenario.trim(), v)}` });
  story.push(...loreAt(lore, 'after_char', v));
  if (present(s.personaDescription)) story.push({ kind: 'persona', label: `Persona (${s.personaName})`, content: replaceMacros(s.personaDescription.trim(), v) });
  const before: Block[] = [];
  if (story.length) before.push({ role: 'system', pieces: story });
  const examples = exampleBlocks(card.mes_example ?? '').map((b) => replaceMacros(b, v));
  const ex: Piece[] = [...loreAt(lore, 'em_top', v)];
  if (examples.length) ex.push({ kind: 'examples', label: 'Example dialogue', content: `Example dialogue between ${card.name} and ${s.personaName}:\n\n${examples.join('\n\n')}` });
  ex.push(...loreAt(lore, 'em_bottom', v));
  if (ex.length) before.push({ role: 'system', pieces: ex });
  const after: Block[] = [];
  if (present(card.post_history_instructions)) {
    const post = replaceMacros(card.post_history_instructions.trim(), { ...v, original: '' }).trim();
    if (post) after.push({ role: 'system', pieces: [{ kind: 'post_history', label: 'Post-history instructions', content: post }] });
  }
  return { before, after };
}

const ROLE_NAMES = new Set(['system', 'user', 'assistant']);
const depthOf = (d: unknown): number => (typeof d === 'number' && Number.isFinite(d) ? Math.min(10_000, Math.max(0, Math.floor(d))) : DEFAULT_AN_DEPTH);
const roleOf = (r: unknown): PromptRole => (typeof r === 'string' && ROLE_NAMES.has(r) ? (r as PromptRole) : 'system');

/** The card's `extensions.depth_prompt` ({prompt, depth, role}: SillyTavern's character's note), if it says anything. */
export function depthPromptOf(card: PromptCard): { prompt: string; depth: number; role: PromptRole } | undefined {
  const dp = card.extensions?.depth_prompt;
  if (typeof dp !== 'object' || dp === null) return undefined;
  const { prompt, depth, role } = dp as Record<string, unknown>;
  return present(prompt as string | undefined) ? { prompt: (prompt as string).trim(), depth: depthOf(depth), role: roleOf(role) } : undefined;
}

/** Blocks placed in the history, in placing order at equal depth: lorebook at depth, author's note, depth prompt. */
function depthBlocks(card: PromptCard, s: PromptSettings, note: AuthorsNote | undefined, lore: readonly ActivatedEntry[]): { depth: number; block: Block }[] {
  const v = values(card, s);
  const out: { depth: number; block: Block }[] = [];
  for (const a of lore) {
    if (a.entry.position !== 'at_depth') continue;
    const piece: Piece = { kind: 'lorebook', label: `Lorebook: ${a.entry.name}`, content: replaceMacros(a.entry.content, v), depth: a.entry.depth };
    const same = out.find((o) => o.depth === a.entry.depth && o.block.role === a.entry.role);
    if (same) same.block.pieces.push(piece);
    else out.push({ depth: a.entry.depth, block: { role: a.entry.role, pieces: [piece] } });
  }
  const noteDepth = depthOf(note?.depth);
  const notePieces: Piece[] = [...loreAt(lore, 'an_top', v)];
  if (note && present(note.text)) notePieces.push({ kind: 'authors_note', label: "Author's note", content: replaceMacros(note.text.trim(), v) });
  notePieces.push(...loreAt(lore, 'an_bottom', v));
  for (const p of notePieces) p.depth = noteDepth;
  if (notePieces.length) out.push({ depth: noteDepth, block: { role: roleOf(note?.role), pieces: notePieces } });
  const dp = depthPromptOf(card);
  if (dp) out.push({ depth: dp.depth, block: { role: dp.role, pieces: [{ kind: 'depth_prompt', label: "Character's note (depth prompt)", content: replaceMacros(dp.prompt, v), depth: dp.depth }] } });
  return out;
}

/** The parts sent whatever the budget (without lorebook entries): before the history, and after it. */
export function systemParts(card: PromptCard, s: PromptSettings): { before: PromptMessage[]; after: PromptMessage[] } {
  const { before, after } = fixedBlocks(card, s);
  return { before: before.map(toMessage), after: after.map(toMessage) };
}

/** `<START>` separates example chats (SillyTavern's convention); empty blocks are dropped. */
export function exampleBlocks(mesExample: string): string[] {
  return mesExample
    .split(/<START>/i)
    .map((b) => b.trim())
    .filter(Boolean);
}

/**
 * Prompt tokens left for the history once the parts that do not depend on it are in (the system
 * parts, the author's note, the depth prompt). Lorebook entries come out of it when the prompt is
 * built, so this is an upper bound: enough history to load.
 */
export function historyBudget(input: Omit<BuildInput, 'history'>): number {
  const { before, after } = fixedBlocks(input.card, input.settings);
  const depthed = depthBlocks(input.card, input.settings, input.authorsNote, []);
  return promptBudget(input.settings) - totalTokens([...before, ...after, ...depthed.map((d) => d.block)].map(toMessage));
}

export function promptBudget(s: Pick<PromptSettings, 'contextTokens' | 'maxTokens'>): number {
  return Math.max(0, s.contextTokens - s.maxTokens);
}

/** The newest messages whose estimate fits `budget` (at least the newest one), chronological. */
export function fitHistory(history: readonly HistoryMessage[], budget: number): HistoryMessage[] {
  const usable = history.filter((m) => m.content.length > 0);
  let used = 0;
  let start = usable.length;
  while (start > 0) {
    const cost = messageTokens(usable[start - 1]!);
    if (start < usable.length && used + cost > budget) break;
    used += cost;
    start--;
  }
  return usable.slice(start);
}


/** The newest `n` contents of the history, chronological (what the lorebook scans). */
function recentTexts(history: readonly HistoryMessage[], n: number): string[] {
  const out: string[] = [];
  for (let i = history.length - 1; i >= 0 && out.length < n; i--) if (history[i]!.content.length > 0) out.push(history[i]!.content);
  return out.reverse();
}

export function buildPrompt(input: BuildInput): BuiltPrompt {
  const { card, settings } = input;
  const budget = promptBudget(settings);
  const book = compileBook(card.character_book);
  const lore = book ? activateEntries(book, recentTexts(input.history, book.maxScanDepth), budget) : [];
  const { before, after } = fixedBlocks(card, settings, lore);
  const depthed = depthBlocks(card, settings, input.authorsNote, lore);
  const systemTokens = totalTokens([...before, ...after, ...depthed.map((d) => d.block)].map(toMessage));
  const kept = fitHistory(input.history, budget - systemTokens);
  const macroValues = values(input.card, input.settings);

  // The history with the depth blocks placed: depth N goes before the Nth newest message; a reply
  // being continued stays last (nothing is placed after it).
  const n = kept.length;
  const limit = input.continuing && n > 0 ? n - 1 : n;
  const at = new Map<number, Block[]>();
  for (const d of depthed) {
    const pos = Math.min(limit, Math.max(0, n - d.depth));
    at.set(pos, [...(at.get(pos) ?? []), d.block]);
  }
  type Item = { block: Block } | { history: HistoryMessage };
  const middle: Item[] = [];
  for (let i = 0; i <= n; i++) {
    for (const block of at.get(i) ?? []) middle.push({ block });
    if (i < n) middle.push({ history: kept[i]! });
  }
  const tail = input.continuing && n > 0 ? middle.pop() : undefined;
  const items: Item[] = [...before.map((block) => ({ block })), ...middle, ...after.map((block) => ({ block })), ...(tail ? [tail] : [])];

  const messages: PromptMessage[] = [];
  const parts: PromptPart[] = [];
  for (const item of items) {
    const index = messages.length;
    if ('history' in item) {
      // The user's own text may say {{char}}/{{user}} (as in SillyTavern): replaced in what is sent; the stored text keeps them.
      const content = item.history.role === 'user' ? replaceMacros(item.history.content, macroValues) : item.history.content;
      messages.push({ role: item.history.role, content });
      parts.push({ kind: 'history', label: item.history.role, message: index, content, tokens: estimateTokens(content) });
    } else {
      messages.push(toMessage(item.block));
      for (const p of item.block.pieces) parts.push({ ...p, message: index, tokens: estimateTokens(p.content) });
    }
  }
  return {
    messages,
    budget,
    systemTokens,
    historyTokens: totalTokens(kept),
    historyKept: n,
    historyDropped: input.history.filter((m) => m.content.length > 0).length - n,
    parts,
    lore: lore.map((a) => ({ name: a.entry.name, index: a.entry.index, position: a.entry.position, tokens: a.tokens })),
  };
}

// Builds the chat-completion messages for one reply from the card, the persona, the settings and
// the history. Pure: no I/O, so every rule is cheap to test.
//
//   system     the main prompt (the card's system_prompt, `{{original}}` = the settings' main
//              prompt), description, personality, scenario, the persona's description
//   system     example dialogue (mes_example, blocks split at <START>)
//   …          the newest history that fits the budget, oldest first
//   system     post_history_instructions (continuing: just before the reply being continued)
//
// The system parts are always sent; the history gets what is left of the budget
// (context tokens − max reply tokens − system parts), newest first, without gaps. The newest
// history message is always sent, even alone over the budget: a prompt without it is useless.
import type { PromptMessage } from '../provider.ts';
import type { PromptCard } from './card.ts';
import { replaceMacros, type MacroValues } from './macros.ts';
import { messageTokens, totalTokens } from './tokens.ts';

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
}

function values(card: PromptCard, s: PromptSettings): MacroValues {
  return { char: card.name, user: s.personaName };
}

const present = (x: string | undefined): x is string => typeof x === 'string' && x.trim().length > 0;

/** The parts sent whatever the budget: before the history, and after it. */
export function systemParts(card: PromptCard, s: PromptSettings): { before: PromptMessage[]; after: PromptMessage[] } {
  const v = values(card, s);
  const main = replaceMacros(s.mainPrompt, v);
  const system = present(card.system_prompt) ? replaceMacros(card.system_prompt.trim(), { ...v, original: main }) : main;
  // Each piece is replaced once, so a replacement's own text is never expanded again.
  const story = [
    system,
    present(card.description) ? replaceMacros(card.description.trim(), v) : undefined,
    present(card.personality) ? `${card.name}'s personality: ${replaceMacros(card.personality.trim(), v)}` : undefined,
    present(card.scenario) ? `Scenario: ${replaceMacros(card.scenario.trim(), v)}` : undefined,
    present(s.personaDescription) ? replaceMacros(s.personaDescription.trim(), v) : undefined,
  ].filter(present);
  const before: PromptMessage[] = [];
  if (story.length) before.push({ role: 'system', content: story.join('\n\n') });
  const examples = exampleBlocks(card.mes_example ?? '').map((b) => replaceMacros(b, v));
  if (examples.length) before.push({ role: 'system', content: `Example dialogue between ${card.name} and ${s.personaName}:\n\n${examples.join('\n\n')}` });
  const after: PromptMessage[] = [];
  if (present(card.post_history_instructions)) {
    const post = replaceMacros(card.post_history_instructions.trim(), { ...v, original: '' }).trim();
    if (post) after.push({ role: 'system', content: post });
  }
  return { before, after };
}

/** `<START>` separates example chats (SillyTavern's convention); empty blocks are dropped. */
export function exampleBlocks(mesExample: string): string[] {
  return mesExample
    .split(/<START>/i)
    .map((b) => b.trim())
    .filter(Boolean);
}

/** Prompt tokens left for the history once the system parts are in. */
export function historyBudget(input: Omit<BuildInput, 'history'>): number {
  const { before, after } = systemParts(input.card, input.settings);
  return promptBudget(input.settings) - totalTokens(before) - totalTokens(after);
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

export function buildPrompt(input: BuildInput): BuiltPrompt {
  const { before, after } = systemParts(input.card, input.settings);
  const budget = promptBudget(input.settings);
  const systemTokens = totalTokens(before) + totalTokens(after);
  const kept = fitHistory(input.history, budget - systemTokens);
  // The user's own text may say {{char}}/{{user}} (as in SillyTavern): replaced in what is sent; the stored text keeps them.
  const v = values(input.card, input.settings);
  const history: PromptMessage[] = kept.map((m) => ({ role: m.role, content: m.role === 'user' ? replaceMacros(m.content, v) : m.content }));
  const messages =
    input.continuing && history.length
      ? [...before, ...history.slice(0, -1), ...after, history[history.length - 1]!]
      : [...before, ...history, ...after];
  return {
    messages,
    budget,
    systemTokens,
    historyTokens: totalTokens(history),
    historyKept: kept.length,
    historyDropped: input.history.filter((m) => m.content.length > 0).length - kept.length,
  };
}

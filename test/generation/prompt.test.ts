// The prompt builder, macros, the token estimate and the greeting: pure functions.
import { describe, expect, it } from 'vitest';
import { buildPrompt, exampleBlocks, fitHistory, historyBudget, type HistoryMessage, type PromptSettings } from '../../electron/generation/prompt/builder.ts';
import { replaceMacros } from '../../electron/generation/prompt/macros.ts';
import { estimateTokens, messageTokens, totalTokens } from '../../electron/generation/prompt/tokens.ts';
import { greetingMessage } from '../../electron/generation/prompt/greeting.ts';
import { promptCardFromJson, type PromptCard } from '../../electron/generation/prompt/card.ts';
import { requestBody } from '../../electron/generation/openai.ts';

const CARD: PromptCard = {
  name: 'Seraphina',
  description: '{{char}} is a guardian of the forest who protects {{user}}.',
  personality: 'kind, <USER>-loving, fierce',
  scenario: '{{user}} wakes up in {{char}}\'s glade.',
  first_mes: '*{{char}} smiles at {{user}}.* Welcome.',
  alternate_greetings: ['Hello, {{user}}.', '   ', '<BOT> waves.'],
  mes_example: '<START>\n{{user}}: Hi\n{{char}}: Hello there.\n<START>\n\n<START>\n{{user}}: Who are you?\n{{char}}: I am {{char}}.',
  system_prompt: 'You are {{char}}. {{original}}',
  post_history_instructions: 'Stay in character as {{char}}; never speak for {{user}}.',
};

const SETTINGS: PromptSettings = { personaName: 'Ann', personaDescription: '{{user}} is a lost traveller.', mainPrompt: 'Main prompt for {{char}}.', contextTokens: 4096, maxTokens: 256 };

const said = (n: number, words = 20): HistoryMessage[] =>
  Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i} ${'word '.repeat(words)}`.trim() }));

describe('macros', () => {
  it('replaces {{char}} and {{user}} in any case and spacing, and the legacy <BOT>/<CHAR>/<USER>', () => {
    expect(replaceMacros('{{char}} {{CHAR}} {{ user }} {{User}} <USER> <BOT> <CHAR> <user>', { char: 'C', user: 'U' })).toBe('C C U U U C C U');
  });
  it('is one pass: a name holding a macro stays literal', () => {
    expect(replaceMacros('{{user}} meets {{char}}', { char: '{{user}}', user: '{{char}}' })).toBe('{{char}} meets {{user}}');
  });
  it('leaves unknown macros, and {{original}} where it has no meaning', () => {
    expect(replaceMacros('{{random}} {{original}} {{ char', { char: 'C', user: 'U' })).toBe('{{random}} {{original}} {{ char');
    expect(replaceMacros('A {{original}} B', { char: 'C', user: 'U', original: 'main' })).toBe('A main B');
  });
});

describe('token estimate', () => {
  it('about four ASCII characters per token, one per other code point, plus framing per message', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens('abcd')).toBe(1);
    expect(estimateTokens('abcde')).toBe(2);
    expect(estimateTokens('日本語')).toBe(3);
    expect(estimateTokens('😀')).toBe(1);
    expect(messageTokens({ content: 'abcd' })).toBe(5);
    expect(totalTokens([{ content: 'abcd' }, { content: '' }])).toBe(9);
  });
});

describe('buildPrompt', () => {
  it('puts the card, the persona and the history in order, with {{char}} and {{user}} replaced', () => {
    const history: HistoryMessage[] = [
      { role: 'assistant', content: 'Welcome.' },
      { role: 'user', content: 'Where am I?' },
    ];
    const { messages } = buildPrompt({ card: CARD, settings: SETTINGS, history });
    expect(messages.map((m) => m.role)).toEqual(['system', 'system', 'assistant', 'user', 'system']);
    expect(messages[0]!.content).toBe(
      [
        'You are Seraphina. Main prompt for Seraphina.',
        'Seraphina is a guardian of the forest who protects Ann.',
        "Seraphina's personality: kind, Ann-loving, fierce",
        "Scenario: Ann wakes up in Seraphina's glade.",
        'Ann is a lost traveller.',
      ].join('\n\n'),
    );
    expect(messages[1]!.content).toBe('Example dialogue between Seraphina and Ann:\n\nAnn: Hi\nSeraphina: Hello there.\n\nAnn: Who are you?\nSeraphina: I am Seraphina.');
    expect(messages[4]!.content).toBe('Stay in character as Seraphina; never speak for Ann.');
    expect(JSON.stringify(messages)).not.toMatch(/\{\{|<USER>|<BOT>/);
  });

  it('uses the main prompt when the card has no system prompt; a card with just a name still gets one', () => {
    const { messages } = buildPrompt({ card: { name: 'Bob' }, settings: SETTINGS, history: [{ role: 'user', content: 'hi' }] });
    expect(messages).toEqual([
      { role: 'system', content: 'Main prompt for Bob.\n\nAnn is a lost traveller.' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('continuing: the reply being continued stays last, after the post-history instructions', () => {
    const { messages } = buildPrompt({ card: CARD, settings: SETTINGS, history: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'Well,' }], continuing: true });
    expect(messages.slice(-3)).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'system', content: 'Stay in character as Seraphina; never speak for Ann.' },
      { role: 'assistant', content: 'Well,' },
    ]);
  });

  it('splits example dialogue at <START>, dropping empty blocks', () => {
    expect(exampleBlocks('<START>a<start>\n\n<START> b ')).toEqual(['a', 'b']);
    expect(exampleBlocks('')).toEqual([]);
  });
});

describe('context budget', () => {
  it('keeps the newest history that fits, oldest first, and always the system parts', () => {
    const history = said(200);
    const settings = { ...SETTINGS, contextTokens: 1024, maxTokens: 256 };
    const built = buildPrompt({ card: CARD, settings, history });
    expect(built.budget).toBe(768);
    const system = built.messages.filter((m) => m.role === 'system');
    expect(system).toHaveLength(3); // story, examples, post-history
    const sent = built.messages.filter((m) => m.role !== 'system');
    expect(sent.length).toBeGreaterThan(5);
    expect(sent.length).toBeLessThan(200);
    // the newest ones, contiguous, in order
    expect(sent).toEqual(history.slice(-sent.length));
    expect(built.historyKept).toBe(sent.length);
    expect(built.historyDropped).toBe(200 - sent.length);
    // it fits, and one more would not have
    expect(built.systemTokens + built.historyTokens).toBeLessThanOrEqual(built.budget);
    expect(built.systemTokens + built.historyTokens + messageTokens(history[200 - sent.length - 1]!)).toBeGreaterThan(built.budget);
    expect(historyBudget({ card: CARD, settings })).toBe(built.budget - built.systemTokens);
  });

  it('a bigger context sends more history; everything when it all fits', () => {
    const history = said(200);
    const small = buildPrompt({ card: CARD, settings: { ...SETTINGS, contextTokens: 1024 }, history }).historyKept;
    const big = buildPrompt({ card: CARD, settings: { ...SETTINGS, contextTokens: 4096 }, history }).historyKept;
    const all = buildPrompt({ card: CARD, settings: { ...SETTINGS, contextTokens: 1_048_576 }, history });
    expect(big).toBeGreaterThan(small);
    expect(all.historyKept).toBe(200);
    expect(all.historyDropped).toBe(0);
  });

  it('system parts over the budget are still sent, with the newest message alone', () => {
    const card = { ...CARD, description: 'lore '.repeat(5_000) };
    const built = buildPrompt({ card, settings: { ...SETTINGS, contextTokens: 1024, maxTokens: 256 }, history: said(10) });
    expect(built.systemTokens).toBeGreaterThan(built.budget);
    expect(built.messages[0]!.content).toContain('lore lore');
    expect(built.messages.filter((m) => m.role !== 'system')).toEqual([said(10)[9]]);
  });

  it('does not leave gaps: a small old message does not slip in after a big one is dropped', () => {
    const history: HistoryMessage[] = [
      { role: 'user', content: 'tiny' },
      { role: 'assistant', content: 'x'.repeat(4000) },
      { role: 'user', content: 'newest' },
    ];
    expect(fitHistory(history, 100)).toEqual([{ role: 'user', content: 'newest' }]);
    expect(fitHistory(history, 2000)).toEqual(history);
    expect(fitHistory([], 100)).toEqual([]);
  });
});

describe('greeting', () => {
  it('first_mes with the alternate greetings as swipes, swipe 0 selected, macros replaced, blanks dropped', () => {
    expect(greetingMessage(CARD, 'Ann')).toEqual({
      role: 'assistant',
      content: '*Seraphina smiles at Ann.* Welcome.',
      swipes: ['*Seraphina smiles at Ann.* Welcome.', 'Hello, Ann.', 'Seraphina waves.'],
      swipe_id: 0,
      status: 'complete',
      name: 'Seraphina', // the character's name at the time (export names the speaker by it)
    });
  });
  it('no greeting without a first_mes', () => {
    expect(greetingMessage({ name: 'Bob' }, 'Ann')).toBeUndefined();
    expect(greetingMessage({ name: 'Bob', first_mes: '  ', alternate_greetings: ['hi'] }, 'Ann')).toBeUndefined();
    expect(greetingMessage(undefined, 'Ann')).toBeUndefined();
  });
});

describe('samplers', () => {
  it('are in the request body; an empty stop list is left out', () => {
    const messages = [{ role: 'user' as const, content: 'hi' }];
    expect(requestBody('m', { messages, sampling: { temperature: 0.7, topP: 0.9, maxTokens: 123, stop: ['\nAnn:'] } })).toEqual({
      model: 'm',
      messages,
      stream: true,
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 123,
      stop: ['\nAnn:'],
    });
    expect(requestBody('', { messages, sampling: { temperature: 1, topP: 1, maxTokens: 5, stop: [] } })).not.toHaveProperty('stop');
  });
});

describe('card JSON', () => {
  it('reads a V2 card (data object) or a flat one; wrong-typed fields are dropped, not fatal', () => {
    expect(promptCardFromJson({ spec: 'chara_card_v2', data: { name: 'S', description: 'd', tags: ['x'], alternate_greetings: ['a'] } }, 'fb')).toEqual({
      name: 'S',
      description: 'd',
      alternate_greetings: ['a'],
    });
    expect(promptCardFromJson({ description: 5, scenario: 's' }, 'fb')).toEqual({ name: 'fb', scenario: 's' });
    expect(promptCardFromJson('nope', 'fb')).toBeUndefined();
  });
});

describe('stop sequences in the settings panel', () => {
  it('round-trip through the one-per-line text, with \\n for a line break', async () => {
    const { stopsToText, textToStops } = await import('../../renderer/settings/stop-sequences.ts');
    const stops = ['\nAnn:', '</s>', 'a\\nb'];
    expect(stopsToText(stops)).toBe('\\nAnn:\n</s>\na\\\\nb');
    expect(textToStops(stopsToText(stops))).toEqual(stops);
    expect(textToStops('\n\nEND\n')).toEqual(['END']);
  });
});

// The card's lorebook (character_book, V2/V3) and the author's note in the prompt: SillyTavern's
// world-info rules, checked on the messages buildPrompt returns.
import { describe, expect, it } from 'vitest';
import { buildPrompt, type HistoryMessage, type PromptSettings } from '../../electron/generation/prompt/builder.ts';
import type { PromptCard } from '../../electron/generation/prompt/card.ts';
import { activateEntries, compileBook } from '../../electron/generation/prompt/lorebook.ts';

const SETTINGS: PromptSettings = { personaName: 'Ann', personaDescription: '', mainPrompt: 'Main.', contextTokens: 8192, maxTokens: 256 };

type Entry = Record<string, unknown>;
const entry = (over: Entry): Entry => ({ keys: [], content: '', extensions: {}, enabled: true, insertion_order: 100, ...over });
const card = (entries: Entry[], book: Entry = {}, over: Partial<PromptCard> = {}): PromptCard => ({
  name: 'Seraphina',
  description: 'DESC',
  scenario: 'SCEN',
  character_book: { name: 'lore', extensions: {}, entries, ...book },
  ...over,
});
const chat = (...texts: string[]): HistoryMessage[] => texts.map((content, i) => ({ role: i % 2 ? 'assistant' : 'user', content }));
const ELDORIA = entry({ keys: ['Eldoria'], content: 'LORE: Eldoria is an ancient forest kingdom.' });

const sent = (c: PromptCard, history: HistoryMessage[], extra: Partial<Parameters<typeof buildPrompt>[0]> = {}) => buildPrompt({ card: c, settings: SETTINGS, history, ...extra });
const text = (c: PromptCard, history: HistoryMessage[], extra = {}) => JSON.stringify(sent(c, history, extra).messages);

describe('lorebook activation', () => {
  it('an entry is sent when a recent message names a key (any case by default), not otherwise', () => {
    expect(text(card([ELDORIA]), chat('Tell me about ELDORIA.'))).toContain('LORE: Eldoria');
    expect(text(card([ELDORIA]), chat('Tell me about the forest.'))).not.toContain('LORE:');
    expect(sent(card([ELDORIA]), chat('eldoria?')).lore).toEqual([{ name: 'Entry 1', index: 0, position: 'before_char', tokens: 11 }]);
  });

  it('case_sensitive (field or extension) matches the key as written', () => {
    const cs = entry({ keys: ['Eldoria'], content: 'LORE: cs', case_sensitive: true });
    expect(text(card([cs]), chat('eldoria'))).not.toContain('LORE');
    expect(text(card([cs]), chat('Eldoria'))).toContain('LORE: cs');
    const ext = entry({ keys: ['Eldoria'], content: 'LORE: ext', extensions: { case_sensitive: true } });
    expect(text(card([ext]), chat('ELDORIA'))).not.toContain('LORE');
  });

  it('match_whole_words and /regex/ keys', () => {
    const whole = entry({ keys: ['elf'], content: 'LORE: elves', extensions: { match_whole_words: true } });
    expect(text(card([whole]), chat('a shelf'))).not.toContain('LORE');
    expect(text(card([whole]), chat('an Elf!'))).toContain('LORE: elves');
    const re = entry({ keys: ['/dragons?\\b/i'], content: 'LORE: dragons' });
    expect(text(card([re]), chat('A DRAGON appears'))).toContain('LORE: dragons');
    expect(text(card([re]), chat('dragonfly'))).not.toContain('LORE');
  });

  it('disabled entries never, constant entries always', () => {
    const off = entry({ keys: ['Eldoria'], content: 'LORE: off', enabled: false });
    const always = entry({ keys: [], content: 'LORE: always', constant: true });
    const t = text(card([off, always]), chat('Eldoria'));
    expect(t).not.toContain('LORE: off');
    expect(t).toContain('LORE: always');
    expect(text(card([always]), chat('nothing'))).toContain('LORE: always');
  });

  it('secondary keys with each selective logic (AND ANY, NOT ALL, NOT ANY, AND ALL)', () => {
    const sel = (logic: number) => card([entry({ keys: ['castle'], secondary_keys: ['king', 'queen'], selective: true, content: 'LORE: sel', extensions: { selectiveLogic: logic } })]);
    const hit = (logic: number, msg: string) => text(sel(logic), chat(msg)).includes('LORE: sel');
    // AND ANY: key and at least one secondary
    expect([hit(0, 'castle'), hit(0, 'castle king'), hit(0, 'castle king queen'), hit(0, 'king queen')]).toEqual([false, true, true, false]);
    // NOT ALL: key, and not every secondary
    expect([hit(1, 'castle'), hit(1, 'castle king'), hit(1, 'castle king queen')]).toEqual([true, true, false]);
    // NOT ANY: key, and no secondary
    expect([hit(2, 'castle'), hit(2, 'castle king'), hit(2, 'castle queen')]).toEqual([true, false, false]);
    // AND ALL: key and every secondary
    expect([hit(3, 'castle'), hit(3, 'castle king'), hit(3, 'castle king queen')]).toEqual([false, false, true]);
    // selective without secondary keys, or not selective: the key alone
    expect(text(card([entry({ keys: ['castle'], secondary_keys: [], selective: true, content: 'LORE: a' })]), chat('castle'))).toContain('LORE: a');
    expect(text(card([entry({ keys: ['castle'], secondary_keys: ['king'], selective: false, content: 'LORE: b' })]), chat('castle'))).toContain('LORE: b');
  });

  it('scan depth: only the newest N messages are read (book default 2, entry extension overrides)', () => {
    const history = chat('Eldoria long ago', 'b', 'c');
    expect(text(card([ELDORIA]), history)).not.toContain('LORE'); // default 2
    expect(text(card([ELDORIA], { scan_depth: 3 }), history)).toContain('LORE');
    expect(text(card([ELDORIA], { scan_depth: 1 }), chat('Eldoria', 'x'))).not.toContain('LORE');
    const deep = entry({ keys: ['Eldoria'], content: 'LORE: deep', extensions: { scan_depth: 5 } });
    expect(text(card([deep], { scan_depth: 1 }), history)).toContain('LORE: deep');
  });

  it('a hidden (excluded) message is not scanned: only what the history holds counts', () => {
    // the prompt's history comes without hidden messages (history.ts); an empty one is skipped
    expect(text(card([ELDORIA]), [...chat('Eldoria'), { role: 'assistant', content: '' }, { role: 'user', content: 'x' }])).toContain('LORE');
  });

  it("recursive scanning: an entry's text activates others only when the book says so", () => {
    const a = entry({ keys: ['Eldoria'], content: 'LORE: Eldoria has the Silver Tree.' });
    const b = entry({ keys: ['Silver Tree'], content: 'LORE: the tree heals.' });
    expect(text(card([a, b]), chat('Eldoria'))).not.toContain('the tree heals');
    expect(text(card([a, b], { recursive_scanning: true }), chat('Eldoria'))).toContain('the tree heals');
    const excluded = { ...b, extensions: { exclude_recursion: true } };
    expect(text(card([a, excluded], { recursive_scanning: true }), chat('Eldoria'))).not.toContain('the tree heals');
  });
});

describe('lorebook placement', () => {
  it('insertion order: lower goes higher; before_char before the description, after_char after the scenario', () => {
    const c = card([
      entry({ keys: ['x'], content: 'LORE: second', insertion_order: 20 }),
      entry({ keys: ['x'], content: 'LORE: first', insertion_order: 10 }),
      entry({ keys: ['x'], content: 'LORE: after', insertion_order: 5, position: 'after_char' }),
    ]);
    const story = sent(c, chat('x')).messages[0]!.content;
    expect(story.indexOf('LORE: first')).toBeLessThan(story.indexOf('LORE: second'));
    expect(story.indexOf('LORE: second')).toBeLessThan(story.indexOf('DESC'));
    expect(story.indexOf('SCEN')).toBeLessThan(story.indexOf('LORE: after'));
  });

  it('SillyTavern position numbers override: 1 after char, 4 at depth with its role', () => {
    const after = entry({ keys: ['x'], content: 'LORE: one', position: 'before_char', extensions: { position: 1 } });
    const deep = entry({ keys: ['x'], content: 'LORE: deep', extensions: { position: 4, depth: 2, role: 1 } });
    const { messages } = sent(card([after, deep]), chat('m1', 'm2', 'm3', 'x'));
    expect(messages[0]!.content.indexOf('SCEN')).toBeLessThan(messages[0]!.content.indexOf('LORE: one'));
    // depth 2: before the 2nd newest message, as a user message
    const i = messages.findIndex((m) => m.content === 'LORE: deep');
    expect(messages[i]!.role).toBe('user');
    expect(messages.slice(i + 1).map((m) => m.content)).toEqual(['m3', 'x']);
  });

  it('token budget: entries are admitted by priority (insertion order when none) until one does not fit', () => {
    const big = (order: number, name: string) => entry({ keys: ['x'], content: `LORE: ${name} ${'w'.repeat(400)}`, insertion_order: order });
    const c = card([big(1, 'low'), big(3, 'high'), big(2, 'mid')], { token_budget: 250 });
    const t = text(c, chat('x'));
    expect(t).toContain('LORE: high');
    expect(t).toContain('LORE: mid');
    expect(t).not.toContain('LORE: low');
    // priority wins over insertion order
    const p = card([{ ...big(1, 'low'), priority: 10 }, big(3, 'high')], { token_budget: 150 });
    expect(text(p, chat('x'))).toContain('LORE: low');
    expect(text(p, chat('x'))).not.toContain('LORE: high');
    // without a book budget: a quarter of the prompt budget
    const many = card(Array.from({ length: 40 }, (_, i) => big(i, `n${i}`)));
    const lore = sent(many, chat('x')).lore;
    expect(lore.reduce((n, l) => n + l.tokens, 0)).toBeLessThanOrEqual((8192 - 256) / 4);
    expect(lore.length).toBeGreaterThan(5);
  });

  it('lorebook tokens come out of the history budget', () => {
    const long = chat(...Array.from({ length: 400 }, (_, i) => `m${i} ${'word '.repeat(20)} x`));
    const without = sent(card([]), long, {}).historyKept;
    const withLore = sent(card([entry({ keys: ['x'], content: 'LORE ' + 'w'.repeat(4000) })]), long).historyKept;
    expect(withLore).toBeLessThan(without);
  });

  it('macros in entries are replaced', () => {
    expect(text(card([entry({ keys: ['x'], content: 'LORE: {{char}} knows {{user}}' })]), chat('x'))).toContain('LORE: Seraphina knows Ann');
  });

  it('a book that is not a book is ignored, never a crash', () => {
    for (const bad of [null, 'x', 5, { entries: 'no' }, { entries: [null, 5, { keys: 'x', content: 3 }] }]) {
      expect(() => buildPrompt({ card: { name: 'S', character_book: bad }, settings: SETTINGS, history: chat('x') })).not.toThrow();
    }
    expect(compileBook({ entries: [{ keys: ['/(/'], content: 'bad regex is a plain key' }] })).toBeDefined();
    const b = compileBook({ entries: [entry({ keys: ['/(/'], content: 'LORE' })] })!;
    expect(activateEntries(b, ['/(/'], 1000)).toHaveLength(1);
  });
});

describe("author's note and the card's depth prompt", () => {
  const history = chat('m1', 'm2', 'm3', 'm4', 'm5', 'm6');
  it("the author's note goes before the Nth newest message (default 4), with its role", () => {
    const { messages, parts } = sent({ name: 'S' }, history, { authorsNote: { text: 'AN: rain falls on {{user}}' } });
    const i = messages.findIndex((m) => m.content === 'AN: rain falls on Ann');
    expect(messages[i]!.role).toBe('system');
    expect(messages.slice(i + 1).map((m) => m.content)).toEqual(['m3', 'm4', 'm5', 'm6']);
    expect(parts.find((p) => p.kind === 'authors_note')).toMatchObject({ depth: 4, message: i });
    const d0 = sent({ name: 'S' }, history, { authorsNote: { text: 'AN0', depth: 0, role: 'user' } }).messages;
    expect(d0.at(-1)).toEqual({ role: 'user', content: 'AN0' });
    const deep = sent({ name: 'S' }, history, { authorsNote: { text: 'AN99', depth: 99 } }).messages;
    expect(deep.findIndex((m) => m.content === 'AN99')).toBeLessThan(deep.findIndex((m) => m.content === 'm1'));
  });

  it('an empty note sends nothing; a continued reply stays last', () => {
    expect(sent({ name: 'S' }, history, { authorsNote: { text: '  ' } }).messages.map((m) => m.content)).toEqual(['Main.', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const cont = sent({ name: 'S' }, history, { authorsNote: { text: 'AN', depth: 0 }, continuing: true }).messages;
    expect(cont.at(-1)!.content).toBe('m6');
    expect(cont.at(-2)!.content).toBe('AN');
  });

  it("the card's extensions.depth_prompt goes at its depth with its role; AN top/bottom entries wrap the note", () => {
    const c: PromptCard = {
      name: 'S',
      extensions: { depth_prompt: { prompt: 'DP: {{char}} is kind', depth: 1, role: 'assistant' } },
      character_book: { entries: [entry({ keys: ['m6'], content: 'LORE: top', extensions: { position: 2 } }), entry({ keys: ['m6'], content: 'LORE: bottom', extensions: { position: 3 } })] },
    };
    const { messages } = sent(c, history, { authorsNote: { text: 'AN', depth: 2 } });
    const dp = messages.findIndex((m) => m.content === 'DP: S is kind');
    expect(messages[dp]!.role).toBe('assistant');
    expect(messages.slice(dp + 1).map((m) => m.content)).toEqual(['m6']);
    expect(messages.find((m) => m.content.startsWith('LORE: top'))!.content).toBe('LORE: top\n\nAN\n\nLORE: bottom');
  });
});

// prompt_build_100k_ms (issue 18): the request for the next reply in a 100,000-message chat whose
// card has a 200-entry lorebook, built as generation and the prompt viewer build it
// (assemblePrompt: the newest page, older pages while the context budget has room, the card, the
// author's note, the lorebook scanned over its scan depth only, the history fitted). The store is
// open and the chat indexed, as in the app once the chat is shown. The baseline, in the same run:
// the same request for the same chat from a card without a lorebook. 1 warm-up, median of `runs`.
// Runnable alone: node test/bench/prompt-bench.ts [messages]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';
import { assemblePrompt } from '../../electron/generation/prompt/assemble.ts';
import { DEFAULT_GENERATION_SETTINGS, type GenerationSettings } from '../../electron/generation/generation-settings.ts';
import type { PromptCard } from '../../electron/generation/prompt/card.ts';
import { buildBigChat, prng } from '../fixtures/big-chat.ts';

export interface PromptBench {
  ms: number;
  runs: number[];
  baseline_ms: number;
  /** Lorebook entries the request held, and history messages sent. */
  lore_sent: number;
  history_sent: number;
  context_tokens: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Words the chat's generated prose uses (some entries fire) and names it never says (most do not).
const SEEN = ['lantern', 'tavern', 'harbor', 'storm', 'forest', 'river', 'crown', 'throne', 'ship', 'oath', 'secret', 'tower'];

/** A 200-entry book mixing what real books hold: plain keys, selective ones, whole words, regexes, constants, depth entries. */
export function benchBook(entries = 200): unknown {
  const rand = prng(18);
  return {
    name: 'bench lore',
    scan_depth: 4,
    token_budget: 2048,
    recursive_scanning: true,
    extensions: {},
    entries: Array.from({ length: entries }, (_, i) => {
      const seen = i % 10 === 0 ? SEEN[(i / 10) % SEEN.length]! : undefined;
      const keys = seen ? [seen, `Place${i}`] : [`Place${i}`, `Person ${i}`, `Ruin-${i}`];
      return {
        id: i,
        keys: i % 25 === 7 ? [`/\\bruin-${i}s?\\b/i`] : keys,
        secondary_keys: i % 7 === 0 ? ['silver', 'crimson', `Clue${i}`] : [],
        selective: i % 7 === 0,
        content: `Entry ${i}: ${'lore of the old realm, its roads and its rulers; '.repeat(2 + Math.floor(rand() * 6))}`,
        constant: i % 50 === 3,
        enabled: i % 40 !== 5,
        insertion_order: Math.floor(rand() * 200),
        case_sensitive: i % 9 === 0,
        extensions: { selectiveLogic: i % 4, match_whole_words: i % 3 === 0, ...(i % 11 === 0 ? { position: 4, depth: 2 + (i % 5), role: 0 } : {}) },
      };
    }),
  };
}

export async function measurePromptBuild(dataDir: string, chatId: string, runs = 9): Promise<PromptBench> {
  const store = await openChatStore({ dataDir });
  try {
    const settings: GenerationSettings = { ...DEFAULT_GENERATION_SETTINGS, contextTokens: 32_768, maxTokens: 512, personaName: 'Wren' };
    const base: PromptCard = { name: 'Séraphine', description: 'A guardian of the old realm. '.repeat(20), scenario: 'The tavern by the harbor.', extensions: { depth_prompt: { prompt: 'Séraphine is kind.', depth: 4, role: 'system' } } };
    const lore: PromptCard = { ...base, character_book: benchBook(200) };
    await store.updateChatMetadata(chatId, { author_note: { text: 'It is raining.', depth: 4, role: 'system' } });
    const build = (card: PromptCard) => assemblePrompt({ store, settings: { get: async () => settings }, loadCard: async () => structuredClone(card) }, { chatId, mode: 'new' });
    await build(lore); // warm-up (the chat's index is built here, as when the app first shows it)
    await build(base);
    const timed: number[] = [];
    const baseline: number[] = [];
    let last;
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      last = await build(lore);
      timed.push(performance.now() - t);
      t = performance.now();
      await build(base);
      baseline.push(performance.now() - t);
    }
    return { ms: median(timed), runs: timed, baseline_ms: median(baseline), lore_sent: last!.built.lore.length, history_sent: last!.built.historyKept, context_tokens: settings.contextTokens };
  } finally {
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const messages = Number(process.argv[2] ?? 100_000);
  const dir = await mkdtemp(join(tmpdir(), 'cardshark-prompt-bench-'));
  try {
    const chat = buildBigChat({ dataDir: dir, messages });
    const r = await measurePromptBuild(dir, chat.chatId);
    console.log(JSON.stringify({ prompt_build_100k_ms: +r.ms.toFixed(2), prompt_build_baseline_ms: +r.baseline_ms.toFixed(2), prompt_build_ratio: +(r.ms / r.baseline_ms).toFixed(2), lore_sent: r.lore_sent, history_sent: r.history_sent, runs: r.runs.map((x) => +x.toFixed(1)) }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

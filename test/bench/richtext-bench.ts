// richtext_1m_ms (issue 15 §2): tokenize a 1,000,000-character hostile message (unclosed curly
// quotes and spaced asterisks, an unclosed straight quote and fence, inside a speech and a bold span;
// test/fixtures/hostile-text.ts). 1 warm-up, median of 5. The baseline, in the same run: the old,
// quadratic tokenizer (test/renderer/tokenize-reference.ts) and today's on the first 30,000
// characters of the same kind, once each for the old (it takes seconds), median of 5 for today's.
// Runnable alone: node test/bench/richtext-bench.ts
import { tokenize } from '../../renderer/rich-text/tokenize.ts';
import { hostileRichText } from '../fixtures/hostile-text.ts';
import { referenceTokenize } from '../renderer/tokenize-reference.ts';

export interface RichTextBench {
  /** Median ms to tokenize the 1,000,000 characters. */
  ms_1m: number;
  runs_1m: number[];
  /** The old tokenizer on 30,000 characters, one run. */
  old_30k_ms: number;
  /** Today's on the same 30,000 characters, median of 5. */
  new_30k_ms: number;
  /** old_30k_ms / new_30k_ms. */
  speedup_30k: number;
}

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function measureRichText(runs = 5): RichTextBench {
  const big = hostileRichText(1_000_000);
  const small = hostileRichText(30_000);
  // Both tokenizers must agree where the old one finishes, or the baseline is not the same work.
  if (JSON.stringify(tokenize(small)) !== JSON.stringify(referenceTokenize(small))) throw new Error('richtext bench: the tokenizer and its reference disagree on the 30,000 characters');
  tokenize(big); // warm-up
  const runs_1m = Array.from({ length: runs }, () => time(() => tokenize(big)));
  const new_30k_ms = median(Array.from({ length: runs }, () => time(() => tokenize(small))));
  const old_30k_ms = time(() => referenceTokenize(small));
  return { ms_1m: median(runs_1m), runs_1m, old_30k_ms, new_30k_ms, speedup_30k: old_30k_ms / new_30k_ms };
}

if (import.meta.main) {
  const r = measureRichText();
  console.log(`richtext_1m_ms ${r.ms_1m.toFixed(1)} (goal ≤ 100; runs ${r.runs_1m.map((x) => x.toFixed(1)).join(', ')}); 30,000 characters: old ${r.old_30k_ms.toFixed(0)} ms, new ${r.new_30k_ms.toFixed(2)} ms, ${r.speedup_30k.toFixed(0)}× faster`);
  console.log(JSON.stringify({ richtext_1m_ms: Number(r.ms_1m.toFixed(1)), richtext_old_30k_ms: Number(r.old_30k_ms.toFixed(1)), richtext_new_30k_ms: Number(r.new_30k_ms.toFixed(2)), richtext_speedup_30k: Number(r.speedup_30k.toFixed(0)) }));
}

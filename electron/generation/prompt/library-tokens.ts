// Token counts for the prompt viewer when the endpoint has no tokenizer API: gpt-tokenizer, a pure
// JavaScript BPE (no native build, no WASM, well kept, ~1.7M downloads a month) with OpenAI's
// o200k_base encoding. Exact for OpenAI's current models; for others (Llama, Mistral, Claude) a
// close estimate, and the viewer says so. Loaded on the first preview only (its tables take a
// second to load). Special-token text in a message is counted as text, never refused.
type CountTokens = (text: string, opts: { disallowedSpecial: Set<string> }) => number;

/** Past this much text the viewer keeps the cheap estimate: a count must not stall the main process. */
const MAX_CHARS = 1_000_000;

let counter: Promise<CountTokens> | undefined;

/** Each text's count by the library, or undefined (too much text, or the library failed to load). */
export async function countWithLibrary(texts: readonly string[]): Promise<number[] | undefined> {
  if (texts.reduce((n, t) => n + t.length, 0) > MAX_CHARS) return undefined;
  counter ??= import('gpt-tokenizer/encoding/o200k_base').then((m) => m.countTokens as CountTokens);
  const count = await counter.catch(() => undefined);
  if (!count) return undefined;
  const none = new Set<string>();
  return texts.map((t) => count(t, { disallowedSpecial: none }));
}

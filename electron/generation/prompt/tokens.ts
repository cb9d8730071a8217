// A tokenizer-free token estimate that errs high: about four ASCII characters per token
// (English under BPE tokenizers), one token per other code point (CJK is near that; accented
// Latin is counted too high, which only trims a little early). Each message adds a few tokens
// of chat-template framing.
export const MESSAGE_OVERHEAD_TOKENS = 4;

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 0x80) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 4) + other;
}

export function messageTokens(m: { content: string }): number {
  return estimateTokens(m.content) + MESSAGE_OVERHEAD_TOKENS;
}

export function totalTokens(ms: readonly { content: string }[]): number {
  let n = 0;
  for (const m of ms) n += messageTokens(m);
  return n;
}

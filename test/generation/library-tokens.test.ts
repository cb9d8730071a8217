// The prompt viewer's tokenizer when the endpoint has none: gpt-tokenizer's o200k_base counts, with
// text that looks like a special token counted as text (never an error), and the cheap estimate
// kept for a prompt too large to count on the main process.
import { describe, expect, it } from 'vitest';
import { countWithLibrary } from '../../electron/generation/prompt/library-tokens.ts';

describe('countWithLibrary', () => {
  it("counts with OpenAI's o200k encoding; a special-token text is counted, not refused", async () => {
    expect(await countWithLibrary(['one two three four five', 'internationalization <|endoftext|> 😀😀😀', ''])).toEqual([5, 12, 0]);
  });

  it('gives way to the estimate (undefined) past a million characters', async () => {
    expect(await countWithLibrary(['x'.repeat(600_000), 'y'.repeat(600_000)])).toBeUndefined();
  });
});

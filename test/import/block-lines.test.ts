// The block reader of import sources: whatever the block size, it gives the lines that reading the
// whole file as one text gives (UTF-8 characters split across blocks, CRLF, a BOM, blank lines, a
// last line with no newline), with their numbers and byte offsets; a line longer than the cap is
// skipped, reported, and never gathered; an import of a file that is one huge line is a typed error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bufferSource, lineBatches, type BlockLine } from '../../electron/import/block-lines.ts';
import { importBytes } from '../../electron/import/index.ts';
import { withStore } from './helpers.ts';

/** What the whole file, decoded at once, holds: non-blank lines (CR stripped), numbered from 1. */
function reference(buf: Buffer): { line: number; text: string; last: boolean }[] {
  const start = buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? 3 : 0;
  const parts = buf.toString('utf8', start).split('\n');
  const endsWithNewline = buf.length > start && buf[buf.length - 1] === 0x0a;
  if (endsWithNewline) parts.pop();
  return parts.flatMap((raw, i) => {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    return text.trim() === '' ? [] : [{ line: i + 1, text, last: i === parts.length - 1 && !endsWithNewline }];
  });
}

async function read(buf: Buffer, blockBytes: number, maxLineBytes?: number): Promise<BlockLine[]> {
  const out: BlockLine[] = [];
  for await (const batch of lineBatches(bufferSource(buf), { blockBytes, ...(maxLineBytes ? { maxLineBytes } : {}) })) {
    for (const l of batch) out.push({ line: l.line, text: l.text, last: l.last, start: l.start, end: l.end, ...(l.tooLong !== undefined ? { tooLong: l.tooLong } : {}) });
  }
  return out;
}

const lineText = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 30 }), fc.constantFrom('', ' ', '\t', '{"mes":"é🙂"}', '中文', '\u00a0'));

describe('lineBatches', () => {
  it('gives the lines of the whole text, whatever the block size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(lineText, fc.constantFrom('\n', '\r\n')), { maxLength: 12 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 19 }),
        async (lines, bom, trailing, blockBytes) => {
          let text = lines.map(([t, eol]) => t + eol).join('');
          if (!trailing && lines.length > 0) text = text.slice(0, -lines.at(-1)![1].length);
          const buf = Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text)]);
          const got = await read(buf, blockBytes);
          expect(got.map(({ line, text, last }) => ({ line, text, last }))).toEqual(reference(buf));
          // Offsets: each line's bytes are where it says.
          for (const l of got) expect(buf.toString('utf8', l.start, l.end).replace(/\r?\n$/, '')).toBe(l.text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a line over the cap is skipped as it is read and reported with its length; the lines around it are read', async () => {
    const buf = Buffer.from(`{"a":1}\n${'x'.repeat(5000)}\n{"b":2}\n${'y'.repeat(3000)}`);
    const got = await read(buf, 64, 1000);
    expect(got).toEqual([
      { line: 1, text: '{"a":1}', last: false, start: 0, end: 8 },
      { line: 2, text: '', last: false, start: 8, end: 5009, tooLong: 5000 },
      { line: 3, text: '{"b":2}', last: false, start: 5009, end: 5017 },
      { line: 4, text: '', last: true, start: 5017, end: 8017, tooLong: 3000 },
    ]);
  });

  it('a file that is one 40 MiB line: a typed error naming the line, not an out-of-memory', async () => {
    await withStore(async (store) => {
      const bytes = Buffer.alloc(40 * 1024 * 1024, 0x61);
      await expect(importBytes(store, { name: 'huge.jsonl', bytes, mtimeMs: 0 })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/^huge\.jsonl holds no readable chat: line 1 the line is 40\.0 MiB, longer than the 32 MiB a line may have/),
      });
    });
  });
});

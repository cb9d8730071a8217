// The rich-text tokenizer as it was before issue 15 (renderer/rich-text/tokenize.ts at fce8c69),
// kept verbatim as the reference: the differential test holds today's tokenizer to the same output,
// and the bench times it on a smaller input as the baseline. It is quadratic on unclosed quotes
// (every opening `“` searches to the end of the text): never use it in the app.

import type { RichNode } from '../../renderer/rich-text/tokenize.ts';

const MAX_DEPTH = 6;
const CLOSE_QUOTE: Record<string, string> = { '"': '"', '“': '”' };

/** Splits off fenced code blocks, then tokenizes the prose between them. */
export function referenceTokenize(text: string): RichNode[] {
  const out: RichNode[] = [];
  let i = 0;
  for (;;) {
    const open = text.indexOf('```', i);
    if (open === -1) break;
    const langEnd = text.indexOf('\n', open + 3);
    const close = langEnd === -1 ? -1 : text.indexOf('```', langEnd + 1);
    if (close === -1) break; // unclosed: the rest is prose
    out.push(...inline(text.slice(i, open), 0));
    out.push({ t: 'codeblock', lang: text.slice(open + 3, langEnd).trim(), v: text.slice(langEnd + 1, close).replace(/\n$/, '') });
    i = close + 3;
    if (text[i] === '\n') i++;
  }
  out.push(...inline(text.slice(i), 0));
  return out;
}

function inline(s: string, depth: number): RichNode[] {
  if (s === '') return [];
  if (depth >= MAX_DEPTH) return [{ t: 'text', v: s }];
  const out: RichNode[] = [];
  let text = '';
  const flush = () => {
    if (text) out.push({ t: 'text', v: text });
    text = '';
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '`') {
      const end = s.indexOf('`', i + 1);
      if (end > i + 1) {
        flush();
        out.push({ t: 'code', v: s.slice(i + 1, end) });
        i = end + 1;
        continue;
      }
    } else if (c === '*' && s[i + 1] === '*') {
      const end = s.indexOf('**', i + 2);
      if (end > i + 2) {
        flush();
        out.push({ t: 'bold', children: inline(s.slice(i + 2, end), depth + 1) });
        i = end + 2;
        continue;
      }
    } else if (c === '*') {
      const end = closingStar(s, i + 1);
      // `*action*`: not empty, and no space just inside the asterisks (so "2 * 3 * 4" stays text)
      if (end > i + 1 && !/\s/.test(s[i + 1]!) && !/\s/.test(s[end - 1]!)) {
        flush();
        out.push({ t: 'action', children: inline(s.slice(i + 1, end), depth + 1) });
        i = end + 1;
        continue;
      }
    } else if (c in CLOSE_QUOTE) {
      const end = s.indexOf(CLOSE_QUOTE[c]!, i + 1);
      if (end > i + 1) {
        flush();
        out.push({ t: 'speech', children: [{ t: 'text', v: c }, ...inline(s.slice(i + 1, end), depth + 1), { t: 'text', v: s[end]! }] });
        i = end + 1;
        continue;
      }
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

/** The next single `*` (skipping `**` pairs, which are bold inside an action). */
function closingStar(s: string, from: number): number {
  for (let j = s.indexOf('*', from); j !== -1; j = s.indexOf('*', j + 1)) {
    if (s[j + 1] === '*') {
      j++;
      continue;
    }
    return j;
  }
  return -1;
}

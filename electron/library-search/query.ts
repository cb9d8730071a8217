// The user's words to a safe FTS5 MATCH expression. Nothing the user types reaches FTS5's query
// syntax: every term becomes a quoted FTS5 string (quotes doubled), so AND/OR/NOT/NEAR, column
// filters, parentheses and stray quotes are plain text. Supported: words (all must match, in
// any order), "a phrase" (those words in that order) and word* (a prefix). Case and diacritics
// are folded by the tokenizer (unicode61 remove_diacritics 2), not here.
import { StoreError } from '../../shared/errors.ts';

/** Longer queries are refused (a search box, not a document). */
export const MAX_QUERY_CHARS = 200;
/** More terms than this are refused: each term is one more posting list to intersect. */
export const MAX_QUERY_TERMS = 16;

export interface QueryTerm {
  /** The words of the term as typed (one word, or a phrase's words). */
  text: string;
  phrase: boolean;
  prefix: boolean;
}

/** A term holds something the tokenizer keeps (a letter or digit); punctuation alone matches nothing. */
const HAS_WORD = /[\p{L}\p{N}]/u;

/** The terms of a query: "quoted phrases" (an unclosed quote runs to the end), words, word*. */
export function parseQuery(input: string): QueryTerm[] {
  if (typeof input !== 'string') throw new StoreError('INVALID_INPUT', 'query: a text is required', { field: 'query', reason: 'empty' });
  if (input.length > MAX_QUERY_CHARS) throw new StoreError('INVALID_INPUT', `query: at most ${MAX_QUERY_CHARS} characters`, { field: 'query', reason: 'too_long' });
  const terms: QueryTerm[] = [];
  const re = /"([^"]*)("?)(\*?)|([^\s"]+)/g;
  for (let m = re.exec(input); m; m = re.exec(input)) {
    if (m[4] !== undefined) {
      const prefix = m[4].endsWith('*');
      const text = m[4].replace(/\*+$/, '');
      if (HAS_WORD.test(text)) terms.push({ text, phrase: false, prefix });
    } else {
      const text = m[1]!.trim();
      if (HAS_WORD.test(text)) terms.push({ text, phrase: true, prefix: m[3] === '*' });
    }
  }
  if (terms.length === 0) throw new StoreError('INVALID_INPUT', 'query: type a word to search for', { field: 'query', reason: 'empty' });
  if (terms.length > MAX_QUERY_TERMS) throw new StoreError('INVALID_INPUT', `query: at most ${MAX_QUERY_TERMS} words`, { field: 'query', reason: 'too_long' });
  return terms;
}

/** One term as an FTS5 string: double quotes doubled; `*` after it marks its last token a prefix. */
function ftsTerm(t: QueryTerm): string {
  return `"${t.text.replace(/"/g, '""')}"${t.prefix ? ' *' : ''}`;
}

/** The MATCH expression for a query (implicit AND of its terms). Throws INVALID_INPUT for an empty or too long one. */
export function toMatchExpression(input: string): string {
  return parseQuery(input).map(ftsTerm).join(' ');
}

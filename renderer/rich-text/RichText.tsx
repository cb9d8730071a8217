// Message text with roleplay formatting, built as React elements from the tokenizer's tree:
// React escapes every string, so `<script>` in a message is shown as text, never run.
import { Fragment, useMemo, type ReactNode } from 'react';
import { tokenize, type RichNode } from './tokenize.ts';

/**
 * Find matches wrapped in <mark> per message: each is an element, and a query of one letter in a
 * 1,000,000-character message would be hundreds of thousands (the tokenizer caps its spans alike).
 */
const MAX_MARKS = 1_000;

/** What a render may still wrap in <mark>. */
interface Highlight {
  q: string | undefined;
  left: number;
}

function render(nodes: RichNode[], highlight: Highlight): ReactNode[] {
  return nodes.map((n, i) => {
    switch (n.t) {
      case 'text':
        return <Fragment key={i}>{mark(n.v, highlight)}</Fragment>;
      case 'code':
        return <code key={i} className="rt-code">{n.v}</code>;
      case 'codeblock':
        return (
          <pre key={i} className="rt-codeblock" data-lang={n.lang || undefined}>
            <code>{n.v}</code>
          </pre>
        );
      case 'bold':
        return <strong key={i}>{render(n.children, highlight)}</strong>;
      case 'action':
        return <em key={i} className="rt-action">{render(n.children, highlight)}</em>;
      case 'speech':
        return <span key={i} className="rt-speech">{render(n.children, highlight)}</span>;
    }
  });
}

/** Wraps case-insensitive occurrences of the query in <mark> (find in chat), up to MAX_MARKS per message. */
function mark(text: string, highlight: Highlight): ReactNode {
  const q = highlight.q;
  if (!q || highlight.left <= 0) return text;
  const lower = text.toLowerCase();
  const needle = q.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1 && highlight.left > 0; at = lower.indexOf(needle, at + needle.length)) {
    highlight.left--;
    parts.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  if (!parts.length) return text;
  parts.push(text.slice(from));
  return parts;
}

export function RichText({ text, highlight }: { text: string; highlight?: string }) {
  const nodes = useMemo(() => tokenize(text), [text]);
  return <>{render(nodes, { q: highlight, left: MAX_MARKS })}</>;
}

// The rich-text tokenizer and its React rendering: roleplay conventions, and never raw HTML.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { plainText, tokenize } from '../../renderer/rich-text/tokenize.ts';
import { RichText } from '../../renderer/rich-text/RichText.tsx';

const html = (text: string, highlight?: string) => renderToStaticMarkup(createElement(RichText, highlight ? { text, highlight } : { text }));

describe('tokenize', () => {
  it('marks actions, bold, speech and inline code', () => {
    expect(tokenize('*waves* Hello')).toEqual([{ t: 'action', children: [{ t: 'text', v: 'waves' }] }, { t: 'text', v: ' Hello' }]);
    expect(tokenize('**loud**')).toEqual([{ t: 'bold', children: [{ t: 'text', v: 'loud' }] }]);
    expect(tokenize('"Hi," she said')).toEqual([
      { t: 'speech', children: [{ t: 'text', v: '"' }, { t: 'text', v: 'Hi,' }, { t: 'text', v: '"' }] },
      { t: 'text', v: ' she said' },
    ]);
    expect(tokenize('use `x*y*z` here')).toEqual([{ t: 'text', v: 'use ' }, { t: 'code', v: 'x*y*z' }, { t: 'text', v: ' here' }]);
  });

  it('nests: bold inside an action, an action inside speech', () => {
    expect(tokenize('*a **b** c*')).toEqual([{ t: 'action', children: [{ t: 'text', v: 'a ' }, { t: 'bold', children: [{ t: 'text', v: 'b' }] }, { t: 'text', v: ' c' }] }]);
    const speech = tokenize('“I *mean* it”')[0]!;
    expect(speech.t).toBe('speech');
    expect(plainText([speech])).toBe('“I mean it”');
  });

  it('fenced code blocks keep their text verbatim, markers included', () => {
    expect(tokenize('Look:\n```js\nconst a = *b*;\n```\nafter')).toEqual([
      { t: 'text', v: 'Look:\n' },
      { t: 'codeblock', lang: 'js', v: 'const a = *b*;' },
      { t: 'text', v: 'after' },
    ]);
  });

  it('leaves unclosed or spaced markers as text', () => {
    for (const s of ['2 * 3 * 4', '*unclosed', 'a "quote', '``', '**', '```\nno end']) expect(plainText(tokenize(s))).toBe(s);
  });

  it('is linear on hostile input and bounded in depth', () => {
    const deep = '*'.repeat(5000) + 'x' + '*'.repeat(5000);
    expect(plainText(tokenize(deep)).includes('x')).toBe(true);
    const many = '"a" *b* '.repeat(20_000);
    expect(tokenize(many).length).toBeGreaterThan(1000);
  });
});

describe('RichText', () => {
  it('renders <script> and other HTML as text, never as markup', () => {
    const out = html('<script>alert(1)</script> <img src=x onerror=alert(1)> *<b>hi</b>*');
    expect(out).not.toContain('<script');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<b>');
    expect(out).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out).toContain('<em class="rt-action">&lt;b&gt;hi&lt;/b&gt;</em>');
  });

  it('renders the elements for each convention', () => {
    expect(html('*nods* **yes** "ok" `c`')).toBe('<em class="rt-action">nods</em> <strong>yes</strong> <span class="rt-speech">&quot;ok&quot;</span> <code class="rt-code">c</code>');
    expect(html('```\n<b>\n```')).toBe('<pre class="rt-codeblock"><code>&lt;b&gt;</code></pre>');
  });

  it('highlights find matches inside the text', () => {
    expect(html('A Lantern and a lantern', 'lantern')).toBe('A <mark>Lantern</mark> and a <mark>lantern</mark>');
  });
});

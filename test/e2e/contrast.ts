// A WCAG 2.x contrast check without axe-core (not installed here): for every visible element with
// text of its own under `root`, the contrast ratio of its computed colour against the background
// it is drawn on (ancestors' backgrounds composited until an opaque one). Disabled controls are
// exempt, as WCAG 1.4.3 says.
import type { Locator } from '@playwright/test';

export interface ContrastFailure {
  text: string;
  ratio: number;
  color: string;
  background: string;
}

export async function contrastFailures(root: Locator, minimum = 4.5): Promise<{ checked: number; failures: ContrastFailure[] }> {
  return root.evaluate((el, min) => {
    type RGBA = [number, number, number, number];
    const parse = (c: string): RGBA => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return [0, 0, 0, 0];
      const p = m[1]!.split(/[\s,/]+/).filter(Boolean).map(Number);
      return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
    };
    const over = (top: RGBA, below: RGBA): RGBA => {
      const a = top[3] + below[3] * (1 - top[3]);
      if (a === 0) return [0, 0, 0, 0];
      const ch = (i: number) => (top[i]! * top[3] + below[i]! * below[3] * (1 - top[3])) / a;
      return [ch(0), ch(1), ch(2), a];
    };
    const backgroundOf = (node: Element): RGBA => {
      const layers: RGBA[] = [];
      for (let n: Element | null = node; n; n = n.parentElement) {
        const bg = parse(getComputedStyle(n).backgroundColor);
        if (bg[3] > 0) layers.push(bg);
        if (bg[3] >= 1) break;
      }
      let out: RGBA = [255, 255, 255, 1]; // the canvas
      for (const l of layers.reverse()) out = over(l, out);
      return out;
    };
    const lum = (c: RGBA) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
    };
    const failures: { text: string; ratio: number; color: string; background: string }[] = [];
    let checked = 0;
    for (const node of [el, ...el.querySelectorAll('*')]) {
      const own = [...node.childNodes].filter((c) => c.nodeType === Node.TEXT_NODE).map((c) => c.textContent ?? '').join('').trim();
      if (!own) continue;
      const he = node as HTMLElement;
      if (he.offsetParent === null && getComputedStyle(he).position !== 'fixed') continue; // not rendered
      if ((he as HTMLButtonElement).disabled) continue;
      const bg = backgroundOf(node);
      const fg = over(parse(getComputedStyle(node).color), bg);
      const [a, b] = [lum(fg), lum(bg)];
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      checked++;
      if (ratio < min) failures.push({ text: own.slice(0, 60), ratio: Math.round(ratio * 100) / 100, color: getComputedStyle(node).color, background: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})` });
    }
    return { checked, failures };
  }, minimum);
}

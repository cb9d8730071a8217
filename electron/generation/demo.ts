// The offline demo generator: deterministic text for a given prompt and variant,
// streamed word by word at a configurable pace. Default provider; used by e2e.
import { setTimeout as sleep } from 'node:timers/promises';
import type { GenerateContext, Provider } from './provider.ts';

const SENTENCES = [
  'The tavern fire crackles as I consider your words.',
  'I lean back and smile, letting the silence stretch a moment.',
  'Outside, rain drums on the shutters like impatient fingers.',
  'That is a fine question, and it deserves a careful answer.',
  'I pour two cups of tea and slide one across the table.',
  'Somewhere a door creaks, and we both pretend not to notice.',
  'Let me tell you what I remember of that night.',
  'My cards are on the table, friend; the rest is up to you.',
];

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The full reply the demo would stream; exported so tests can assert the stored text. */
export function demoReply(ctx: Pick<GenerateContext, 'messages' | 'variant'>): string {
  const lastUser = [...ctx.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const seed = hash(`${lastUser}\u0000${ctx.variant}`);
  const picked = [0, 1, 2].map((i) => SENTENCES[(seed + i * 3) % SENTENCES.length]);
  const echo = lastUser.trim().slice(0, 80);
  return `${echo ? `“${echo}”, you say. ` : ''}${picked.join(' ')}`;
}

export function demoProvider(paceMs: number): Provider {
  return async function* demo(ctx) {
    const full = demoReply(ctx);
    // Continuing: the rest of the reply the prefix was cut from (or a fresh one if it was edited).
    const rest = ctx.prefix && full.startsWith(ctx.prefix) ? full.slice(ctx.prefix.length) : full;
    const words = rest.split(/(?<= )/).filter(Boolean);
    for (const word of words) {
      if (ctx.signal.aborted) return;
      if (paceMs > 0) {
        try {
          await sleep(paceMs, undefined, { signal: ctx.signal });
        } catch {
          return; // aborted while waiting
        }
      }
      yield word;
    }
  };
}

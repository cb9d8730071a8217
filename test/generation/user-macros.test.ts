// Issue 18: {{char}}/{{user}} (and <USER>/<BOT>) in the user's own messages are replaced in the
// prompt sent, as SillyTavern does; the history given (what the chat file holds) is not changed.
import { describe, expect, it } from 'vitest';
import { buildPrompt, type HistoryMessage, type PromptSettings } from '../../electron/generation/prompt/builder.ts';

const SETTINGS: PromptSettings = { personaName: 'Ann', personaDescription: '', mainPrompt: 'Main.', contextTokens: 4096, maxTokens: 256 };

describe('macros in the user\'s own text', () => {
  it('are replaced in the prompt; the stored text and other roles are left as written', () => {
    const history: HistoryMessage[] = [
      { role: 'user', content: 'Hello {{char}}, I am {{ User }}. <BOT>? {{original}} {{random}}' },
      { role: 'assistant', content: 'I quote you: "{{user}}"' },
      { role: 'user', content: '{{user}} waves at {{char}}.' },
    ];
    const copy = structuredClone(history);
    const { messages } = buildPrompt({ card: { name: 'Seraphina' }, settings: SETTINGS, history });
    const sent = messages.filter((m) => m.role !== 'system').map((m) => m.content);
    expect(sent).toEqual(['Hello Seraphina, I am Ann. Seraphina? {{original}} {{random}}', 'I quote you: "{{user}}"', 'Ann waves at Seraphina.']);
    expect(history).toEqual(copy);
  });

  it('one pass: a persona name holding a macro stays literal', () => {
    const { messages } = buildPrompt({ card: { name: '{{user}}' }, settings: { ...SETTINGS, personaName: '{{char}}' }, history: [{ role: 'user', content: '{{char}} and {{user}}' }] });
    expect(messages.at(-1)!.content).toBe('{{user}} and {{char}}');
  });
});

// Impersonate: the prompt that asks the model for the user's next message. SillyTavern's default
// impersonation prompt, sent last, after the chat as it would be sent for a reply.
import type { PromptMessage } from '../provider.ts';
import { replaceMacros } from './macros.ts';

export const IMPERSONATION_PROMPT =
  "[Write your next reply from the point of view of {{user}}, using the chat history so far as a guideline for the writing style of {{user}}. Don't write as {{char}} or system. Don't describe actions of {{char}}.]";

export function impersonationPrompt(prompt: readonly PromptMessage[], charName: string, userName: string): PromptMessage[] {
  return [...prompt, { role: 'system', content: replaceMacros(IMPERSONATION_PROMPT, { char: charName, user: userName }) }];
}

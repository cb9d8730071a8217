// A new chat opens with the character's first message; the alternate greetings are its swipes.
import { LIMITS, type ChatSummary, type CreateChatInput, type NewMessageInput } from '../../../shared/chat-format.ts';
import type { ChatStore } from '../../store/types.ts';
import type { PromptCard } from './card.ts';
import { replaceMacros } from './macros.ts';

/** The greeting to store as a new chat's first message, or undefined when the card has no first_mes. */
export function greetingMessage(card: PromptCard | undefined, personaName: string): NewMessageInput | undefined {
  if (!card?.first_mes?.trim()) return undefined;
  const v = { char: card.name, user: personaName };
  const alternates = (card.alternate_greetings ?? []).filter((g) => g.trim().length > 0);
  const swipes = [card.first_mes, ...alternates].slice(0, LIMITS.swipes).map((g) => replaceMacros(g, v));
  return { role: 'assistant', content: swipes[0]!, swipes, swipe_id: 0, status: 'complete', name: card.name.slice(0, LIMITS.titleChars) };
}

/**
 * Creates a chat and, when the character's card has a first_mes, stores the greeting as its
 * first message. The chat exists even if the greeting cannot be stored (it is reported).
 */
export async function createChatWithGreeting(
  store: Pick<ChatStore, 'createChat' | 'appendMessage' | 'getChat'>,
  input: CreateChatInput,
  greeting: () => Promise<NewMessageInput | undefined>,
  onGreetingError: (e: unknown) => void,
): Promise<ChatSummary> {
  const summary = await store.createChat(input);
  try {
    const message = await greeting();
    if (!message) return summary;
    await store.appendMessage(summary.chatId, message);
    return await store.getChat(summary.chatId);
  } catch (e) {
    onGreetingError(e);
    return summary;
  }
}

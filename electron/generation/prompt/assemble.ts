// The request a reply would send, from the store: the chat's newest history (paged back to fill the
// budget, hidden messages left out), its card, its author's note and the settings. Generation sends
// what this returns; the prompt viewer shows it, so what the user sees is what is sent.
import { StoreError } from '../../../shared/errors.ts';
import { isHidden, type Message } from '../../../shared/chat-format.ts';
import type { ChatStore } from '../../store/types.ts';
import type { GenerationSettings } from '../generation-settings.ts';
import { authorsNoteOf } from './authors-note.ts';
import { buildPrompt, historyBudget, type BuiltPrompt } from './builder.ts';
import type { LoadCard, PromptCard } from './card.ts';
import { extendHistory } from './history.ts';

/** The first page read; older pages follow while the budget has room (history.ts). */
export const CONTEXT_MESSAGES = 50;

export type AssembleRequest = { chatId: string } & ({ mode: 'new' } | { mode: 'swipe' | 'continue'; messageId: string });

export interface AssembledPrompt {
  built: BuiltPrompt;
  card: PromptCard;
  settings: GenerationSettings;
  /** The swipe the reply writes (swipe: the next one; continue: the selected one). */
  variant: number;
  /** Continue: the reply's text so far. */
  prefix: string;
  /** Hidden messages met while reading the history (left out of the prompt). */
  hiddenLeftOut: number;
  /** The chat's character. */
  characterId: string;
}

/** Who the user is in a chat (its persona): `{{user}}` and the persona part of the prompt. */
export type ChatPersona = (chatId: string) => Promise<{ name: string; description: string }>;

export async function assemblePrompt(
  deps: { store: Pick<ChatStore, 'loadChat' | 'getChat' | 'getChatMetadata'>; settings: { get(): Promise<GenerationSettings> }; loadCard?: LoadCard | undefined; persona?: ChatPersona | undefined },
  req: AssembleRequest,
): Promise<AssembledPrompt> {
  const { chatId } = req;
  const page = await deps.store.loadChat(chatId, { limit: CONTEXT_MESSAGES });
  if (page.readOnly) throw new StoreError('READ_ONLY', 'this chat is read-only');
  let history: Message[] = page.messages;
  let variant = 0;
  let prefix = '';
  if (req.mode !== 'new') {
    const idx = history.findIndex((m) => m.id === req.messageId);
    const target = history[idx];
    if (!target) throw new StoreError('NOT_FOUND', 'only one of the newest messages can get a new swipe or be continued');
    if (target.role !== 'assistant') throw new StoreError('INVALID_INPUT', 'only assistant messages can be regenerated or continued');
    if (req.mode === 'swipe') {
      history = history.slice(0, idx);
      variant = target.swipes?.length ?? 1;
    } else {
      if (idx !== history.length - 1) throw new StoreError('INVALID_INPUT', 'only the last message can be continued');
      prefix = target.content;
      variant = target.swipe_id ?? 0;
      history = history.slice(0, idx + 1);
    }
  }
  // The card, the persona, the author's note and the newest history that fits the context budget.
  const [base, summary, metadata, persona] = await Promise.all([deps.settings.get(), deps.store.getChat(chatId), deps.store.getChatMetadata(chatId), deps.persona?.(chatId)]);
  const settings = persona ? { ...base, personaName: persona.name, personaDescription: persona.description } : base;
  const card = (await deps.loadCard?.(summary.characterId)) ?? { name: 'Character' };
  const authorsNote = authorsNoteOf(metadata);
  const continuing = req.mode === 'continue';
  const budget = historyBudget({ card, settings, continuing, authorsNote });
  const keepId = continuing ? req.messageId : undefined;
  let hiddenLeftOut = 0;
  const counted = (ms: Message[]) => {
    for (const m of ms) if (m.id !== keepId && isHidden(m)) hiddenLeftOut++;
  };
  history = await extendHistory(deps.store, chatId, { history, hasMore: page.hasMore, oldestId: page.messages[0]?.id }, budget, keepId, counted);
  const built = buildPrompt({ card, settings, history, continuing, authorsNote });
  return { built, card, settings, variant, prefix, hiddenLeftOut, characterId: summary.characterId };
}

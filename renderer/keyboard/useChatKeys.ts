// Chat keyboard shortcuts: ←/→ switch swipes of the last reply (when not typing), ↑ in an empty
// composer edits your last message. Esc in an edit box cancels it (MessageView handles that).
import { useEffect, useRef } from 'react';

export interface ChatKeys {
  /** -1 or +1: the previous or next swipe of the last reply. */
  onSwipe(delta: -1 | 1): void;
  onEditLast(): void;
}

/** The composer textarea carries this attribute. */
export const COMPOSER_ATTR = 'data-composer';

function isTyping(el: EventTarget | null): el is HTMLElement {
  if (!(el instanceof HTMLElement)) return false;
  return el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || (el.tagName === 'INPUT' && (el as HTMLInputElement).type !== 'checkbox' && (el as HTMLInputElement).type !== 'button');
}

export function useChatKeys(keys: ChatKeys, enabled: boolean): void {
  const ref = useRef(keys);
  ref.current = keys;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey || e.isComposing) return;
      const t = e.target;
      const emptyComposer = t instanceof HTMLTextAreaElement && t.hasAttribute(COMPOSER_ATTR) && t.value === '';
      if (e.key === 'ArrowUp' && emptyComposer) {
        e.preventDefault();
        ref.current.onEditLast();
      } else if ((e.key === 'ArrowLeft' || e.key === 'ArrowRight') && (emptyComposer || !isTyping(t))) {
        e.preventDefault();
        ref.current.onSwipe(e.key === 'ArrowLeft' ? -1 : 1);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}

// The bar above the chat: its title, the backups and find buttons, and the save state.
import type { ReactNode } from 'react';
import { SaveIndicator } from '../components/StatusBits.tsx';
import type { SaveState } from '../save-state.ts';

export function ChatHeader(props: {
  title: string;
  chatId: string | null;
  save: SaveState;
  /** A reply is being generated: not everything is saved yet. */
  busy: boolean;
  onToggleBackups(): void;
  onFind(): void;
  /** Opens the prompt viewer (and the chat's author's note). */
  onPrompt(): void;
  /** More controls for the open chat (its persona). */
  extra?: ReactNode;
}) {
  const { title, chatId, save, busy } = props;
  return (
    <header className="chat-header">
      <span className="chat-heading" data-testid="chat-title">
        {title}
      </span>
      {chatId && (
        <button type="button" className="backups-button" onClick={props.onToggleBackups}>
          Backups
        </button>
      )}
      {chatId && (
        <button type="button" className="prompt-button" title="What the next reply's request sends" onClick={props.onPrompt}>
          Prompt
        </button>
      )}
      {chatId && props.extra}
      <button className="find-open" title="Find in chat (Ctrl+F)" aria-label="Open find" disabled={!chatId} onClick={props.onFind}>
        Find
      </button>
      <SaveIndicator
        status={save.status(busy)}
        {...(save.retryAll ? { onRetry: save.retryAll } : {})}
        {...(save.failures.length ? { title: save.failures.map((f) => f.message).join('\n') } : {})}
      />
    </header>
  );
}

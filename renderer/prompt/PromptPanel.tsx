// The prompt viewer: exactly what the next reply's request would send (main builds it with the
// code generation uses: previewPrompt), message by message and part by part (system prompt, card
// fields, lorebook entries, author's note, history), with token counts against the budget. Also
// the chat's author's note, saved with the chat.
import { useCallback, useEffect, useState } from 'react';
import type { AuthorsNoteData, CardsharkApi, PromptPreview } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

const KIND_LABELS: Record<string, string> = {
  main_prompt: 'System prompt',
  card: 'Card',
  persona: 'Persona',
  lorebook: 'Lorebook',
  examples: 'Examples',
  authors_note: "Author's note",
  depth_prompt: 'Depth prompt',
  history: 'History',
  post_history: 'Post-history',
};

export function PromptPanel({ api, chatId, onClose }: { api: CardsharkApi; chatId: string; onClose(): void }) {
  const [preview, setPreview] = useState<PromptPreview | null>(null);
  const [note, setNote] = useState<AuthorsNoteData | null>(null);
  const [saving, setSaving] = useState(false);

  const refresh = useCallback(async () => {
    const r = await api.previewPrompt({ chatId });
    if (r.ok) setPreview(r.data);
    else pushNotice({ level: 'error', code: r.error.code, message: `Building the prompt: [${r.error.code}] ${r.error.message}` });
  }, [api, chatId]);

  useEffect(() => {
    let live = true;
    void api.getAuthorsNote({ chatId }).then((r) => {
      if (!live) return;
      if (r.ok) setNote(r.data);
      else pushNotice({ level: 'error', code: r.error.code, message: `Reading the author's note: [${r.error.code}] ${r.error.message}` });
    });
    void refresh();
    return () => {
      live = false;
    };
  }, [api, chatId, refresh]);

  async function saveNote() {
    if (!note) return;
    setSaving(true);
    const r = await api.setAuthorsNote({ chatId, note });
    setSaving(false);
    if (!r.ok) pushNotice({ level: 'error', code: r.error.code, message: `Saving the author's note: [${r.error.code}] ${r.error.message}` });
    else void refresh();
  }

  return (
    <div className="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className="modal prompt-panel" role="dialog" aria-label="Prompt" onKeyDown={(e) => e.key === 'Escape' && onClose()}>
        <form
          className="authors-note"
          onSubmit={(e) => {
            e.preventDefault();
            void saveNote();
          }}
        >
          <fieldset disabled={!note}>
            <legend>Author's note (this chat)</legend>
            <textarea aria-label="Author's note" rows={3} value={note?.text ?? ''} maxLength={20_000} onChange={(e) => note && setNote({ ...note, text: e.target.value })} />
            <div className="row">
              <label>
                Depth (messages from the newest)
                <input aria-label="Author's note depth" type="number" min={0} max={10_000} value={note?.depth ?? 4} onChange={(e) => note && setNote({ ...note, depth: Math.max(0, Math.min(10_000, Math.floor(Number(e.target.value) || 0))) })} />
              </label>
              <label>
                Role
                <select aria-label="Author's note role" value={note?.role ?? 'system'} onChange={(e) => note && setNote({ ...note, role: e.target.value as AuthorsNoteData['role'] })}>
                  <option value="system">system</option>
                  <option value="user">user</option>
                  <option value="assistant">assistant</option>
                </select>
              </label>
              <button type="submit" disabled={saving}>
                {saving ? 'Saving…' : 'Save note'}
              </button>
            </div>
          </fieldset>
        </form>
        <header className="row">
          <strong className="grow">Next request</strong>
          <button type="button" onClick={() => void refresh()}>
            Refresh
          </button>
          <button type="button" className="close" onClick={onClose}>
            Close
          </button>
        </header>
        {preview && <PromptView preview={preview} />}
      </div>
    </div>
  );
}

function PromptView({ preview }: { preview: PromptPreview }) {
  const over = preview.totalTokens > preview.budget;
  return (
    <div className="prompt-view" data-testid="prompt-view">
      <p className={over ? 'prompt-total over' : 'prompt-total'} data-testid="prompt-total">
        {preview.totalTokens.toLocaleString()} of {preview.budget.toLocaleString()} tokens ({preview.tokenCounter === 'estimate' ? 'estimate' : preview.tokenCounter === 'gpt-tokenizer' ? 'estimate by gpt-tokenizer' : `counted by ${preview.tokenCounter}`}) · {preview.messages.length} messages · history {preview.historyKept} sent
        {preview.historyDropped ? `, ${preview.historyDropped} older left out for the budget` : ''}
        {preview.hiddenLeftOut ? ` · ${preview.hiddenLeftOut} hidden left out` : ''} · lorebook {preview.lore.length ? preview.lore.map((l) => l.name).join(', ') : 'none active'}
      </p>
      <p className="chat-meta">
        {preview.tokenCounter === 'estimate'
          ? "Counts are CardShark's estimate (about four characters a token); the model's own tokenizer may count differently."
          : preview.tokenCounter === 'gpt-tokenizer'
            ? `Message counts are gpt-tokenizer's (OpenAI's o200k encoding; the endpoint has no tokenizer API), plus ${4} tokens of framing each: exact for OpenAI's models, an estimate for others. The parts' counts are CardShark's estimate.`
            : `Message counts come from the endpoint's tokenizer (${preview.tokenCounter}), plus ${4} tokens of framing each; the parts' counts are CardShark's estimate.`}
      </p>
      <ol className="prompt-messages">
        {preview.messages.map((m, i) => {
          const parts = preview.parts.filter((p) => p.message === i);
          return (
            <li key={i} className={`prompt-message role-${m.role}`} data-testid="prompt-message">
              <div className="row prompt-message-head">
                <span className="grow">
                  <b>{m.role}</b> · {parts.map((p) => (p.kind === 'history' ? KIND_LABELS.history : p.label) + (p.depth !== undefined ? ` @${p.depth}` : '')).join(' + ')}
                </span>
                <span>{m.tokens} tokens</span>
              </div>
              {parts.length > 1 ? (
                parts.map((p, j) => (
                  <details key={j} data-kind={p.kind}>
                    <summary>
                      {p.label} · {p.tokens} tokens
                    </summary>
                    <pre>{p.content}</pre>
                  </details>
                ))
              ) : (
                <pre data-kind={parts[0]?.kind}>{m.content}</pre>
              )}
            </li>
          );
        })}
      </ol>
    </div>
  );
}

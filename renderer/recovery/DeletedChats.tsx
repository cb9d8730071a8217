// "Recently deleted": chats in the trash, each restorable.
import { useCallback, useEffect, useState } from 'react';
import type { CardsharkApi, TrashedChatOut } from '../../shared/ipc-contract.ts';
import { pushNotice } from '../notices.ts';

export function DeletedChats({ api, refreshKey, onRestored }: { api: CardsharkApi; refreshKey: unknown; onRestored: (chatId: string, characterId: string) => void }) {
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<TrashedChatOut[]>([]);
  const load = useCallback(() => {
    void api.listDeletedChats({}).then((r) => {
      if (r.ok) setItems(r.data);
    });
  }, [api]);
  useEffect(() => {
    if (open) load();
  }, [open, load, refreshKey]);

  async function undelete(t: TrashedChatOut) {
    // This row's copy, by its own id: one chat can be in the trash more than once.
    const r = await api.undeleteChat({ chatId: t.chatId, trashId: t.trashId });
    if (!r.ok) {
      pushNotice({ level: 'error', code: r.error.code, message: `Restoring the chat: [${r.error.code}] ${r.error.message}` });
      return;
    }
    load();
    if (r.data.chatId !== t.chatId) pushNotice({ level: 'info', message: `"${r.data.title}" is in the chat list already; the copy deleted ${new Date(t.deletedAt).toLocaleString()} was restored beside it as a separate chat.` });
    onRestored(r.data.chatId, r.data.characterId);
  }

  return (
    <details className="deleted-chats" open={open} onToggle={(e) => setOpen((e.target as HTMLDetailsElement).open)}>
      <summary>Recently deleted</summary>
      {items.length === 0 ? (
        <div className="empty-small">Nothing deleted.</div>
      ) : (
        <ul>
          {items.map((t) => (
            <li key={t.trashId} data-testid="deleted-chat">
              <span>{`${t.title ?? 'Unreadable chat'} · ${t.messageCount ?? '?'} message(s) · deleted ${new Date(t.deletedAt).toLocaleString()}`}</span>
              <button type="button" onClick={() => void undelete(t)}>
                Undelete
              </button>
            </li>
          ))}
        </ul>
      )}
    </details>
  );
}

// Keeps both sides when a chat's file changed outside the app and the app's version is not all in
// it: a reply was streaming (the reply so far exists only in memory and in the replaced file), or
// the outside version lacks messages the app had saved (an older copy renamed over the chat). The
// outside file stays exactly as it is; the app's version (what it last wrote, kept by the store even
// after its log was closed: store/chats/own-versions.ts) goes into a new chat titled
// "… (conflict copy)", written in one atomic import. The user is told. Nothing is overwritten. If
// even that write fails, the app's version goes into a plain-text file under <data>/rescue/.
// When another program only added to the chat, there is nothing to keep. When all the outside
// version lacks is whole messages of the app's (a sync tool's version from a computer that never had
// them), they are merged back into the chat instead (store.mergeMessagesBack), the replaced file
// kept in backups/, and the user is told quietly.
import path from 'node:path';
import type { Message } from '../../shared/chat-format.ts';
import type { StreamInfo } from '../../shared/ipc-contract.ts';
import { LIMITS } from '../../shared/chat-format.ts';
import { StoreError } from '../../shared/errors.ts';
import { atomicRewrite, mkdirDurable, sha256 } from '../durable/durable.ts';
import { nodeFs } from '../durable/fs-seam.ts';
import type { AppVersion, ChatStore } from '../store/types.ts';
import { chatIdFromHash, copyableMessage } from '../store/import-chat.ts';
import type { Emit } from '../generation/manager.ts';

export interface ConflictKeeper {
  /**
   * Makes the conflict copy (once per call); resolves with the copy's chat id, or null if there was
   * nothing to keep. `characterId`: the chat's character, where a reply goes even when nothing of
   * the chat itself is left to read (its file deleted, and the chat gone from the store's list).
   */
  keep(chatId: string, reply: StreamInfo | undefined, characterId?: string): Promise<string | null>;
  /** The copy being made for this chat, if any: the watcher waits for it before re-reading the chat. */
  pending(chatId: string): Promise<unknown> | undefined;
}

/** The app's messages with the reply so far applied, as the app would have stored them. */
export function withReply(messages: Message[], reply: StreamInfo | undefined): Message[] {
  const out = messages.map((m) => structuredClone(m));
  if (!reply?.messageId || !reply.text) return out;
  const i = out.findIndex((m) => m.id === reply.messageId);
  const m = out[i];
  if (reply.mode === 'new') {
    const msg: Message = { id: reply.messageId, role: 'assistant', content: reply.text, timestamp: m?.timestamp ?? Date.now(), status: 'interrupted' };
    if (m) out[i] = msg;
    else out.push(msg);
  } else if (m) {
    const swipes = m.swipes ? [...m.swipes] : [m.content];
    if (reply.mode === 'continue' || m.status === 'streaming') swipes[m.swipe_id ?? swipes.length - 1] = reply.text; // the stored part is a prefix of the reply
    else swipes.push(reply.text);
    const sel = reply.mode === 'continue' || m.status === 'streaming' ? (m.swipe_id ?? swipes.length - 1) : swipes.length - 1;
    out[i] = { ...m, content: reply.text, swipes, swipe_id: sel, status: 'interrupted' };
  }
  return out;
}

export function createConflictKeeper(deps: { store: ChatStore; emit: Emit; log?: (m: string) => void }): ConflictKeeper {
  const log = deps.log ?? ((m: string) => console.warn(`[conflict] ${m}`));
  const running = new Map<string, Promise<string | null>>();

  async function make(chatId: string, reply: StreamInfo | undefined, characterId: string | undefined): Promise<string | null> {
    const versions = await deps.store.appVersions(chatId);
    if (!reply?.text && (await mergedBack(chatId, versions))) return null;
    const latest = versions.at(-1);
    // Earlier versions the file lost, then the latest: with the reply so far, or if the file lost it.
    const copies: { version: AppVersion | null; reply?: StreamInfo }[] = versions.filter((v) => v !== latest && !v.inFile).map((version) => ({ version }));
    if (reply?.text) copies.push({ version: latest ?? null, reply });
    else if (latest && !latest.inFile) copies.push({ version: latest });
    if (copies.length === 0) return null; // the file holds everything the app had saved, and no reply was being written
    let copyId: string | null = null;
    for (const c of copies) copyId = (await copyOf(chatId, c.version, c.reply, characterId)) ?? copyId;
    return copyId;
  }

  /**
   * When all the file lacks of the app's versions is whole messages (another program, a sync tool,
   * put a version there that never had them; every other message is in it as the app had it), those
   * messages are merged back into the chat instead of a conflict copy, and the user is told quietly.
   * False when a copy is still needed: the file changed a message the app had, or the merge could not
   * be made now (another program still writing): then the copy keeps both, as before.
   */
  async function mergedBack(chatId: string, versions: AppVersion[]): Promise<boolean> {
    const lost = versions.filter((v) => !v.inFile);
    if (lost.length === 0 || !lost.every((v) => v.missing)) return false;
    // A rename the file lost is not a message: a copy keeps it (and a version that differs from the
    // file in nothing but messages the app deleted, or its title, is for a copy too).
    const title = (await deps.store.getChat(chatId).catch(() => null))?.title;
    if (title === undefined || lost.some((v) => v.title !== title)) return false;
    const byId = new Map<string, Message>();
    for (const v of lost) for (const m of v.missing!) byId.set(m.id, m); // the newest version's last
    if (byId.size === 0) return false;
    try {
      const { summary, merged } = await deps.store.mergeMessagesBack(chatId, [...byId.values()]);
      log(`chat ${chatId}: ${merged} message(s) of the app's that another program's version lacked were merged back in`);
      deps.emit('chat:changed', { chatId, characterId: summary.characterId, summary, source: 'app' });
      deps.emit('notice', { level: 'info', message: `"${summary.title}": merged ${merged} message${merged === 1 ? '' : 's'} back in that another copy of the chat (another computer, or another program) did not have.` });
      return true;
    } catch (e) {
      log(`the app's messages could not be merged back into chat ${chatId} (${String((e as Error)?.message ?? e)}); a conflict copy keeps them`);
      return false;
    }
  }

  /** One version as a new chat, in one atomic write; if that fails, as a rescue text file. */
  async function copyOf(chatId: string, version: AppVersion | null, reply: StreamInfo | undefined, characterId: string | undefined): Promise<string | null> {
    const title = version?.title ?? `Chat ${chatId.slice(0, 8)}`;
    const messages = withReply(version?.messages ?? [], reply).map(copyableMessage);
    // A reply whose message the version lacks still reaches the copy (or the rescue file).
    if (reply?.text && !messages.some((m) => m.id === reply.messageId)) messages.push({ id: reply.messageId, role: 'assistant', content: reply.text, timestamp: Date.now(), status: 'interrupted' });
    const copyTitle = `${title.slice(0, LIMITS.titleChars - 20)} (conflict copy)`;
    const why = reply ? 'while a reply was being written' : 'and its file no longer holds messages the app had saved';
    try {
      // Nothing of the chat left to read (its file deleted outside the app): the reply alone, in its character's folder.
      const folder = version?.characterId ?? (reply?.text ? characterId : undefined);
      if (!folder) throw new Error(`the app's version of the chat is no longer readable`);
      // The id is derived from the content: the same version kept twice is one copy.
      const copyId = chatIdFromHash(sha256(`${chatId}\n${JSON.stringify(messages)}`));
      const summary = await deps.store
        .importChat({ chatId: copyId, characterId: folder, title: copyTitle, metadata: { conflict_copy_of: chatId }, created: Date.now(), messages })
        .catch((e: unknown) => (e instanceof StoreError && e.details?.reason === 'exists' ? null : Promise.reject(e)));
      if (!summary) return copyId; // made before, and told then
      log(`chat ${chatId} changed outside the app ${why}; the app's version is chat ${copyId}`);
      deps.emit('chat:changed', { chatId: copyId, characterId: summary.characterId, summary, source: 'app' });
      deps.emit('notice', {
        level: 'warning',
        code: 'CONFLICT',
        message: `"${title}" was changed by another program ${why}. The file was left as that program saved it; the app's version${reply ? ', with the reply,' : ''} was saved as "${copyTitle}". Nothing was overwritten.`,
      });
      return copyId;
    } catch (e) {
      const reason = String((e as Error)?.message ?? e);
      log(`the conflict copy of chat ${chatId} could not be made: ${reason}`);
      const file = await rescue(deps.store.dataDir, chatId, title, messages, reason).catch((re: unknown) => {
        log(`the app's version of chat ${chatId} could not be rescued either: ${String(re)}`);
        return null;
      });
      deps.emit('notice', {
        level: 'error',
        code: 'CONFLICT',
        message: file
          ? `"${title}" was changed by another program ${why}, and the app's version could not be saved as a chat (${reason}). Its text was saved in the data folder as ${path.relative(deps.store.dataDir, file)}.`
          : `"${title}" was changed by another program ${why}, and the app's version could not be saved (${reason}).`,
      });
      return null;
    }
  }

  return {
    keep(chatId, reply, characterId) {
      const prev = running.get(chatId) ?? Promise.resolve(null);
      const p = prev
        .catch(() => null)
        .then(() => make(chatId, reply, characterId))
        .catch((e: unknown) => {
          log(`the app's version of chat ${chatId} could not be compared with the file: ${String(e)}`);
          deps.emit('notice', { level: 'error', code: 'CONFLICT', message: `Chat ${chatId.slice(0, 8)} was changed by another program, and the app's version could not be read to keep it: ${String((e as Error)?.message ?? e)}` });
          return null;
        });
      running.set(chatId, p);
      void p.finally(() => {
        if (running.get(chatId) === p) running.delete(chatId);
      });
      return p;
    },
    pending: (chatId) => running.get(chatId),
  };
}

/** The app's version as plain text under <data>/rescue/ (durable: temp file, fsync, rename): the last resort. */
async function rescue(dataDir: string, chatId: string, title: string, messages: Message[], reason: string): Promise<string> {
  const dir = path.join(dataDir, 'rescue');
  await mkdirDurable(dir);
  const file = path.join(dir, `${chatId}-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`);
  const lines = [`CardShark: the app's version of "${title}" (chat ${chatId}), kept here because it could not be saved as a chat (${reason}).`, ''];
  for (const m of messages) lines.push(`[${m.role}${m.name ? `: ${m.name}` : ''}]`, m.content, '');
  await atomicRewrite(nodeFs, file, lines.join('\n'));
  return file;
}

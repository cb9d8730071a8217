// The crash harness's model of what the store must hold: a pure snapshot, and the ops that change it.
export interface ChatSnap {
  title: string;
  /** Live messages in order: [id, content, swipe count]. */
  messages: [string, string, number][];
}
export type Snapshot = Record<string, ChatSnap>;

export type Op =
  | { t: 'create'; chatId?: string; title: string }
  | { t: 'append'; chat: string; id: string; content: string }
  /** appendMessages: all of them, or (killed in flight) none. */
  | { t: 'batch'; chat: string; ids: string[]; content: string }
  /** appendText: a stream checkpoint. */
  | { t: 'appendText'; chat: string; id: string; content: string }
  | { t: 'edit'; chat: string; id: string; content: string }
  | { t: 'swipe'; chat: string; id: string; content: string }
  | { t: 'delete'; chat: string; id: string }
  | { t: 'rename'; chat: string; title: string }
  | { t: 'compact'; chat: string }
  /** branchChat: a new chat (its id reported once acknowledged) holding `chat` up to `at`; the parent unchanged. */
  | { t: 'branch'; chat: string; at: string; title: string; chatId?: string };

/** What a branch of `parent` at message `at` holds. */
export function branchOf(parent: ChatSnap, at: string, title: string): ChatSnap {
  const i = parent.messages.findIndex((m) => m[0] === at);
  if (i === -1) throw new Error(`model: branch at unknown message ${at}`);
  return { title, messages: structuredClone(parent.messages.slice(0, i + 1)) };
}

/** Applies an acknowledged (or possibly applied) op to a copy of the snapshot. */
export function applyOp(snap: Snapshot, op: Op): Snapshot {
  const next: Snapshot = structuredClone(snap);
  if (op.t === 'create') {
    if (op.chatId) next[op.chatId] = { title: op.title, messages: [] };
    return next;
  }
  const chat = next[op.chat];
  if (!chat) throw new Error(`model: op on unknown chat ${op.chat}`);
  const i = 'id' in op ? chat.messages.findIndex((m) => m[0] === op.id) : -1;
  switch (op.t) {
    case 'branch':
      if (op.chatId) next[op.chatId] = branchOf(chat, op.at, op.title);
      break;
    case 'batch':
      for (const id of op.ids) chat.messages.push([id, op.content, 1]);
      break;
    case 'appendText':
      chat.messages[i]![1] += op.content;
      break;
    case 'append':
      chat.messages.push([op.id, op.content, 1]);
      break;
    case 'edit':
      chat.messages[i]![1] = op.content;
      break;
    case 'swipe':
      chat.messages[i]![1] = op.content;
      chat.messages[i]![2]++;
      break;
    case 'delete':
      chat.messages.splice(i, 1);
      break;
    case 'rename':
      chat.title = op.title;
      break;
    case 'compact':
      break;
  }
  return next;
}

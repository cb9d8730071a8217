// Crash-harness child: runs a random workload against the store and reports each operation
// on stdout before it starts ("B <lane>") and after it is acknowledged ("A <lane>"). The parent SIGKILLs it.
import { writeSync } from 'node:fs';
import { openChatStore } from '../../electron/store/index.ts';
import { snapshotStore } from './snapshot.ts';
import type { Op } from './model.ts';

const [dataDir, seedArg] = process.argv.slice(2);
let seed = Number(seedArg) >>> 0 || 1;
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
const WORDS = 'the dragon whispered softly across moonlit ruins while ancient bells rang — café naïve 🐉 "quoted" line\\break'.split(' ');
const text = () => Array.from({ length: 1 + Math.floor(rand() * 60) }, () => pick(WORDS)).join(' ');
const say = (line: string) => writeSync(1, `${line}\n`);

const store = await openChatStore({ dataDir: dataDir!, backupRetention: 2, compactMinBytes: 0 });
const snap = await snapshotStore(store, ['hero', 'villain']);
const chats = new Map(Object.entries(snap).map(([id, c]) => [id, c.messages.map((m) => m[0])]));
say('READY');

// Several lanes run at once, each on a chat no other lane is using, so the store's queues and
// files are exercised concurrently while every chat still has at most one operation in flight.
const LANES = 3;
const busy = new Set<string>();
let n = 0;

async function lane(laneId: number): Promise<never> {
  for (;;) {
    const k = n++;
    const free = [...chats.keys()].filter((id) => !busy.has(id));
    const r = rand();
    let op: Op;
    // New chats stop at 40, so a long run grows chats rather than the per-round check's cost.
    if (free.length === 0 || (r < 0.02 && chats.size < 40)) op = { t: 'create', title: `chat ${k}` };
    else {
      const chat = pick(free);
      const ids = chats.get(chat)!;
      if (r < 0.47 || ids.length === 0) op = { t: 'append', chat, id: `m${seed.toString(36)}${k}`, content: text() };
      else if (r < 0.55) op = { t: 'batch', chat, ids: Array.from({ length: 2 + Math.floor(rand() * 4) }, (_, j) => `b${seed.toString(36)}${k}-${j}`), content: text() };
      else if (r < 0.64) op = { t: 'edit', chat, id: pick(ids), content: text() };
      else if (r < 0.7) op = { t: 'appendText', chat, id: pick(ids), content: text() };
      else if (r < 0.8) op = { t: 'swipe', chat, id: pick(ids), content: text() };
      else if (r < 0.9) op = { t: 'delete', chat, id: pick(ids) };
      else if (r < 0.93) op = { t: 'rename', chat, title: `title ${k}` };
      else if (r < 0.965 && chats.size < 40) op = { t: 'branch', chat, at: pick(ids), title: `branch ${k}` };
      else op = { t: 'compact', chat };
    }
    if ('chat' in op) busy.add(op.chat);
    say(`B ${laneId} ${JSON.stringify(op)}`);
    await perform(op, k);
    say(`A ${laneId} ${JSON.stringify(op)}`);
    if ('chat' in op) busy.delete(op.chat);
  }
}

async function perform(op: Op, k: number): Promise<void> {
  switch (op.t) {
    case 'create': {
      const s = await store.createChat({ characterId: rand() < 0.5 ? 'hero' : 'villain', title: op.title });
      op.chatId = s.chatId;
      chats.set(s.chatId, []);
      break;
    }
    case 'append':
      await store.appendMessage(op.chat, { id: op.id, role: k % 2 ? 'assistant' : 'user', content: op.content });
      chats.get(op.chat)!.push(op.id);
      break;
    case 'batch':
      await store.appendMessages(op.chat, op.ids.map((id) => ({ id, role: 'user' as const, content: op.content })));
      chats.get(op.chat)!.push(...op.ids);
      break;
    case 'edit':
      await store.updateMessage(op.chat, op.id, { content: op.content });
      break;
    case 'appendText':
      await store.appendText(op.chat, op.id, op.content);
      break;
    case 'swipe':
      await store.updateMessage(op.chat, op.id, { addSwipe: op.content });
      break;
    case 'delete':
      await store.deleteMessage(op.chat, op.id);
      chats.set(op.chat, chats.get(op.chat)!.filter((x) => x !== op.id));
      break;
    case 'rename':
      await store.renameChat(op.chat, op.title);
      break;
    case 'compact':
      await store.compactChat(op.chat);
      break;
    case 'branch': {
      const s = await store.branchChat(op.chat, op.at, { title: op.title });
      op.chatId = s.chatId;
      const ids = chats.get(op.chat)!;
      chats.set(s.chatId, ids.slice(0, ids.indexOf(op.at) + 1));
      break;
    }
  }
}

await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i)));

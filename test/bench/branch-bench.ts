// branch_100k_ms (issue 18): "Branch from here" at the newest message of the big chat, in a warm
// store (its log open, as in the app): one read of the parent, one scan, one atomic verified write.
// Each branch is deleted (then the trash emptied) so the later benches see the data dir unchanged.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { openChatStore } from '../../electron/store/index.ts';

export async function measureBranch(o: { dataDir: string; chatId: string; characterId: string; runs: number }): Promise<{ ms: number[]; messages: number }> {
  const store = await openChatStore({ dataDir: o.dataDir });
  const ms: number[] = [];
  let messages = 0;
  try {
    const newest = (await store.loadChat(o.chatId, { limit: 1 })).messages[0];
    if (!newest) throw new Error('branch bench: the big chat is empty');
    const parent = await store.getChat(o.chatId);
    for (let i = 0; i <= o.runs; i++) {
      const t0 = performance.now();
      const b = await store.branchChat(o.chatId, newest.id);
      const dt = performance.now() - t0;
      if (b.messageCount !== parent.messageCount) throw new Error(`branch bench: the branch holds ${b.messageCount} messages, its parent ${parent.messageCount}`);
      messages = b.messageCount;
      if (i > 0) ms.push(dt); // the first is a warm-up
      await store.deleteChat(b.chatId);
    }
  } finally {
    await store.close();
    await rm(join(o.dataDir, 'trash', o.characterId), { recursive: true, force: true });
  }
  return { ms, messages };
}

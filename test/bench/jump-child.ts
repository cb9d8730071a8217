// Child process for the jump_100k benchmark: run fresh by test/bench/bench.ts.
// Usage: node test/bench/jump-child.ts <dataDir> <chatId> <messageId> [limit]
// Like open-tail-child.ts: the store module is imported before the timer starts; the timer covers
// openChatStore() through loadChat(chatId, { around: messageId, limit }).
import { openChatStore } from '../../electron/store/index.ts';
import { peakRssMb } from './peak-rss.ts';

const [dataDir, chatId, messageId, limitArg] = process.argv.slice(2);
if (!dataDir || !chatId || !messageId) {
  console.error('usage: jump-child.ts <dataDir> <chatId> <messageId> [limit]');
  process.exit(2);
}
const limit = Number(limitArg ?? 50);
const t0 = performance.now();
const store = await openChatStore({ dataDir });
const tOpen = performance.now();
const page = await store.loadChat(chatId, { around: messageId, limit });
const t1 = performance.now();
const maxRssMb = peakRssMb();
await store.close();
process.stdout.write(
  `${JSON.stringify({ jump_ms: t1 - t0, open_ms: tOpen - t0, load_ms: t1 - tOpen, messages: page.messages.length, has_anchor: page.messages.some((m) => m.id === messageId), has_more: page.hasMore, has_newer: page.hasNewer ?? null, max_rss_mb: maxRssMb })}\n`,
);

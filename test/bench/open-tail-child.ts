// Child process for the open_tail benchmark: run fresh by test/bench/bench.ts.
// Usage: node test/bench/open-tail-child.ts <dataDir> <chatId> [limit]
// The store module is imported first (static import), so Node's start-up and module loading are
// outside the timer; the timer covers openChatStore() through loadChat(chatId, { limit }).
// Prints one JSON line: { open_tail_ms, open_ms, load_ms, messages, has_more, max_rss_mb, ... }.
import { openChatStore } from '../../electron/store/index.ts';
import { peakRssMb } from './peak-rss.ts';

const [dataDir, chatId, limitArg] = process.argv.slice(2);
if (!dataDir || !chatId) {
  console.error('usage: open-tail-child.ts <dataDir> <chatId> [limit]');
  process.exit(2);
}
const limit = Number(limitArg ?? 50);

const rssBefore = peakRssMb();

const t0 = performance.now();
const store = await openChatStore({ dataDir });
const t1 = performance.now();
const page = await store.loadChat(chatId, { limit });
const t2 = performance.now();

// Peak RSS right after the page is in hand, before anything else runs.
const maxRssMb = peakRssMb();
const last = page.messages.at(-1);
await store.close();

process.stdout.write(
  `${JSON.stringify({
    open_tail_ms: t2 - t0,
    open_ms: t1 - t0,
    load_ms: t2 - t1,
    messages: page.messages.length,
    has_more: page.hasMore,
    last_id: last?.id ?? null,
    warnings: page.warnings.length,
    rss_before_open_mb: rssBefore,
    max_rss_mb: maxRssMb,
  })}\n`,
);

// Child process for the import_1m benchmark: run fresh by test/bench/import-bench.ts, set up as the
// CLI is (V8's young generation kept from growing: electron/lifecycle/young-generation.ts).
// Usage: node test/bench/import-child.ts <source.jsonl> <dataDir> <messages>
// Prints one JSON line: import_ms (importPath only: modules loaded and the store opened before the
// timer starts) and max_rss_mb (VmHWM of the whole run).
import { importPath } from '../../electron/import/index.ts';
import { keepYoungGenerationSmall } from '../../electron/lifecycle/young-generation.ts';
import { openChatStore } from '../../electron/store/index.ts';
import { peakRssMb } from './peak-rss.ts';

keepYoungGenerationSmall();
const [src, dataDir, messages] = process.argv.slice(2);
if (!src || !dataDir || !messages) {
  console.error('usage: import-child.ts <source.jsonl> <dataDir> <messages>');
  process.exit(2);
}
const store = await openChatStore({ dataDir });
const rssBefore = peakRssMb();
const t0 = performance.now();
const report = await importPath(store, src, { characterId: 'bench-import' });
const importMs = performance.now() - t0;
await store.close();
const chat = report.chats[0];
if (report.chats.length !== 1 || chat?.messageCount !== Number(messages) || chat.problems.length > 0) {
  console.error(`import child: unexpected report ${JSON.stringify(report).slice(0, 500)}`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ import_ms: importMs, max_rss_mb: peakRssMb(), rss_before_mb: rssBefore })}\n`);

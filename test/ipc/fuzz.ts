// `npm run fuzz`: at least 10,000 fast-check payloads per channel through the binding.
import { runFuzz } from './fuzz-core.ts';

const i = process.argv.indexOf('--runs');
const runs = i >= 0 ? Number(process.argv[i + 1]) : 10_000;
const s = process.argv.indexOf('--seed');
const t0 = Date.now();
try {
  const report = await runFuzz({ runs, ...(s >= 0 ? { seed: Number(process.argv[s + 1]) } : {}), log: (l) => console.log(l) });
  console.log(`fuzz passed: ${runs} runs per channel in ${((Date.now() - t0) / 1000).toFixed(1)} s; data dir ${report.dataDir} is valid`);
} catch (e) {
  console.error('fuzz FAILED:', e);
  process.exit(1);
}

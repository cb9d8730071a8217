// Vitest: tests run real processes and real fsyncs on a shared 2-core machine; a test that is
// slow only because the machine is busy must not fail for it (performance goals live in the bench).
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    // The two-computer scenarios have their own run, one at a time: npm run test:sync (vitest.sync.config.ts,
    // part of npm test). The harness's own test (test/sync/harness.test.ts, Syncthing alone, ~6-10 s) stays here too.
    exclude: [...configDefaults.exclude, '**/sync/two-computers.test.ts', '**/sync/concurrent-edits.test.ts'],
  },
});

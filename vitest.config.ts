// Vitest: tests run real processes and real fsyncs on a shared 2-core machine; a test that is
// slow only because the machine is busy must not fail for it (performance goals live in the bench).
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    // The two-computer scenarios have their own run: npm run test:sync (vitest.sync.config.ts) and test:sync:open (the scenario issue 17 still fails: concurrent edits); the
    // harness's own test (test/sync/harness.test.ts, Syncthing alone, ~6 s) stays here.
    exclude: [...configDefaults.exclude, '**/sync/two-computers.test.ts', '**/sync/concurrent-edits.test.ts'],
  },
});

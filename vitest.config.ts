// Vitest: tests run real processes and real fsyncs on a shared 2-core machine; a test that is
// slow only because the machine is busy must not fail for it (performance goals live in the bench).
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    // The two-computer Syncthing tests have their own run: npm run test:sync (vitest.sync.config.ts).
    exclude: [...configDefaults.exclude, 'test/sync/**'],
  },
});

// `npm run test:sync`: the two-computer tests (test/sync/), real Syncthing and one app per UTS
// namespace. One at a time: each starts two Syncthing instances and two app hosts.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/sync/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});

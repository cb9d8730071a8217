#!/usr/bin/env node
// `npm run cli`: the CLI's launcher, plain JavaScript so that Node need not load its TypeScript
// stripper (a WebAssembly module, ~0.3 s of every start on a busy 2-core machine) to read it:
// Node's compile cache is turned on first, then cli.ts and the modules it imports come from the
// cache, already stripped and compiled. `node electron/entry/cli.ts` works too, only slower to start.
import { enableCompileCache } from 'node:module';
import { fileURLToPath } from 'node:url';

// The same folder cli.ts names (it turns the cache on itself when run directly).
enableCompileCache?.(fileURLToPath(new URL('../../node_modules/.cache/cardshark-cli', import.meta.url)));
await import('./cli.ts');

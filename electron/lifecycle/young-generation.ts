// A batch process (the CLI) that streams a big import allocates hundreds of MB of short-lived
// objects. V8 then keeps doubling its young generation (to 2 × 32 MB semi-spaces, and the old
// generation grows with what each scavenge promotes): a 1,000,000-message import peaked near
// 300 MB RSS, of which ~150 MB was heap V8 had grown but was not using. Stopping the young
// generation's growth at the size it has once the modules are loaded (a few MB) keeps that import
// under 200 MB at no measured cost in time. The size itself cannot be set once V8 runs (only
// as a node flag); the growth factor can. The long-running processes also bound the old
// generation's growth (keepOldGenerationGrowthModest, below).
import v8 from 'node:v8';

export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * A long-running process that imports (the browser host, Electron's main) starts at ~120 MB RSS
 * (its modules, the search index's SQLite) and makes garbage fast while a big file comes in: an
 * upload chunk is a few times its size in strings and buffers. V8 lets the old generation grow to
 * several times what the last full GC kept before it collects again: with 4 MiB chunks, that put
 * the host's peak at 240–267 MB for a 1,000,000-message upload and import; growing by 60% at a time
 * kept it at 188–197 MB, with no slowdown measurable on a shared 2-core machine.
 */
export function keepOldGenerationGrowthModest(): void {
  v8.setFlagsFromString('--heap-growing-percent=60');
}

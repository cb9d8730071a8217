// The rule of the house: arrows point inward. The store never imports electron; shared/ imports
// nothing from node:, the DOM or electron; the renderer never imports node or main-side code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = join(dir, name);
    return statSync(join(root, rel)).isDirectory() ? sources(rel) : /\.tsx?$/.test(name) ? [rel] : [];
  });
}
function imports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"\n]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]!);
}
/** The files a file's relative imports reach, as paths from the repository root. */
function localImports(file: string): string[] {
  return imports(file).filter((i) => i.startsWith('.')).map((i) => join(dirname(file), i));
}
/** The folder directly under electron/ a path lies in; '' for electron/ itself; undefined outside it. */
function electronFolder(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'electron') return undefined;
  return parts.length > 2 ? parts[1] : '';
}
/** Which electron/ folders each electron/ folder imports (imports within a folder left out). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources('electron')) {
    const from = electronFolder(file)!;
    for (const target of localImports(file)) {
      const to = electronFolder(target);
      if (to === undefined || to === from) continue;
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
    }
  }
  return graph;
}
/** A chain of imports from one folder to another (both ends included), or undefined. */
function importChain(graph: Map<string, Set<string>>, from: string, to: string): string[] | undefined {
  const cameFrom = new Map<string, string>([[from, from]]);
  const queue = [from];
  while (queue.length) {
    const at = queue.shift()!;
    if (at === to) {
      const chain = [to];
      while (chain[0] !== from) chain.unshift(cameFrom.get(chain[0]!)!);
      return chain;
    }
    for (const next of graph.get(at) ?? []) {
      if (!cameFrom.has(next)) {
        cameFrom.set(next, at);
        queue.push(next);
      }
    }
  }
  return undefined;
}

describe('layering', () => {
  it('finds the files it checks', () => {
    expect(sources('electron/store').length).toBeGreaterThan(8);
    expect(sources('renderer').length).toBeGreaterThan(3);
    expect(imports('electron/store/store.ts')).toContain('node:crypto');
  });

  it('electron/store imports no electron', () => {
    for (const f of sources('electron/store')) expect(imports(f).filter((i) => i === 'electron' || i.startsWith('electron/')), f).toEqual([]);
  });

  it('only entry/main.ts and entry/preload.ts import electron', () => {
    const offenders = [...sources('electron'), ...sources('shared'), ...sources('renderer')].filter(
      (f) => imports(f).some((i) => i === 'electron') && !['electron/entry/main.ts', 'electron/entry/preload.ts'].includes(relative('.', f)),
    );
    expect(offenders).toEqual([]);
  });

  it('electron-store (it imports electron) only in its adapter, and that adapter only from entry/main.ts', () => {
    const adapter = 'electron/app-settings/electron-store-backend.ts';
    const all = [...sources('electron'), ...sources('shared'), ...sources('renderer')];
    expect(all.filter((f) => imports(f).includes('electron-store'))).toEqual([adapter]);
    const importers = all.filter((f) => imports(f).some((i) => i.endsWith('/electron-store-backend.ts') || i.endsWith('settings/electron-store-backend.ts')));
    expect(importers).toEqual(['electron/entry/main.ts']);
  });

  it('settings libraries stay out of the chat store; conf only in its adapter', () => {
    for (const f of sources('electron/store')) expect(imports(f).filter((i) => i === 'conf' || i === 'electron-store' || /(^|\/)app-settings\/|generation-settings/.test(i)), f).toEqual([]);
    expect([...sources('electron'), ...sources('shared')].filter((f) => imports(f).includes('conf'))).toEqual(['electron/app-settings/conf-backend.ts']);
  });

  it('the durable layer imports nothing of ours but itself and shared/', () => {
    expect(sources('electron/durable').length).toBeGreaterThan(2);
    for (const f of sources('electron/durable')) {
      expect(imports(f).filter((i) => i.startsWith('.') && !i.startsWith('./') && !i.startsWith('../../shared/')), f).toEqual([]);
    }
  });

  it('arrows point inward: the store imports only itself, the durable layer and shared/; the capability folders never the binding or the hosts', () => {
    for (const f of sources('electron/store')) {
      expect(imports(f).filter((i) => i.startsWith('.') && !i.startsWith('./') && !i.startsWith('../durable/') && !i.startsWith('../../shared/')), f).toEqual([]);
    }
    const capabilities = ['electron/app-data', 'electron/generation', 'electron/autosave', 'electron/drafts', 'electron/app-settings', 'electron/cards', 'electron/import', 'electron/watcher', 'electron/oplog'];
    for (const dir of capabilities) {
      expect(sources(dir).length, dir).toBeGreaterThan(0);
      for (const f of sources(dir)) expect(imports(f).filter((i) => /(^|\/)(ipc|host|entry)\//.test(i)), f).toEqual([]);
    }
  });

  it('shared/ imports only zod and itself', () => {
    for (const f of sources('shared')) expect(imports(f).filter((i) => i !== 'zod' && !i.startsWith('./')), f).toEqual([]);
  });

  it('the renderer imports no node modules and no main-side code', () => {
    for (const f of sources('renderer')) {
      expect(imports(f).filter((i) => i.startsWith('node:') || i.includes('/electron/') || i.startsWith('../electron')), f).toEqual([]);
    }
  });
});

describe('folders', () => {
  it('every electron source lives in a folder, none loose at the root', () => {
    expect(sources('electron').filter((f) => electronFolder(f) === '')).toEqual([]);
  });

  it('no two electron/ folders import each other, directly or through others', () => {
    const graph = folderGraph();
    // The graph is real: the binding reaches the store, the store only the durable layer.
    expect([...(graph.get('ipc') ?? [])]).toContain('store');
    expect([...(graph.get('store') ?? [])]).toEqual(['durable']);
    const cycles: string[] = [];
    for (const [from, tos] of graph) {
      for (const to of tos) {
        const back = importChain(graph, to, from);
        if (back) cycles.push([from, ...back].join(' -> '));
      }
    }
    expect(cycles).toEqual([]);
  });

  it('entry/ (processes start there) is imported by nothing outside it', () => {
    expect(localImports('electron/entry/cli.ts')).toContain('electron/entry/cli-recovery.ts');
    const importers = [...sources('electron'), ...sources('shared'), ...sources('renderer'), ...sources('scripts')].filter(
      (f) => electronFolder(f) !== 'entry' && localImports(f).some((target) => electronFolder(target) === 'entry'),
    );
    expect(importers).toEqual([]);
  });
});

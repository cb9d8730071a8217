// The rule of the house: arrows point inward. The store never imports electron; shared/ imports
// nothing from node:, the DOM or electron; the renderer never imports node or main-side code.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
function sources(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = join(dir, name);
    return statSync(join(root, rel)).isDirectory() ? sources(rel) : /\.tsx?$/.test(name) ? [rel] : [];
  });
}
/** Every module specifier in a source text: imports and re-exports (also over several lines), side-effect imports, import(). */
function importsIn(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?\bfrom\s+['"]([^'"]+)['"]|(?:^|\n)\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}
function imports(file: string): string[] {
  return importsIn(readFileSync(join(root, file), 'utf8'));
}
/** The files (relative to the root, `/`-separated) that a file's relative imports name. */
function localImports(file: string): string[] {
  return imports(file)
    .filter((i) => i.startsWith('.'))
    .map((i) => relative(root, resolve(root, dirname(file), i)).split(sep).join('/'));
}

/** The import graph among `files` (edges to files outside it are left out), keyed by `unit` (a file or its folder). */
function importGraph(files: string[], unit: (file: string) => string = (f) => f): Map<string, Set<string>> {
  const inside = new Set(files);
  const graph = new Map<string, Set<string>>();
  for (const f of files) {
    const from = unit(f);
    if (!graph.has(from)) graph.set(from, new Set());
    // Imports within one unit are no edge, except a file importing itself.
    for (const to of localImports(f)) if (inside.has(to) && (unit(to) !== from || to === f)) graph.get(from)!.add(unit(to));
  }
  return graph;
}

/** The import cycles of a graph: its strongly connected components with more than one node, or a node importing itself (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    order.set(v, order.size);
    low.set(v, order.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!order.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!));
    }
    if (low.get(v) !== order.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.has(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!order.has(v)) visit(v);
  return found;
}
/** The folder directly under electron/ a path lies in; '' for electron/ itself; undefined outside it. */
function electronFolder(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] !== 'electron') return undefined;
  return parts.length > 2 ? parts[1] : '';
}
/** Which electron/ folders each electron/ folder imports (imports within a folder left out). */
function folderGraph(): Map<string, Set<string>> {
  return importGraph(sources('electron'), (f) => electronFolder(f)!);
}

describe('layering', () => {
  it('finds the files it checks', () => {
    expect(sources('electron/store').length).toBeGreaterThan(8);
    expect(sources('renderer').length).toBeGreaterThan(3);
    expect(imports('electron/store/lock/dir-lock.ts')).toContain('node:crypto');
    expect(importsIn("import {\n  a,\n  b,\n} from './a.ts';\nimport './b.ts';\nexport * from '../c.ts';\nconst d = import('./d.ts');")).toEqual(['./a.ts', './b.ts', '../c.ts', './d.ts']);
    expect(localImports('electron/store/index.ts')).toContain('electron/store/store.ts');
  });

  it('electron/store imports no electron', () => {
    for (const f of sources('electron/store')) expect(imports(f).filter((i) => i === 'electron' || i.startsWith('electron/')), f).toEqual([]);
  });

  it('only entry/main.ts, entry/preload.ts and the dialog adapter import electron', () => {
    const offenders = [...sources('electron'), ...sources('shared'), ...sources('renderer')].filter(
      (f) => imports(f).some((i) => i === 'electron') && !['electron/entry/main.ts', 'electron/entry/preload.ts', 'electron/entry/chat-file-dialog.ts'].includes(relative('.', f)),
    );
    expect(offenders).toEqual([]);
  });

  it('the file dialog adapter (it imports electron) is imported by entry/main.ts alone', () => {
    const all = [...sources('electron'), ...sources('shared'), ...sources('renderer'), ...sources('test'), ...sources('scripts')];
    expect(all.filter((f) => localImports(f).includes('electron/entry/chat-file-dialog.ts'))).toEqual(['electron/entry/main.ts']);
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
      expect(localImports(f).filter((i) => !i.startsWith('electron/store/') && !i.startsWith('electron/durable/') && !i.startsWith('shared/')), f).toEqual([]);
    }
    const capabilities = ['electron/app-data', 'electron/generation', 'electron/autosave', 'electron/drafts', 'electron/app-settings', 'electron/cards', 'electron/import', 'electron/watcher', 'electron/oplog', 'electron/cli', 'electron/library-search'];
    for (const dir of capabilities) {
      expect(sources(dir).length, dir).toBeGreaterThan(0);
      for (const f of sources(dir)) expect(imports(f).filter((i) => /(^|\/)(ipc|host|entry)\//.test(i)), f).toEqual([]);
    }
  });

  it('the library search sits on the store: it imports only itself, the store, the durable layer and shared/; node:sqlite only there', () => {
    const files = sources('electron/library-search');
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      expect(localImports(f).filter((i) => !/^(electron\/(library-search|store|durable)|shared)\//.test(i)), f).toEqual([]);
    }
    expect(files.some((f) => imports(f).includes('node:sqlite'))).toBe(true);
    const sqlite = [...sources('electron'), ...sources('shared'), ...sources('renderer')].filter((f) => imports(f).includes('node:sqlite'));
    expect(sqlite.filter((f) => !f.startsWith('electron/library-search/'))).toEqual([]);
  });

  it('shared/ imports only zod and itself', () => {
    for (const f of sources('shared')) expect(imports(f).filter((i) => i !== 'zod' && !i.startsWith('./')), f).toEqual([]);
  });

  it('the renderer imports no node modules and no main-side code', () => {
    for (const f of sources('renderer')) {
      expect(imports(f).filter((i) => i.startsWith('node:') || i.includes('/electron/') || i.startsWith('../electron')), f).toEqual([]);
    }
  });

  it('no import cycle among the files of electron/store', () => {
    const files = sources('electron/store');
    expect(files.length).toBeGreaterThan(20);
    expect(cycles(importGraph(files))).toEqual([]);
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
    expect(cycles(graph)).toEqual([]);
  });

  it('entry/ (processes start there) is imported by nothing outside it', () => {
    expect(localImports('electron/entry/cli.ts')).toContain('electron/cli/commands.ts');
    const importers = [...sources('electron'), ...sources('shared'), ...sources('renderer'), ...sources('scripts')].filter(
      (f) => electronFolder(f) !== 'entry' && localImports(f).some((target) => electronFolder(target) === 'entry'),
    );
    expect(importers).toEqual([]);
  });
});

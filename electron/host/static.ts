// Serves the built renderer from one folder; nothing outside it is reachable.
import { pipeline } from 'node:stream/promises';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Where a URL path points inside `root`, or why it may not be served. Shared with Electron's app:// handler. */
export type StaticTarget = { status: 200; file: string; size: number } | { status: 400 | 403 | 404 | 500; reason?: string };

export async function resolveStatic(root: string, rawPathname: string): Promise<StaticTarget> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(rawPathname);
  } catch {
    return { status: 400 };
  }
  if (pathname.includes('\0')) return { status: 400 };
  const rootAbs = path.resolve(root);
  let file = path.resolve(rootAbs, '.' + (pathname.endsWith('/') ? pathname + 'index.html' : pathname));
  if (file !== rootAbs && !file.startsWith(rootAbs + path.sep)) return { status: 403 };
  let st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) {
    // Single-page app: unknown paths without an extension get index.html.
    if (path.extname(pathname)) return { status: 404 };
    file = path.join(rootAbs, 'index.html');
    st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return { status: 500, reason: 'renderer not built: run `npm run build:renderer`' };
  }
  return { status: 200, file, size: st.size };
}

export function contentTypeOf(file: string): string {
  return TYPES[path.extname(file)] ?? 'application/octet-stream';
}

export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, headers).end();
    return;
  }
  let rawPathname: string;
  try {
    rawPathname = new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    res.writeHead(400, headers).end();
    return;
  }
  const target = await resolveStatic(root, rawPathname);
  if (target.status !== 200) {
    if (target.status === 404) res.writeHead(404, headers).end('not found');
    else if (target.reason) res.writeHead(target.status, { ...headers, 'content-type': 'text/plain' }).end(target.reason);
    else res.writeHead(target.status, headers).end();
    return;
  }
  const { file, size } = target;
  res.writeHead(200, {
    ...headers,
    'content-type': contentTypeOf(file),
    'content-length': String(size),
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // The file may vanish between stat and read (a rebuild empties dist/): end this response, never the host.
  pipeline(createReadStream(file), res).catch(() => res.destroy());
}

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

export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, headers).end();
    return;
  }
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  } catch {
    res.writeHead(400, headers).end();
    return;
  }
  if (pathname.includes('\0')) {
    res.writeHead(400, headers).end();
    return;
  }
  const rootAbs = path.resolve(root);
  let file = path.resolve(rootAbs, '.' + (pathname.endsWith('/') ? pathname + 'index.html' : pathname));
  if (file !== rootAbs && !file.startsWith(rootAbs + path.sep)) {
    res.writeHead(403, headers).end();
    return;
  }
  let st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) {
    // Single-page app: unknown paths without an extension get index.html.
    if (path.extname(pathname)) {
      res.writeHead(404, headers).end('not found');
      return;
    }
    file = path.join(rootAbs, 'index.html');
    st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) {
      res.writeHead(500, { ...headers, 'content-type': 'text/plain' }).end('renderer not built: run `npm run build:renderer`');
      return;
    }
  }
  res.writeHead(200, {
    ...headers,
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-length': String(st.size),
    'cache-control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  // The file may vanish between stat and read (a rebuild empties dist/): end this response, never the host.
  pipeline(createReadStream(file), res).catch(() => res.destroy());
}

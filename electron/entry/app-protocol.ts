// The renderer is served to Electron from app://cardshark/ (a privileged standard scheme)
// instead of file://: a real origin for the sender check and the CSP, and no file://
// reach beyond the renderer folder. Path checks are the browser host's (resolveStatic).
// No electron import: main.ts (beside it) registers the scheme and hands the handler to protocol.handle.
import { readFile } from 'node:fs/promises';
import { contentTypeOf, resolveStatic } from '../host/static.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'cardshark';
export const APP_INDEX_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** Our pages only: app://cardshark/… (WHATWG URL gives non-special schemes the origin "null", so compare parts). */
export function isAppUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && !u.username && !u.password;
  } catch {
    return false;
  }
}

export function appProtocolHandler(root: string, csp: string): (request: Request) => Promise<Response> {
  const headers = {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
  return async (request) => {
    if (!isAppUrl(request.url)) return new Response('forbidden', { status: 403, headers });
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response(null, { status: 405, headers });
    const target = await resolveStatic(root, new URL(request.url).pathname);
    if (target.status !== 200) return new Response(target.reason ?? null, { status: target.status, headers });
    const body = request.method === 'HEAD' ? null : await readFile(target.file).catch(() => undefined);
    if (body === undefined) return new Response(null, { status: 404, headers });
    return new Response(body, { status: 200, headers: { ...headers, 'content-type': contentTypeOf(target.file), 'cache-control': 'no-cache' } });
  };
}

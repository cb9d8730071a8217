// The browser host: serves the built renderer and speaks the IPC contract over a
// WebSocket on 127.0.0.1, through the same binding as Electron IPC.
// Security: loopback only, a random token per start, Host + Origin checks
// (DNS rebinding), a frame size limit, per-connection flow control (flow.ts), bounded
// connections with short timeouts for unauthenticated sockets (connections.ts), and a
// strict CSP on every page.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName, EventPayload } from '../../shared/ipc-contract.ts';
import { AUTH_CHECK_PATH, MAX_FRAME_BYTES, WS_PATH, WsRequest, type WsServerMessage } from '../../shared/host-protocol.ts';
import type { ChatStore } from '../store/types.ts';
import type { GenerationSettings } from '../generation/generation-settings.ts';
import type { Provider } from '../generation/provider.ts';
import { createServices } from '../ipc/services.ts';
import type { AppSettingsStore } from '../app-settings/settings.ts';
import { serveStatic } from './static.ts';
import { connectionFlow, DEFAULT_FLOW_LIMITS, type ConnectionFlow, type FlowLimits } from './flow.ts';
import { DEFAULT_CONNECTION_LIMITS, gateConnections, httpServerOptions, type ConnectionLimits } from './connections.ts';

export interface HostOptions {
  store: ChatStore;
  staticDir: string;
  port?: number;
  settingsOverrides?: Partial<GenerationSettings>;
  provider?: Provider;
  /** Per-connection bounds on requests in flight and bytes waiting to be sent. */
  flowLimits?: FlowLimits;
  /** Caps on sockets (HTTP, per source, app connections) and the timeouts of unauthenticated ones. */
  connectionLimits?: ConnectionLimits;
  settings?: AppSettingsStore;
  /** The autosave interval getter (setting autosaveIntervalMs); default 1000 ms. */
  autosaveIntervalMs?: () => number;
}

export interface Host {
  /** Open this in a browser: it carries the token in the fragment (never sent to servers). */
  url: string;
  port: number;
  /** Stops accepting, stops streams, flushes and closes the store. */
  close(): Promise<void>;
}

export async function startHost(opts: HostOptions): Promise<Host> {
  const token = randomBytes(24).toString('hex');
  /** Every accepted connection, with the flow control all its frames go through. */
  const authorized = new Map<WebSocket, ConnectionFlow>();
  let port = 0;

  const emit = <E extends EventName>(event: E, payload: EventPayload<E>) => {
    const frame = JSON.stringify({ kind: 'event', event, payload } satisfies WsServerMessage);
    // A slow client's events count against its send budget like its replies.
    for (const flow of authorized.values()) flow.send(frame);
  };
  const services = createServices<WebSocket>({
    store: opts.store,
    emit,
    isTrustedSender: (ws) => authorized.has(ws),
    cliDoor: true,
    ...(opts.settingsOverrides ? { settingsOverrides: opts.settingsOverrides } : {}),
    ...(opts.provider ? { provider: opts.provider } : {}),
    ...(opts.settings ? { settings: opts.settings } : {}),
    ...(opts.autosaveIntervalMs ? { autosaveIntervalMs: opts.autosaveIntervalMs } : {}),
  });

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const csp = () =>
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      "img-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ].join('; ');

  const connectionLimits = opts.connectionLimits ?? DEFAULT_CONNECTION_LIMITS;
  const server = createServer(httpServerOptions(connectionLimits), (req, res) => {
    const headers = {
      'content-security-policy': csp(),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
    };
    if (!allowedHosts().has(req.headers.host ?? '')) {
      res.writeHead(421, headers).end('misdirected request');
      return;
    }
    // The page asks whether its token is right before it shows anything: a wrong or missing token
    // gets an explanation instead of an app that cannot load. Answers only yes or no.
    if (new URL(req.url ?? '', 'http://x').pathname === AUTH_CHECK_PATH) {
      res.writeHead(tokenOk(req) ? 204 : 401, { ...headers, 'cache-control': 'no-store' }).end();
      return;
    }
    serveStatic(opts.staticDir, req, res, headers).catch(() => {
      if (!res.headersSent) res.writeHead(500, headers);
      res.end();
    });
  });
  const gate = gateConnections(server, connectionLimits);

  const tokenOk = (req: IncomingMessage) => {
    const given = Buffer.from(new URL(req.url ?? '', 'http://x').searchParams.get('token') ?? '');
    const want = Buffer.from(token);
    return given.length === want.length && timingSafeEqual(given, want);
  };

  const wss = new WebSocketServer({
    server,
    path: WS_PATH,
    maxPayload: MAX_FRAME_BYTES,
    // A refused upgrade is answered and its socket closed at once (by ws).
    verifyClient: (
      { req, origin }: { req: IncomingMessage; origin: string },
      done: (ok: boolean, code?: number, message?: string) => void,
    ) => {
      if (!(allowedHosts().has(req.headers.host ?? '') && allowedOrigins().has(origin) && tokenOk(req))) return done(false, 401);
      if (!gate.appRoom()) return done(false, 503, 'too many CardShark windows are connected to this host');
      done(true);
    },
  });

  wss.on('connection', (ws, req) => {
    gate.promote(req.socket);
    const flow = connectionFlow(ws, (raw, isBinary) => answer(ws, flow, raw, isBinary), opts.flowLimits ?? DEFAULT_FLOW_LIMITS);
    authorized.set(ws, flow);
    ws.on('close', () => authorized.delete(ws));
    ws.on('error', () => authorized.delete(ws));
    ws.on('message', (raw, isBinary) => flow.receive(raw, isBinary));
  });

  async function answer(ws: WebSocket, flow: ConnectionFlow, raw: unknown, isBinary: boolean) {
    let id: number | string | null = null;
    let result: unknown;
    let request: WsRequest | undefined;
    if (!isBinary) {
      try {
        const json: unknown = JSON.parse(String(raw));
        const parsed = WsRequest.safeParse(json);
        if (parsed.success) request = parsed.data;
        else id = idOf(json);
      } catch {
        // not JSON: answered below with id null
      }
    }
    if (request) {
      id = request.id;
      result = await services.binding.handle(ws, request.channel, request.payload);
    } else {
      result = { ok: false, error: { code: 'INVALID_INPUT', message: 'frame must be JSON {id, channel, payload}' } };
    }
    flow.send(JSON.stringify({ kind: 'result', id, result } satisfies WsServerMessage));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  await services.cliDoorOpen; // from the moment the host says it runs, a CLI reaches it

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    close: () =>
      (closing ??= (async () => {
        for (const ws of wss.clients) ws.close(1001, 'host shutting down');
        wss.close();
        server.close();
        server.closeAllConnections();
        await services.shutdown();
      })()),
  };
}

/** Echo a usable id even from a malformed frame, so the caller can match the error. */
function idOf(json: unknown): number | string | null {
  const id = typeof json === 'object' && json !== null ? (json as { id?: unknown }).id : undefined;
  return (typeof id === 'number' && Number.isInteger(id)) || (typeof id === 'string' && id.length <= 64) ? (id as number | string) : null;
}

// Connection admission for the browser host, so that no number of sockets can take the
// file descriptors the chat store needs (an exhausted process fails the user's own writes
// with EMFILE).
//  - Two pools: HTTP sockets (page loads, the auth check, and every socket before it is an
//    authenticated app connection), bounded in total and per source address; and app
//    connections (WebSockets that passed the token, Host and Origin checks), bounded
//    separately, so a flood of the first kind never closes or refuses the app's own.
//  - A socket over its pool's cap is closed as soon as it is accepted; above both caps
//    together Node closes it before it costs more than the accept (server.maxConnections).
//  - Sockets that have not sent a complete request go quickly: headers must arrive within
//    `headersTimeoutMs`, checked every `checkIntervalMs` (Node checks every 30 s by default,
//    and allows 60 s); an HTTP socket with no traffic either way for `idleTimeoutMs` is closed
//    (a client that stopped reading a response). App connections have no idle timeout.
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  maxHttp: number;
  maxHttpPerSource: number;
  maxApp: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  idleTimeoutMs: number;
  checkIntervalMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  // A browser opens at most 6 connections per host; a page load needs a handful.
  maxHttp: 64,
  maxHttpPerSource: 32,
  // App windows (tabs) of this host at once.
  maxApp: 32,
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  idleTimeoutMs: 10_000,
  checkIntervalMs: 1_000,
};

/** Options for `createServer`: the request timeouts and how often they are checked. */
export function httpServerOptions(limits: ConnectionLimits): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

export interface ConnectionGate {
  /** Whether one more app connection fits (ask before accepting an upgrade). */
  appRoom(): boolean;
  /** Moves an upgraded, authenticated socket from the HTTP pool to the app pool. */
  promote(socket: Socket): void;
}

export function gateConnections(server: Server, limits: ConnectionLimits): ConnectionGate {
  const httpBySource = new Map<string, number>();
  let http = 0;
  let app = 0;
  const appSockets = new WeakSet<Socket>();
  const sourceOf = new WeakMap<Socket, string>();

  const leaveHttp = (source: string) => {
    http--;
    const n = (httpBySource.get(source) ?? 1) - 1;
    if (n > 0) httpBySource.set(source, n);
    else httpBySource.delete(source);
  };

  server.maxConnections = limits.maxHttp + limits.maxApp;
  server.timeout = limits.idleTimeoutMs;
  server.on('connection', (socket: Socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    if (http >= limits.maxHttp || (httpBySource.get(source) ?? 0) >= limits.maxHttpPerSource) {
      socket.destroy();
      return;
    }
    http++;
    httpBySource.set(source, (httpBySource.get(source) ?? 0) + 1);
    sourceOf.set(socket, source);
    socket.once('close', () => {
      if (appSockets.has(socket)) app--;
      else leaveHttp(source);
    });
  });

  return {
    appRoom: () => app < limits.maxApp,
    promote(socket) {
      const source = sourceOf.get(socket);
      if (source === undefined || appSockets.has(socket)) return;
      appSockets.add(socket);
      leaveHttp(source);
      app++;
      // ws clears the socket's idle timeout itself; an app window may be quiet for hours.
    },
  };
}

// The browser implementation of window.cardshark: the same typed API as the
// Electron preload, spoken over the browser host's WebSocket (Actual Budget's
// browser-preload pattern). The UI cannot tell the two apart.
import { CHANNEL_NAMES, type CardsharkApi, type EventName, type Result } from '../../shared/ipc-contract.ts';
import { AUTH_CHECK_PATH, WS_PATH, type WsServerMessage } from '../../shared/host-protocol.ts';
import { setConnection } from './connection.ts';

const TOKEN_KEY = 'cardshark.token';
/**
 * Dispatched on `window` when the socket is back after a disconnect. Events sent while it was
 * down (a stream's end, a chat change) are lost, so the UI reloads what it shows. Electron's
 * IPC never disconnects, so it never fires there.
 */
export const RECONNECTED_EVENT = 'cardshark:reconnected';

/** The host puts the token in the URL fragment; keep it for reloads, then hide it. */
export function takeToken(loc: Location = location, storage: Storage = sessionStorage): string | null {
  const m = /(?:^#|&)token=([0-9a-f]+)/.exec(loc.hash);
  if (m?.[1]) {
    storage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, '', loc.pathname + loc.search);
    return m[1];
  }
  return storage.getItem(TOKEN_KEY);
}

type Pending = { resolve: (r: Result<unknown>) => void };

export function createBrowserApi(token: string | null): CardsharkApi {
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket | undefined;
  let opened: Promise<WebSocket> | undefined;
  let retryMs = 250;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set from the first lost connection until one opens again: one notice per outage, not per attempt. */
  let disconnected = false;

  /** After a failed connection: a wrong token never gets better by retrying, so say so and stop. */
  let refused = false;
  async function checkToken(): Promise<void> {
    try {
      const r = await fetch(`${AUTH_CHECK_PATH}?token=${encodeURIComponent(token ?? '')}`, { cache: 'no-store' });
      if (r.status === 401) {
        refused = true;
        setConnection({ state: 'unauthorized', reason: 'wrong' });
      }
    } catch {
      // the host is down: the retry loop below keeps trying
    }
  }

  function connect(): Promise<WebSocket> {
    if (opened) return opened;
    opened = new Promise<WebSocket>((resolve, reject) => {
      if (!token) {
        refused = true;
        setConnection({ state: 'unauthorized', reason: 'missing' });
        reject(new Error('no access token: open the URL printed by `npm start`'));
        return;
      }
      if (refused) {
        reject(new Error('the access token was refused: open the URL printed by `npm start`'));
        return;
      }
      const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
      const ws = new WebSocket(`${proto}//${location.host}${WS_PATH}?token=${encodeURIComponent(token)}`);
      ws.onopen = () => {
        socket = ws;
        retryMs = 250;
        setConnection({ state: 'connected' });
        resolve(ws);
        if (disconnected) {
          disconnected = false;
          emitLocal('notice', { level: 'info', message: 'Reconnected to CardShark.' });
          if (typeof window !== 'undefined') window.dispatchEvent(new Event(RECONNECTED_EVENT));
        }
      };
      ws.onmessage = (ev) => onFrame(String(ev.data));
      ws.onclose = () => {
        const wasOpen = socket === ws;
        socket = undefined;
        opened = undefined;
        setConnection({ state: 'disconnected' });
        for (const [id, p] of pending) {
          pending.delete(id);
          p.resolve({ ok: false, error: { code: 'IO_ERROR', message: 'lost the connection to CardShark' } });
        }
        reject(new Error('could not connect to CardShark'));
        if (!disconnected) {
          disconnected = true;
          emitLocal('notice', { level: 'error', code: 'IO_ERROR', message: 'Disconnected from CardShark; retrying…' });
        }
        if (!retryTimer) {
          retryTimer = setTimeout(() => {
            retryTimer = undefined;
            void (wasOpen ? Promise.resolve() : checkToken()).then(() => (refused ? undefined : connect().catch(() => undefined)));
          }, retryMs);
          retryMs = Math.min(retryMs * 2, 5_000);
        }
      };
    });
    return opened;
  }

  function onFrame(text: string) {
    let msg: WsServerMessage;
    try {
      msg = JSON.parse(text) as WsServerMessage;
    } catch {
      return;
    }
    if (msg.kind === 'result' && typeof msg.id === 'number') {
      const p = pending.get(msg.id);
      if (p) {
        pending.delete(msg.id);
        p.resolve(msg.result as Result<unknown>);
      }
    } else if (msg.kind === 'event') {
      emitLocal(msg.event as EventName, msg.payload);
    }
  }

  function emitLocal(event: EventName, payload: unknown) {
    for (const l of listeners.get(event) ?? []) l(payload as never);
  }

  async function call(channel: string, payload: unknown): Promise<Result<unknown>> {
    let ws: WebSocket;
    try {
      ws = await connect();
    } catch (e) {
      return { ok: false, error: { code: 'IO_ERROR', message: (e as Error).message } };
    }
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, { resolve });
      ws.send(JSON.stringify({ id, channel, payload: payload ?? {} }));
    });
  }

  const api: Record<string, unknown> = {
    transport: 'browser',
    capabilities: Object.freeze({ pickChatFile: false }), // no dialog in the host: files are sent in chunks
    on(event: EventName, listener: (payload: never) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      void connect().catch(() => undefined); // events need a live socket
      return () => set.delete(listener);
    },
  };
  for (const name of CHANNEL_NAMES) api[name] = (req: unknown) => call(name, req);
  return api as CardsharkApi;
}

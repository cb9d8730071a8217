// The browser host's wire format over one WebSocket. Pure types + zod, shared with
// the renderer's browser API.
import { z } from 'zod';

export const WsRequest = z.object({
  id: z.union([z.number().int(), z.string().max(64)]),
  channel: z.string().max(100),
  payload: z.unknown(),
});
export type WsRequest = z.infer<typeof WsRequest>;

export type WsServerMessage =
  | { kind: 'result'; id: number | string | null; result: unknown }
  | { kind: 'event'; event: string; payload: unknown };

/**
 * Larger frames are refused by ws itself (close 1009). Sized for the largest request: a 20 MiB
 * card import is ~26.7 MiB as base64 (MAX_CARD_BYTES, checked again by the contract).
 */
export const MAX_FRAME_BYTES = 28 * 1024 * 1024;
export const WS_PATH = '/ws';
/** GET `${AUTH_CHECK_PATH}?token=…`: 204 if the token is this host's, 401 if not. */
export const AUTH_CHECK_PATH = '/auth-check';

// Per-connection flow control for the browser host, so a client that sends requests
// and never reads the replies cannot grow the host without bound.
//  - At most `maxInFlight` requests run at once per connection; while that many run, or
//    while more than `highWaterBytes` wait to be sent, the TCP socket is paused (the
//    client's further frames wait in the kernel, then in the client).
//  - Frames parsed before the pause took effect wait in a short queue (`maxQueued`).
//  - Every frame sent (replies and broadcast events alike) goes through `send`: if the bytes
//    waiting to be sent would pass `maxBufferedBytes`, the connection is closed with 1008
//    and a reason, then dropped (a client that does not read will not read the close frame).
import type { WebSocket } from 'ws';

export interface FlowLimits {
  maxInFlight: number;
  maxQueued: number;
  highWaterBytes: number;
  maxBufferedBytes: number;
  /** How long a closed-for-not-reading socket may take to flush its close frame. */
  closeGraceMs: number;
}

export const DEFAULT_FLOW_LIMITS: FlowLimits = {
  maxInFlight: 8,
  // Only frames already read when the pause took effect land here (one socket read's worth),
  // so the queue is bounded by that; this is a guard, not the bound.
  maxQueued: 1024,
  highWaterBytes: 8 * 1024 * 1024,
  maxBufferedBytes: 64 * 1024 * 1024,
  closeGraceMs: 1_000,
};

export const CLOSE_NOT_READING = 1008;

export interface ConnectionFlow {
  /** Call for every incoming frame; `run` answers it (and sends through `send`). */
  receive(raw: unknown, isBinary: boolean): void;
  /** Sends a frame unless the connection is over its send budget (then closes it). */
  send(frame: string): void;
}

export function connectionFlow(
  ws: WebSocket,
  run: (raw: unknown, isBinary: boolean) => Promise<void>,
  limits: FlowLimits = DEFAULT_FLOW_LIMITS,
): ConnectionFlow {
  const queue: [unknown, boolean][] = [];
  let inFlight = 0;
  let dropped = false;

  const open = () => !dropped && ws.readyState === ws.OPEN;

  function drop(reason: string) {
    if (dropped) return;
    dropped = true;
    queue.length = 0;
    ws.close(CLOSE_NOT_READING, reason);
    setTimeout(() => ws.terminate(), limits.closeGraceMs).unref();
  }

  function pump() {
    while (open() && inFlight < limits.maxInFlight && queue.length > 0 && ws.bufferedAmount <= limits.highWaterBytes) {
      const [raw, isBinary] = queue.shift()!;
      inFlight++;
      void run(raw, isBinary).finally(() => {
        inFlight--;
        pump();
      });
    }
    if (!open()) return;
    const busy = queue.length > 0 || inFlight >= limits.maxInFlight || ws.bufferedAmount > limits.highWaterBytes;
    if (busy && !ws.isPaused) ws.pause();
    else if (!busy && ws.isPaused) ws.resume();
  }

  return {
    receive(raw, isBinary) {
      if (!open()) return;
      if (queue.length >= limits.maxQueued) return drop('too many requests waiting; send fewer at once');
      queue.push([raw, isBinary]);
      pump();
    },
    send(frame) {
      if (!open()) return;
      if (ws.bufferedAmount + Buffer.byteLength(frame) > limits.maxBufferedBytes) {
        return drop('client is not reading its replies (send buffer full)');
      }
      // The callback runs once the frame is handed to the kernel: room again, maybe.
      ws.send(frame, () => pump());
    },
  };
}

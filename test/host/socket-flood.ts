// A hostile local client, run as a child process by sockets.test.ts: it holds many TCP
// connections to the browser host without ever authenticating, and reports how long the
// host let each one live.
//  - idle: connect and send nothing;
//  - slowloris: send a request line, then one more header line every second, never ending it;
//  - badUpgrade: a complete WebSocket upgrade with a wrong token, then hold the socket.
// Every socket the host closes is opened again after `reopenMs` until `durationMs` is over,
// so the pressure lasts. Then it waits up to `graceMs` for the host to close the rest, says
// so on stdout (the parent then counts the host's sockets), and prints what it saw.
import net from 'node:net';

interface FloodOptions {
  port: number;
  /** Local address the sockets come from (any 127.x.y.z works on Linux loopback). */
  source: string;
  idle: number;
  slowloris: number;
  badUpgrade: number;
  durationMs: number;
  reopenMs: number;
  graceMs: number;
}
type Kind = 'idle' | 'slowloris' | 'badUpgrade';

const opts = JSON.parse(process.argv[2]!) as FloodOptions;
const started = Date.now();
const flooding = () => Date.now() - started < opts.durationMs;

let connects = 0;
let connectErrors = 0;
let peakOpen = 0;
const open = new Map<net.Socket, { kind: Kind; since: number }>();
/** The longest a socket of each kind lived, from connected to closed by the host. */
const longest: Record<Kind, number> = { idle: 0, slowloris: 0, badUpgrade: 0 };
const closedByHost: Record<Kind, number> = { idle: 0, slowloris: 0, badUpgrade: 0 };

function openOne(kind: Kind) {
  const socket = net.connect({ port: opts.port, host: '127.0.0.1', localAddress: opts.source });
  let ticker: NodeJS.Timeout | undefined;
  socket.on('connect', () => {
    connects++;
    open.set(socket, { kind, since: Date.now() });
    peakOpen = Math.max(peakOpen, open.size);
    const host = `Host: 127.0.0.1:${opts.port}\r\n`;
    if (kind === 'slowloris') {
      socket.write(`GET / HTTP/1.1\r\n${host}`);
      let n = 0;
      ticker = setInterval(() => socket.write(`X-Slow-${n++}: ${'a'.repeat(10)}\r\n`), 1_000);
    } else if (kind === 'badUpgrade') {
      socket.write(
        `GET /ws?token=${'0'.repeat(48)} HTTP/1.1\r\n${host}Origin: http://127.0.0.1:${opts.port}\r\n` +
          'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    }
  });
  socket.on('data', () => {}); // read (and ignore) whatever the host answers
  socket.on('error', () => {
    if (!open.has(socket)) connectErrors++;
  });
  socket.on('close', () => {
    clearInterval(ticker);
    const held = open.get(socket);
    open.delete(socket);
    if (held) {
      closedByHost[kind]++;
      longest[kind] = Math.max(longest[kind], Date.now() - held.since);
    }
    if (flooding()) setTimeout(() => flooding() && openOne(kind), opts.reopenMs);
  });
}

for (const [kind, count] of [['idle', opts.idle], ['slowloris', opts.slowloris], ['badUpgrade', opts.badUpgrade]] as const) {
  for (let i = 0; i < count; i++) openOne(kind);
}

await new Promise((r) => setTimeout(r, opts.durationMs));
const graceEnd = Date.now() + opts.graceMs;
while (open.size > 0 && Date.now() < graceEnd) await new Promise((r) => setTimeout(r, 100));
// Sockets still open here are not all the host's: when its listen queue is full, Linux may
// drop the handshake's last ACK (or answer with a SYN cookie) and the client believes it is
// connected to a socket the host never had. So the parent counts the host's own sockets now.
const lookedOpen = open.size;
console.log(JSON.stringify({ phase: 'grace over', lookedOpen }));
await new Promise((r) => setTimeout(r, 5_000));
for (const socket of open.keys()) socket.destroy();
console.log(JSON.stringify({ connects, connectErrors, peakOpen, closedByHost, longest, lookedOpen }));
process.exit(0);

// The running app's door for the CLI: while the app holds the data folder (its lock), `npm run cli`
// hands it the command line over a local socket and prints what comes back, instead of failing
// with LOCKED.
//
// The app listens on a Unix socket in a private temporary folder (0700; a named pipe on Windows) and
// writes where it is, with a random token, to `cardshark.control.json` in the data folder (0600). Only
// the user who runs the app can read the token or reach the socket: a CLI run by another user cannot
// connect. One request per connection: a JSON line {token, argv, cwd, progress?}, answered by one
// JSON line {stdout, stderr, exitCode}, after lines {progress} when asked for. A CLI that goes away
// (interrupted) cancels its command where the command can stop (an import). The file names this computer: a copy synced from another one is ignored.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { errnoOf } from '../durable/durable.ts';
import { Layout } from '../store/layout.ts';
import type { CliOutput, CliRequest } from './commands.ts';

/** The door file's name, in this device's folder (Layout.controlFile). */
export { CONTROL_FILE } from '../store/layout.ts';
/** A request line is a command line (an `append` may carry a long text); anything longer is refused. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
/** A connected CLI sends its command at once; one that does not is dropped. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How long a CLI waits for the app to accept its connection (a frozen app: the CLI gives up). */
const CONNECT_TIMEOUT_MS = 5_000;

const Descriptor = z.object({ socket: z.string().min(1).max(4096), token: z.string().regex(/^[0-9a-f]{64}$/), host: z.string(), pid: z.number().int() });
type Descriptor = z.infer<typeof Descriptor>;
const Request = z.object({ token: z.string().max(128), argv: z.array(z.string().max(MAX_REQUEST_BYTES)).max(1000), cwd: z.string().max(4096), progress: z.boolean().optional() });
const Progress = z.object({ progress: z.string().max(4096).nullable() });
const Output = z.object({ stdout: z.string(), stderr: z.string(), exitCode: z.number().int() });

export interface ControlServer {
  /** Stops taking commands at once; resolves when the commands under way have ended. */
  close(): Promise<void>;
}

/** A command's progress lines (null: clear the line), for a CLI that asked for them. */
export type ShowProgress = (line: string | null) => void;
export type RunCommand = (req: CliRequest, progress?: ShowProgress) => Promise<CliOutput>;

/** Starts the door: `run` carries out each command (on the app's store). */
export async function startControlServer(dataDir: string, run: RunCommand): Promise<ControlServer> {
  const token = randomBytes(32).toString('hex');
  const dir = process.platform === 'win32' ? null : await mkdtemp(join(tmpdir(), 'cardshark-cli-')); // mode 0700
  const socket = dir ? join(dir, 'cli.sock') : `\\\\.\\pipe\\cardshark-cli-${randomBytes(12).toString('hex')}`;
  const want = Buffer.from(token);
  const running = new Set<Promise<unknown>>();
  const waiting = new Set<Socket>(); // connected, command not yet received
  const server: Server = createServer((conn) => {
    waiting.add(conn);
    const p = answer(conn, want, run, () => waiting.delete(conn)).catch(() => conn.destroy());
    running.add(p);
    void p.finally(() => {
      waiting.delete(conn);
      running.delete(p);
    });
  });
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socket, () => resolve());
    });
    server.on('error', (e) => console.error(`CardShark: the CLI door failed: ${e.message}`)); // accept errors (EMFILE): the app runs on
    const file = new Layout(dataDir).controlFile;
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await removeCrashedDoor(await readDescriptor(file));
    const descriptor: Descriptor = { socket, token, host: hostname(), pid: process.pid };
    // Readable by the user alone from the moment it exists (the token is in it); renamed into place whole.
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, `${JSON.stringify(descriptor)}\n`, { mode: 0o600 });
    await rename(tmp, file);
    let closing: Promise<void> | undefined;
    return {
      close: () =>
        (closing ??= (async () => {
          const closed = new Promise<void>((resolve) => server.close(() => resolve()));
          for (const conn of waiting) conn.destroy(); // an idle connection would hold the close
          // Only our own file: a later app instance may have written its own meanwhile.
          const now = await readDescriptor(file);
          if (now?.token === token) await unlink(file).catch(() => {});
          await Promise.all([...running]); // a command under way ends before the store closes
          await closed;
          await cleanup();
        })()),
    };
  } catch (e) {
    server.close();
    await cleanup();
    throw e;
  }
}

/**
 * The private folder of the door a crashed app left (its process gone, its descriptor still here):
 * removed when the app starts again. Called while this app holds the data folder's lock, so no app of
 * this computer is using that door. Only a `cardshark-cli-*` folder of our own in the temp folder.
 */
async function removeCrashedDoor(d: Descriptor | null): Promise<void> {
  if (!d || d.host !== hostname() || d.pid === process.pid) return;
  const dir = dirname(d.socket);
  if (dirname(dir) !== tmpdir() || !/^cardshark-cli-[A-Za-z0-9]{6}$/.test(basename(dir)) || basename(d.socket) !== 'cli.sock') return;
  const st = await lstat(dir).catch(() => null);
  if (!st?.isDirectory() || st.uid !== process.getuid?.()) return;
  await rm(dir, { recursive: true, force: true }).catch(() => {});
}

async function answer(conn: Socket, want: Buffer, run: RunCommand, received: () => void): Promise<void> {
  conn.setTimeout(REQUEST_TIMEOUT_MS, () => conn.destroy());
  const line = await readLine(conn);
  conn.setTimeout(0);
  received();
  const parsed = Request.safeParse(JSON.parse(line));
  const given = parsed.success ? Buffer.from(parsed.data.token) : Buffer.alloc(0);
  if (!parsed.success || given.length !== want.length || !timingSafeEqual(given, want)) {
    conn.end(`${JSON.stringify({ stdout: '', stderr: 'UNAUTHORIZED: this app did not accept the request\n', exitCode: 1 })}\n`);
    return;
  }
  conn.on('error', () => {}); // a CLI gone mid-answer: its command is cancelled below, nothing to report
  const gone = new AbortController();
  const onClose = () => gone.abort();
  conn.once('close', onClose);
  const progress: ShowProgress | undefined = parsed.data.progress ? (line) => void conn.write(`${JSON.stringify({ progress: line })}\n`) : undefined;
  const out = await run({ argv: parsed.data.argv, cwd: parsed.data.cwd, signal: gone.signal }, progress);
  conn.off('close', onClose);
  await new Promise<void>((resolve) => conn.end(`${JSON.stringify(out)}\n`, () => resolve()));
}

/** One newline-terminated line (at most `max` bytes) from a socket. */
function readLine(conn: Socket, max = MAX_REQUEST_BYTES): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (b: Buffer) => {
      const nl = b.indexOf(0x0a);
      chunks.push(nl === -1 ? b : b.subarray(0, nl));
      size += b.length;
      if (nl !== -1) {
        conn.off('data', onData);
        resolve(Buffer.concat(chunks).toString('utf8'));
      } else if (size > max) {
        conn.off('data', onData);
        reject(new Error('request too long'));
      }
    };
    conn.on('data', onData);
    conn.once('end', () => reject(new Error('closed before a whole line')));
    conn.once('close', () => reject(new Error('closed before a whole line'))); // destroyed (a timeout, the door closing): no 'end'
    conn.once('error', reject);
  });
}

async function readDescriptor(file: string): Promise<Descriptor | null> {
  const text = await readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    const d = Descriptor.safeParse(JSON.parse(text));
    return d.success ? d.data : null;
  } catch {
    return null;
  }
}

/**
 * Hands a command line to the app running on this data folder, if one answers; null when none does
 * (no door file, one from another computer, or nothing listening: a crashed app's leftover).
 */
export async function askRunningApp(dataDir: string, req: CliRequest, progress?: ShowProgress): Promise<CliOutput | null> {
  const d = await readDescriptor(new Layout(dataDir).controlFile);
  if (!d || d.host !== hostname()) return null;
  const conn = await new Promise<Socket | null>((resolve) => {
    const c = createConnection(d.socket);
    const timer = setTimeout(() => {
      c.destroy();
      resolve(null); // a frozen app: the CLI opens the folder itself (and finds it locked)
    }, CONNECT_TIMEOUT_MS);
    const failed = (e: Error) => {
      clearTimeout(timer);
      if (!['ENOENT', 'ECONNREFUSED', 'EACCES', 'EPERM', 'ENOTSOCK'].includes(errnoOf(e) ?? '')) console.error(`the running app could not be reached: ${e.message}`);
      resolve(null);
    };
    c.once('error', failed);
    c.once('connect', () => {
      clearTimeout(timer);
      c.off('error', failed);
      resolve(c);
    });
  });
  if (!conn) return null;
  const request = `${JSON.stringify({ token: d.token, argv: req.argv, cwd: req.cwd, ...(progress ? { progress: true } : {}) })}\n`;
  if (Buffer.byteLength(request) > MAX_REQUEST_BYTES) {
    conn.destroy();
    throw Object.assign(new Error(`the command line is longer than ${MAX_REQUEST_BYTES / 1048576} MiB; the running app takes no more`), { code: 'TOO_LARGE' });
  }
  conn.write(request);
  try {
    for await (const line of createInterface({ input: conn, crlfDelay: Infinity })) {
      const json: unknown = JSON.parse(line);
      const shown = Progress.safeParse(json);
      if (shown.success) {
        progress?.(shown.data.progress);
        continue;
      }
      const out = Output.safeParse(json);
      if (!out.success) throw Object.assign(new Error('the running app answered in an unknown form'), { code: 'IO_ERROR' });
      return out.data;
    }
  } catch (e) {
    if ((e as { code?: string }).code === 'IO_ERROR') throw e;
    throw Object.assign(new Error(`the running app closed the connection before answering (${(e as Error).message})`), { code: 'IO_ERROR' });
  } finally {
    conn.destroy();
  }
  throw Object.assign(new Error('the running app closed the connection before answering'), { code: 'IO_ERROR' });
}

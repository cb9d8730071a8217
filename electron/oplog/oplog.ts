// The operations log: one JSON line per file operation, written by electron-log's file transport
// (its `electron-log/node` entry serves plain Node and the Electron main process alike) to
// this device's `<dataDir>/devices/<id>/logs/operations.log`, rotated by size (the full file moves to operations.old.log).
//
// Off the append path: `record` only pushes onto an array; the batch goes to electron-log on the
// next macrotask, and electron-log writes asynchronously (sync: false), never with an fsync.
// Records hold ids, byte counts, durations and outcomes: never message text.
import { join } from 'node:path';
import { Layout } from '../store/layout.ts';
import electronLog from 'electron-log/node';
import { mkdirDurable } from '../durable/durable.ts';
import type { OpLogSink, OpRecord } from '../store/oplog-sink.ts';

export interface OpLog extends OpLogSink {
  /** Hands everything recorded so far to the file transport (its write is still asynchronous). */
  drain(): void;
  readonly path: string;
}

export interface OpLogOptions {
  /** Rotation size in bytes (default 5 MiB). */
  maxSize?: number;
  /** Which process writes: `app`, `cli`, `host` (one log, a field per line). */
  source?: string;
}

let seq = 0;

export async function openOpLog(dataDir: string, options: OpLogOptions = {}): Promise<OpLog> {
  const dir = new Layout(dataDir).logsDir;
  await mkdirDurable(dir);
  const path = join(dir, 'operations.log');
  const logger = electronLog.create({ logId: `cardshark-oplog-${process.pid}-${seq++}` });
  logger.transports.console.level = false;
  logger.transports.file.level = 'info';
  logger.transports.file.resolvePathFn = () => path;
  logger.transports.file.maxSize = options.maxSize ?? 5 * 1024 * 1024;
  logger.transports.file.sync = false;
  logger.transports.file.format = '{text}';
  const source = options.source ?? 'app';
  let pending: OpRecord[] = [];
  let timer: NodeJS.Immediate | null = null;
  const drain = () => {
    timer = null;
    const batch = pending;
    pending = [];
    for (const r of batch) logger.info(JSON.stringify({ t: new Date().toISOString(), src: source, ...r, durationMs: Math.round(r.durationMs * 1000) / 1000 }));
  };
  return {
    path,
    record(rec) {
      pending.push(rec);
      if (!timer) {
        timer = setImmediate(drain);
        timer.unref();
      }
    },
    drain() {
      if (timer) clearImmediate(timer);
      drain();
    },
  };
}

// The SQLite file behind the library search (node:sqlite, FTS5). A cache of the chat files:
// one row per chat (with the identity and size of the file as far as it was indexed), one row per
// live message (its current text), the ids deleted for good, and two FTS5 indexes: messages (an
// external-content index over `msgs`, so each text is stored once) and chats (title, character name).
// Written with synchronous=NORMAL in WAL mode: a crash or power cut may lose the newest updates
// (the file then looks stale and is caught up from the chat files), never the chats.
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** Bumped when the schema or the tokenizer changes: an older file is dropped and rebuilt. */
export const SCHEMA_VERSION = 1;
const TOKENIZER = "unicode61 remove_diacritics 2";

const SCHEMA = `
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE chats(
  rowid INTEGER PRIMARY KEY,
  chat_id TEXT NOT NULL UNIQUE,
  character_id TEXT NOT NULL,
  title TEXT NOT NULL,
  character_name TEXT NOT NULL DEFAULT '',
  ino TEXT,
  -- Bytes of the file indexed (up to its last complete line); -1: read it in full at its next change (an unreadable header).
  size INTEGER NOT NULL,
  mtime_ns TEXT,
  -- The last bytes before size (hex): an append leaves them as they were, an outside rewrite rarely.
  tail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE msgs(
  rowid INTEGER PRIMARY KEY,
  chat INTEGER NOT NULL,
  id TEXT NOT NULL,
  role TEXT NOT NULL,
  ts INTEGER NOT NULL,
  content TEXT NOT NULL,
  swipes TEXT,
  swipe_id INTEGER,
  UNIQUE(chat, id)
);
CREATE TABLE tombs(chat INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY(chat, id)) WITHOUT ROWID;
-- Kept in step with msgs by index-writer.ts (not by triggers: an FTS5 insert from a trigger costs ~4× as much).
CREATE VIRTUAL TABLE msg_fts USING fts5(content, content='msgs', content_rowid='rowid', tokenize='${TOKENIZER}');
CREATE VIRTUAL TABLE chat_fts USING fts5(title, character, tokenize='${TOKENIZER}');
`;

function configure(db: DatabaseSync): void {
  // Checkpoints (the only fsyncs in WAL mode with synchronous=NORMAL) every 32 MiB of changes, not 4:
  // a first build of a big library makes fewer of them; the WAL file is cut back to 64 MiB after each.
  db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-16000; PRAGMA wal_autocheckpoint=8192; PRAGMA journal_size_limit=67108864;');
}

function versionOf(db: DatabaseSync): number | null {
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
    return row ? Number(row.value) : null;
  } catch {
    return null;
  }
}

/** Removes the file and its WAL and shared-memory companions. */
export function removeDbFiles(path: string): void {
  for (const p of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) rmSync(p, { force: true });
}

/**
 * Opens the index file, or makes a new one when it is missing, of another schema, or unreadable
 * (corrupt, not a database): `fresh` says the index is empty and everything must be indexed.
 */
export function openSearchDb(path: string): { db: DatabaseSync; fresh: boolean } {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    const db = new DatabaseSync(path);
    try {
      configure(db);
      if (versionOf(db) === SCHEMA_VERSION) {
        // A cheap look at the structures a search touches: a damaged page usually fails here.
        db.prepare('SELECT count(*) FROM chats').get();
        db.prepare("SELECT rowid FROM msg_fts WHERE msg_fts MATCH '\"a\"' LIMIT 1").all();
        return { db, fresh: false };
      }
    } catch {
      // fall through: rebuilt below
    }
    db.close();
  } catch {
    // not a database at all: rebuilt below
  }
  removeDbFiles(path);
  const db = new DatabaseSync(path);
  configure(db);
  db.exec('BEGIN');
  db.exec(SCHEMA);
  db.prepare("INSERT INTO meta(key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
  db.exec('COMMIT');
  return { db, fresh: true };
}

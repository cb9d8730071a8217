// Writes chat contents into the search db: the records of a chat file, applied one by one as a full
// read of the file applies them (a later first appearance replaces a message, a delete is final
// wherever it stands, a change to an unknown id is an orphan), from the first line or from where
// the chat was indexed to. Each call is one transaction, never open across an await.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Message } from '../../shared/chat-format.ts';
import { applyOp, parseRecord, toMessage } from '../store/records.ts';

export interface ChatRow {
  rowid: number;
  chat_id: string;
  character_id: string;
  title: string;
  character_name: string;
  ino: string | null;
  size: number;
  mtime_ns: string | null;
  tail: string;
}

/** Where the chat's file is indexed to: identity, end (-1: index it in full next time) and the bytes before the end. */
export interface IndexedTo {
  ino: string;
  mtimeNs: string;
  end: number;
  tail: string;
}

interface MsgRow {
  rowid: number;
  role: string;
  ts: number;
  content: string;
  swipes: string | null;
  swipe_id: number | null;
}

export class IndexWriter {
  private readonly db: DatabaseSync;
  private readonly s: Record<string, StatementSync>;

  constructor(db: DatabaseSync) {
    this.db = db;
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      chat: p('SELECT * FROM chats WHERE chat_id = ?'),
      allChats: p('SELECT rowid, chat_id FROM chats'),
      insertChat: p('INSERT INTO chats(chat_id, character_id, title, character_name, size) VALUES (?, ?, ?, ?, -1) RETURNING rowid'),
      setFile: p('UPDATE chats SET ino = ?, mtime_ns = ?, size = ?, tail = ? WHERE rowid = ?'),
      setSize: p('UPDATE chats SET size = ? WHERE rowid = ?'),
      setNames: p('UPDATE chats SET title = ?, character_name = ? WHERE rowid = ?'),
      namesOf: p('SELECT rowid, title FROM chats WHERE character_id = ? AND character_name != ?'),
      setCharacterName: p('UPDATE chats SET character_name = ? WHERE rowid = ?'),
      deleteChatFts: p('DELETE FROM chat_fts WHERE rowid = ?'),
      insertChatFts: p('INSERT INTO chat_fts(rowid, title, character) VALUES (?, ?, ?)'),
      deleteChat: p('DELETE FROM chats WHERE rowid = ?'),
      msgsOf: p('SELECT rowid, content FROM msgs WHERE chat = ?'),
      deleteMsgs: p('DELETE FROM msgs WHERE chat = ?'),
      deleteTombs: p('DELETE FROM tombs WHERE chat = ?'),
      msg: p('SELECT rowid, role, ts, content, swipes, swipe_id FROM msgs WHERE chat = ? AND id = ?'),
      insertMsg: p('INSERT OR IGNORE INTO msgs(chat, id, role, ts, content, swipes, swipe_id) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      replaceMsg: p('UPDATE msgs SET role = ?, ts = ?, content = ?, swipes = ?, swipe_id = ? WHERE rowid = ?'),
      ftsInsert: p('INSERT INTO msg_fts(rowid, content) VALUES (?, ?)'),
      ftsDelete: p("INSERT INTO msg_fts(msg_fts, rowid, content) VALUES ('delete', ?, ?)"),
      updateMsg: p('UPDATE msgs SET content = ?, swipes = ?, swipe_id = ? WHERE rowid = ?'),
      deleteMsg: p('DELETE FROM msgs WHERE rowid = ?'),
      isTomb: p('SELECT 1 FROM tombs WHERE chat = ? AND id = ?'),
      hasTombs: p('SELECT 1 FROM tombs WHERE chat = ? LIMIT 1'),
      insertTomb: p('INSERT OR IGNORE INTO tombs(chat, id) VALUES (?, ?)'),
    };
  }

  chat(chatId: string): ChatRow | undefined {
    return this.s.chat!.get(chatId) as ChatRow | undefined;
  }

  /** Every indexed chat's id. */
  chatIds(): Map<string, number> {
    return new Map((this.s.allChats!.all() as { rowid: number; chat_id: string }[]).map((r) => [r.chat_id, r.rowid]));
  }

  removeChat(rowid: number): void {
    this.tx(() => this.deleteRows(rowid));
  }

  private deleteRows(rowid: number): void {
    for (const m of this.s.msgsOf!.all(rowid) as { rowid: number; content: string }[]) this.s.ftsDelete!.run(m.rowid, m.content);
    this.s.deleteMsgs!.run(rowid);
    this.s.deleteTombs!.run(rowid);
    this.s.deleteChatFts!.run(rowid);
    this.s.deleteChat!.run(rowid);
  }

  /** Title and character name, for the chat-level matches. */
  setNames(row: ChatRow, title: string, characterName: string): void {
    if (row.title === title && row.character_name === characterName) return;
    this.tx(() => this.writeNames(row.rowid, title, characterName));
    row.title = title;
    row.character_name = characterName;
  }

  /** A character's new name on each of its chats. */
  renameCharacter(characterId: string, name: string): void {
    this.tx(() => {
      for (const r of this.s.namesOf!.all(characterId, name) as { rowid: number; title: string }[]) this.writeNames(r.rowid, r.title, name);
    });
  }

  private writeNames(rowid: number, title: string, characterName: string): void {
    this.s.setNames!.run(title, characterName, rowid);
    this.s.deleteChatFts!.run(rowid);
    this.s.insertChatFts!.run(rowid, title, characterName);
  }

  /** A chat to be indexed from its first line: its old rows go, a new row with nothing indexed yet (end 0) takes their place. */
  startFull(chatId: string, characterId: string, title: string, characterName: string): ChatRow {
    let rowid = 0;
    this.tx(() => {
      const old = this.chat(chatId);
      if (old) this.deleteRows(old.rowid);
      rowid = Number((this.s.insertChat!.get(chatId, characterId, title, characterName) as { rowid: number }).rowid);
      this.s.insertChatFts!.run(rowid, title, characterName);
    });
    return { rowid, chat_id: chatId, character_id: characterId, title, character_name: characterName, ino: null, size: 0, mtime_ns: null, tail: '' };
  }

  /**
   * Complete lines of the chat's file, applied in one transaction together with where the file is
   * now indexed to: a crash leaves both or neither, so the next catch-up starts where this one ended.
   */
  applyLines(row: ChatRow, lines: Buffer, to: IndexedTo): void {
    this.tx(() => {
      // Deletes are rare: most chats have none, and their message lines need no look-up.
      const tombs = { any: this.s.hasTombs!.get(row.rowid) !== undefined };
      let off = 0;
      while (off < lines.length) {
        let nl = lines.indexOf(0x0a, off);
        if (nl === -1) nl = lines.length;
        const text = lines.toString('utf8', off, nl).replace(/\r$/, '');
        off = nl + 1;
        if (text.length > 0) this.applyRecord(row.rowid, text, tombs);
      }
      this.s.setFile!.run(to.ino, to.mtimeNs, to.end, to.tail, row.rowid);
    });
    Object.assign(row, { ino: to.ino, mtime_ns: to.mtimeNs, size: to.end, tail: to.tail });
  }

  /** Where the chat's file is indexed to, with nothing new to apply (-1: read it in full next time). */
  setFile(row: ChatRow, to: IndexedTo): void {
    this.s.setFile!.run(to.ino, to.mtimeNs, to.end, to.tail, row.rowid);
    Object.assign(row, { ino: to.ino, mtime_ns: to.mtimeNs, size: to.end, tail: to.tail });
  }

  private applyRecord(chat: number, text: string, tombs: { any: boolean }): void {
    const rec = parseRecord(text);
    if (rec.kind === 'message') {
      // A deleted id stays deleted, whatever comes after.
      if (tombs.any && this.s.isTomb!.get(chat, rec.rec.id)) return;
      this.insert(chat, toMessage(rec.rec));
    } else if (rec.kind === 'op') {
      if (rec.rec.op === 'delete') {
        const old = this.s.msg!.get(chat, rec.rec.id) as MsgRow | undefined;
        if (old) {
          this.s.ftsDelete!.run(old.rowid, old.content);
          this.s.deleteMsg!.run(old.rowid);
        }
        this.s.insertTomb!.run(chat, rec.rec.id);
        tombs.any = true;
        return;
      }
      const row = this.s.msg!.get(chat, rec.rec.id) as MsgRow | undefined;
      if (!row) return; // a change before any first appearance: an orphan, as in a full read
      const msg = { id: rec.rec.id, role: row.role, timestamp: row.ts, content: row.content, ...(row.swipes !== null ? { swipes: JSON.parse(row.swipes) as string[] } : {}), ...(row.swipe_id !== null ? { swipe_id: row.swipe_id } : {}) } as Message;
      applyOp(msg, rec.rec);
      const swipes = msg.swipes ? JSON.stringify(msg.swipes) : null;
      if (msg.content !== row.content) {
        this.s.ftsDelete!.run(row.rowid, row.content);
        this.s.ftsInsert!.run(row.rowid, msg.content);
      }
      if (msg.content !== row.content || swipes !== row.swipes || (msg.swipe_id ?? null) !== row.swipe_id) this.s.updateMsg!.run(msg.content, swipes, msg.swipe_id ?? null, row.rowid);
    }
    // meta (the title comes from the store's summary) and invalid lines: nothing to index
  }

  private insert(chat: number, m: Message): void {
    // Swipes are kept only while a message has more than its one text: a later swipe_select needs them.
    const swipes = m.swipes && m.swipes.length > 0 ? JSON.stringify(m.swipes) : null;
    const r = this.s.insertMsg!.run(chat, m.id, m.role, m.timestamp, m.content, swipes, m.swipe_id ?? null);
    if (r.changes === 1) {
      this.s.ftsInsert!.run(r.lastInsertRowid, m.content);
      return;
    }
    // A second first appearance of the id (a hand-merged file) replaces the message.
    const old = this.s.msg!.get(chat, m.id) as unknown as MsgRow;
    this.s.ftsDelete!.run(old.rowid, old.content);
    this.s.replaceMsg!.run(m.role, m.timestamp, m.content, swipes, m.swipe_id ?? null, old.rowid);
    this.s.ftsInsert!.run(old.rowid, m.content);
  }

  /**
   * Groups the writes that follow into one transaction until commitBatch: FTS5 writes a new segment
   * (and merges segments later) at every commit, so a first build of many small chats is several
   * times faster in big transactions. Reads on this connection see the writes at once.
   */
  beginBatch(): void {
    if (!this.db.isTransaction) this.db.exec('BEGIN IMMEDIATE');
  }

  commitBatch(): void {
    if (this.db.isTransaction) this.db.exec('COMMIT');
  }

  /** One unit of work: all of it or none (a savepoint inside a batch, else a transaction of its own). */
  private tx(work: () => void): void {
    const inBatch = this.db.isTransaction;
    this.db.exec(inBatch ? 'SAVEPOINT unit' : 'BEGIN IMMEDIATE');
    try {
      work();
      this.db.exec(inBatch ? 'RELEASE unit' : 'COMMIT');
    } catch (e) {
      if (inBatch) this.db.exec('ROLLBACK TO unit; RELEASE unit');
      else if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
  }
}

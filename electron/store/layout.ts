// Where everything lives under dataDir. The only place that builds paths from ids,
// and it only accepts ids that already passed the shared zod schemas.
import { join } from 'node:path';

export const CHAT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.jsonl$/;
/** write-file-atomic's temp names are `<target>.<uint32>`. */
export const REWRITE_TEMP = /^[0-9a-f-]{36}\.jsonl\.\d+$/;

export class Layout {
  readonly dataDir: string;
  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }
  get lockFile(): string {
    return join(this.dataDir, 'cardshark.lock');
  }
  /** The chat index (a cache of every chat's summary; see chat-index.ts). */
  get indexFile(): string {
    return join(this.dataDir, 'index.json');
  }
  /**
   * Caches of this device only (rebuilt from the chats when missing): the one place they live, so
   * that they can later move out of a synced data folder together. Not watched, not backed up.
   */
  get deviceCacheDir(): string {
    return join(this.dataDir, '.cache');
  }
  /** Per-chat position indexes (positions/position-cache.ts). */
  get positionsDir(): string {
    return join(this.deviceCacheDir, 'positions');
  }
  get chatsDir(): string {
    return join(this.dataDir, 'chats');
  }
  characterDir(characterId: string): string {
    return join(this.chatsDir, characterId);
  }
  chatFile(characterId: string, chatId: string): string {
    return join(this.characterDir(characterId), `${chatId}.jsonl`);
  }
  get backupsRoot(): string {
    return join(this.dataDir, 'backups');
  }
  get quarantineRoot(): string {
    return join(this.dataDir, 'quarantine');
  }
  backupDir(chatId: string): string {
    return join(this.backupsRoot, chatId);
  }
  trashDir(characterId: string): string {
    return join(this.dataDir, 'trash', characterId);
  }
  /** The app's last written version of chats changed outside the app, until compared (chats/own-versions.ts). */
  get ownVersionsDir(): string {
    return join(this.dataDir, '.own-versions');
  }
  quarantineDir(chatId: string): string {
    return join(this.quarantineRoot, chatId);
  }
}

// Where everything lives under dataDir. The only place that builds paths from ids,
// and it only accepts ids that already passed the shared zod schemas.
import { join } from 'node:path';
import { currentDeviceId } from './device-id.ts';

export const CHAT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12})\.jsonl$/;
/** write-file-atomic's temp names are `<target>.<uint32>`; a guarded rewrite's staging file is one too, and has one of its own while written. */
export const REWRITE_TEMP = /^[0-9a-f-]{36}\.jsonl(\.\d+){1,2}$/;

/** The folder of every device's own state; a sync tool is told to leave it alone (.stignore). */
export const DEVICES_DIR = 'devices';
export const CONTROL_FILE = 'cardshark.control.json';
/** `.own-versions` in the data folder itself, before per-device folders (store.ts adopts it). */
export const LEGACY_OWN_VERSIONS = '.own-versions';

/** Where per-device files lived before they moved under devices/<id>/ (relative to dataDir): migrated once. */
export const LEGACY_DEVICE_FILES = {
  settings: 'app/config.json',
  oldSettings: 'app/settings.json',
  state: 'app/state.json',
  drafts: 'app/drafts.json',
  importedFiles: 'app/imported-files.json',
} as const;

export class Layout {
  readonly dataDir: string;
  readonly deviceId: string;
  /** `deviceId` defaults to this computer's (device-id.ts). */
  constructor(dataDir: string, deviceId: string = currentDeviceId()) {
    this.dataDir = dataDir;
    this.deviceId = deviceId;
  }
  /**
   * This device's own state (lock, index, caches, logs, settings, drafts): never synced, never read
   * by another device. Everything below down to ownVersionsDir lives here.
   */
  get deviceDir(): string {
    return join(this.dataDir, DEVICES_DIR, this.deviceId);
  }
  get lockFile(): string {
    return join(this.deviceDir, 'cardshark.lock');
  }
  /** The chat index (a cache of every chat's summary; see chat-index.ts). */
  get indexFile(): string {
    return join(this.deviceDir, 'index.json');
  }
  /** Caches of this device only (rebuilt from the chats when missing). Not watched, not backed up. */
  get deviceCacheDir(): string {
    return join(this.deviceDir, '.cache');
  }
  get librarySearchFile(): string {
    return join(this.deviceCacheDir, 'library-search.sqlite');
  }
  /** The operations log's folder (oplog/oplog.ts). */
  get logsDir(): string {
    return join(this.deviceDir, 'logs');
  }
  /** Settings (with the API key), drafts, the active chat, imported files: owner-only (0700). */
  get deviceAppDir(): string {
    return join(this.deviceDir, 'app');
  }
  get appStateFile(): string {
    return join(this.deviceAppDir, 'state.json');
  }
  get draftsFile(): string {
    return join(this.deviceAppDir, 'drafts.json');
  }
  get importedFilesFile(): string {
    return join(this.deviceAppDir, 'imported-files.json');
  }
  /** Chat files being uploaded by the browser host (ipc/chat-uploads.ts). */
  get uploadsDir(): string {
    return join(this.deviceDir, '.uploads');
  }
  /** The running app's CLI door (cli/control.ts). */
  get controlFile(): string {
    return join(this.deviceDir, CONTROL_FILE);
  }
  /** Where a per-device file lived before this version (migrated by app-data/device-files.ts). */
  legacyFile(which: keyof typeof LEGACY_DEVICE_FILES): string {
    return join(this.dataDir, LEGACY_DEVICE_FILES[which]);
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
    return join(this.deviceDir, '.own-versions');
  }
  quarantineDir(chatId: string): string {
    return join(this.quarantineRoot, chatId);
  }
}

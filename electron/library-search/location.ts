// Where the library search keeps its index. The one place that names it: per-device state is to
// move out of the (possibly synced) data folder, and this file is what moves with it. The index is
// a cache: deleting the file loses nothing; it is rebuilt from the chat files.
import { Layout } from '../store/layout.ts';

export function librarySearchFile(dataDir: string): string {
  return new Layout(dataDir).librarySearchFile;
}

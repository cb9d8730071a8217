// An external writer, as another program would be: a separate process that appends to, replaces
// (temp file + rename, like an editor or write-file-atomic) or deletes a chat file, or writes a
// line in two parts. Usage: node writer-child.ts <op> <path> [text]
import { appendFileSync, closeSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';

const [op, path, text = ''] = process.argv.slice(2);
switch (op) {
  case 'append':
    appendFileSync(path!, text);
    break;
  case 'replace':
    writeFileSync(`${path}.tmp-editor`, text);
    renameSync(`${path}.tmp-editor`, path!);
    break;
  case 'write':
    writeFileSync(path!, text);
    break;
  case 'patch': {
    // In place, same length: `text` is "old=>new"; the file keeps its inode and its size.
    const [from, to] = text.split('=>') as [string, string];
    const at = readFileSync(path!).indexOf(from);
    if (at < 0 || Buffer.byteLength(from) !== Buffer.byteLength(to)) throw new Error('patch: not found or not the same length');
    const fd = openSync(path!, 'r+');
    writeSync(fd, Buffer.from(to), 0, Buffer.byteLength(to), at);
    closeSync(fd);
    break;
  }
  case 'delete':
    unlinkSync(path!);
    break;
  default:
    throw new Error(`unknown op ${op}`);
}

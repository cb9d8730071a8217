// An external writer, as another program would be: a separate process that appends to, replaces
// (temp file + rename, like an editor or write-file-atomic) or deletes a chat file, or writes a
// line in two parts. Usage: node writer-child.ts <op> <path> [text]
import { appendFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

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
  case 'delete':
    unlinkSync(path!);
    break;
  default:
    throw new Error(`unknown op ${op}`);
}

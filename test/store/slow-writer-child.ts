// Another program writing a chat file slowly, with its own file offset (no O_APPEND, like a copy
// or a download in progress): it writes `part1`, says WROTE, waits for a line on stdin, then
// writes `part2` where `part1` ended and says DONE. A file truncated meanwhile gets a hole.
// Usage: node slow-writer-child.ts <path> <create|append> <part1> <part2>
import { closeSync, fstatSync, openSync, writeSync } from 'node:fs';

const [path, mode, part1 = '', part2 = ''] = process.argv.slice(2);
const fd = openSync(path!, mode === 'create' ? 'w' : 'r+');
const start = mode === 'create' ? 0 : fstatSync(fd).size;
const first = Buffer.from(part1);
writeSync(fd, first, 0, first.length, start);
process.stdout.write('WROTE\n');
process.stdin.once('data', () => {
  const second = Buffer.from(part2);
  writeSync(fd, second, 0, second.length, start + first.length);
  closeSync(fd);
  process.stdout.write('DONE\n');
  process.exit(0);
});

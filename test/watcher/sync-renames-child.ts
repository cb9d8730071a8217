// A sync tool resolving a conflict as Syncthing does, in a process of its own: the chat's file moves
// aside to its conflict name, and after a gap the sync tool's temp file (the other computer's
// version) moves in. In between the chat's path names no file.
// Usage: node sync-renames-child.ts <chat file> <conflict name> <temp file> <gap ms>
import { renameSync } from 'node:fs';

const [file, copy, tmp, gap] = process.argv.slice(2) as [string, string, string, string];
renameSync(file, copy);
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(gap)); // a sleep of `gap` ms
renameSync(tmp, file);

// Peak RSS of the calling process, for the bench's child processes.
import { readFileSync } from 'node:fs';

/**
 * In MB. On Linux, VmHWM of /proc/self/status: it belongs to this process's own memory map, which
 * exec created fresh. getrusage's maxRSS does not: Linux carries the high-water mark of the forked
 * copy of the parent across exec, so a big parent (the bench) shows up as the child's peak.
 */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS / 1024;
}

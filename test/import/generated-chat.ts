// Test helpers for imports at scale: a generated SillyTavern chat of any size, written as it is
// made (never whole in memory), and a process's peak RSS as the kernel counts it.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

/** A SillyTavern chat of `messages` short messages (a few with swipes), written as it is made. */
export function writeChat(path: string, messages: number): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  let out: string[] = [];
  const flush = () => {
    const buf = Buffer.from(out.join(''));
    writeSync(fd, buf);
    bytes += buf.length;
    out = [];
  };
  out.push(JSON.stringify({ user_name: 'Wren', character_name: 'Séraphine', create_date: '2024-01-01@00h00m00s', chat_metadata: { integrity: 'x', note_prompt: '' } }));
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < messages; i++) {
    const user = i % 2 === 0;
    const send_date = new Date(t0 + i * 7_000).toISOString();
    const mes = `${user ? 'Wren' : 'Séraphine'} says ${i}: the lantern swings, ☕ ${'·'.repeat(i % 40)}`;
    const m: Record<string, unknown> = { name: user ? 'Wren' : 'Séraphine', is_user: user, is_system: false, send_date, mes, extra: user ? {} : { api: 'openai', token_count: i % 400 } };
    if (!user && i % 17 === 1) {
      m.swipes = [mes, `${mes} (again)`];
      m.swipe_id = 0;
    }
    out.push(`\n${JSON.stringify(m)}`);
    if (out.length >= 20_000) flush();
  }
  flush();
  closeSync(fd);
  return bytes;
}

/** A live process's peak RSS so far (VmHWM, kB); 0 once it is gone. */
export function peakKb(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // gone
  }
}

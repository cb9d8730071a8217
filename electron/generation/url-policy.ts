// Which generation base URLs we send requests (and the API key) to.
// Allowed: http(s) without userinfo, query or fragment, to any host but link-local and
// cloud-metadata addresses. Loopback and private LAN stay allowed: local LLM servers live there.
// Checked when settings are saved (the literal URL) and again right before each request
// (the literal URL, then every address its host resolves to).
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { StoreError } from '../../shared/errors.ts';

/** Host names that only ever mean a cloud metadata service. */
const METADATA_HOSTS = new Set(['metadata.google.internal']);

export type LookupAll = (hostname: string) => Promise<{ address: string }[]>;

const defaultLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Why the base URL is refused, or undefined when it is acceptable as written. */
export function baseUrlProblem(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'the base URL is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'the base URL must start with http:// or https://';
  if (url.username || url.password) return 'the base URL must not contain a user name or password (put the key in the API key field)';
  // Even an empty `?` or `#` is refused: whatever follows the base URL must stay a path.
  if (raw.includes('?') || url.search) return 'the base URL must not contain a query (?…)';
  if (raw.includes('#') || url.hash) return 'the base URL must not contain a fragment (#…)';
  const host = hostOf(url);
  if (METADATA_HOSTS.has(host)) return `the base URL points to a cloud metadata service (${host})`;
  if (isIP(host) && isForbiddenAddress(host)) return `the base URL points to a link-local or metadata address (${host})`;
  return undefined;
}

/** For saving settings: throws INVALID_INPUT with a clear message. */
export function assertBaseUrl(raw: string): URL {
  const problem = baseUrlProblem(raw);
  if (problem) throw new StoreError('INVALID_INPUT', problem, { reason: 'baseUrl' });
  return new URL(raw);
}

/**
 * Right before a request: the literal check again (the file may have been edited by hand),
 * then every address the host resolves to.
 * Left open (time of check / time of use): fetch resolves the name once more on its own, so a
 * DNS answer that changes between this lookup and fetch's connect (rebinding, TTL 0) is not
 * caught. Closing it means connecting to the checked address itself (a custom lookup on the
 * connection), which Node's built-in fetch does not offer without an undici dispatcher.
 */
export async function checkRequestUrl(raw: string, lookup: LookupAll = defaultLookup): Promise<URL> {
  const url = assertBaseUrl(raw);
  const host = hostOf(url);
  if (isIP(host)) return url;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host);
  } catch {
    throw new StoreError('IO_ERROR', `generation endpoint unreachable: the host ${host} could not be resolved`);
  }
  const bad = addresses.find((a) => isForbiddenAddress(a.address));
  if (bad) {
    throw new StoreError('INVALID_INPUT', `the base URL's host ${host} resolves to a link-local or metadata address (${bad.address})`, {
      reason: 'baseUrl',
    });
  }
  return url;
}

/** Lower case, no IPv6 brackets, no trailing dot. */
function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '').toLowerCase();
}

/** 169.254.0.0/16, 100.100.100.200, fe80::/10, fd00:ec2::254, and IPv4 embedded in IPv6 forms of the first two. */
export function isForbiddenAddress(ip: string): boolean {
  const v = isIP(ip);
  if (v === 4) return forbiddenV4(ip.split('.').map(Number));
  if (v !== 6) return false;
  const h = hextets(ip);
  if (!h) return true; // unparseable: refuse rather than guess
  if ((h[0]! & 0xffc0) === 0xfe80) return true;
  if (h.join(':') === [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254].join(':')) return true;
  const v4 = [h[6]! >> 8, h[6]! & 0xff, h[7]! >> 8, h[7]! & 0xff];
  const zero = (from: number, to: number) => h.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (translated), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64)
  if (zero(0, 5) && h[5] === 0xffff) return forbiddenV4(v4);
  if (zero(0, 4) && h[4] === 0xffff && h[5] === 0) return forbiddenV4(v4);
  if (zero(0, 6)) return forbiddenV4(v4);
  if (h[0] === 0x64 && h[1] === 0xff9b && zero(2, 6)) return forbiddenV4(v4);
  return false;
}

function forbiddenV4([a, b, c, d]: number[]): boolean {
  return (a === 169 && b === 254) || (a === 100 && b === 100 && c === 100 && d === 200);
}

/** Eight 16-bit groups of an IPv6 address (zone id dropped, dotted tail folded in). */
function hextets(ip: string): number[] | undefined {
  let s = ip.replace(/%.*$/, '').toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const part = (x: string) => (x ? x.split(':').map((g) => parseInt(g, 16)) : []);
  const head = part(halves[0]!);
  const tail = halves.length === 2 ? part(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return undefined;
  const out = [...head, ...Array<number>(fill).fill(0), ...tail];
  return out.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffff) ? out : undefined;
}

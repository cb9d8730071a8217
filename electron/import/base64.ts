// The bytes of a file the renderer sent as base64 (up to 27 MB of text): decoded 1 MiB at a time,
// in slices, so a big import does not hold the event loop while it is decoded.
import { runSliced, type Steps } from '../store/time-slices.ts';

const CHUNK_CHARS = 1 << 20; // a multiple of 4: each chunk decodes on its own

export function decodeBase64Sliced(base64: string): Promise<Buffer> {
  return runSliced(decodeSteps(base64));
}

function* decodeSteps(base64: string): Steps<Buffer> {
  const out = Buffer.allocUnsafe(Math.ceil(base64.length / 4) * 3);
  let at = 0;
  for (let i = 0; i < base64.length; i += CHUNK_CHARS) {
    at += out.write(base64.slice(i, i + CHUNK_CHARS), at, 'base64');
    yield;
  }
  return out.subarray(0, at);
}

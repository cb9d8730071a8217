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

/** The bytes a piece of BASE64_PIECE_CHARS characters decodes to: the size of the scratch buffer decodeBase64Pieces needs. */
export const BASE64_PIECE_BYTES = (CHUNK_CHARS / 4) * 3;

/**
 * The bytes of `base64`, decoded 1 MiB of text at a time into `scratch` (BASE64_PIECE_BYTES long,
 * reused from call to call), each piece handed to `take` before the next is decoded: the decoded
 * whole is never made (an upload chunk is 768 KiB at a time, not one more buffer its size per chunk).
 */
export async function decodeBase64Pieces(base64: string, scratch: Buffer, take: (piece: Buffer) => Promise<void>): Promise<void> {
  for (let i = 0; i < base64.length; i += CHUNK_CHARS) {
    const n = scratch.write(base64.slice(i, i + CHUNK_CHARS), 0, 'base64');
    await take(scratch.subarray(0, n));
  }
}

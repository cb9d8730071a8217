// PNG chunks for character cards: read the `chara` (V2) and `ccv3` (V3) tEXt chunks, and write an
// image with both. Card files come from strangers and reach 20 MiB, so every step is one linear
// pass through Buffer and zlib's native CRC: the chunk walk refuses a lying length before anything
// is allocated, chunks are views of the file (no copies), tEXt goes through the latin1 codec.
// (The png-chunks-* libraries copied byte by byte and png-chunk-text built the text one character
// at a time: an 8 MiB card took seconds.)
import { crc32 } from 'node:zlib';
import { StoreError } from '../../shared/errors.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const CARD_KEYWORDS = ['chara', 'ccv3'] as const;
export type Chunk = { name: string; data: Uint8Array };

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.buffer, bytes.byteOffset, 8).equals(SIGNATURE);
}

function bad(message: string): StoreError {
  return new StoreError('INVALID_INPUT', message, { reason: 'card' });
}

/**
 * The chunks up to IEND, each a view of `bytes`. Refused (INVALID_INPUT): a length that runs past
 * the end of the file (a truncated or hostile file), a CRC that does not match, no IHDR first,
 * no IEND. Bytes after IEND are ignored, as every decoder does.
 */
export function readChunks(bytes: Uint8Array): Chunk[] {
  if (!isPng(bytes)) throw bad('not a PNG file');
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const chunks: Chunk[] = [];
  for (let at = 8; ; ) {
    if (at + 12 > buf.length) throw bad('the PNG file is truncated (it ends inside a chunk, before IEND)');
    const length = buf.readUInt32BE(at);
    const name = buf.toString('latin1', at + 4, at + 8);
    if (length > buf.length - at - 12) throw bad(`the PNG file is truncated (its ${name} chunk is cut short)`);
    if (!chunks.length && name !== 'IHDR') throw bad('the PNG file is damaged: IHDR header missing');
    if (crc32(buf.subarray(at + 4, at + 8 + length)) !== buf.readUInt32BE(at + 8 + length)) throw bad(`the PNG file is damaged: the CRC of its ${name} chunk does not match`);
    chunks.push({ name, data: buf.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
    if (name === 'IEND') return chunks;
  }
}

/** A tEXt chunk's keyword (1–79 latin1 bytes) and text (latin1, no NUL); undefined if it is not one. */
export function decodeText(data: Uint8Array): { keyword: string; text: string } | undefined {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const nul = buf.indexOf(0);
  if (nul < 1 || nul > 79 || buf.indexOf(0, nul + 1) !== -1) return undefined;
  return { keyword: buf.toString('latin1', 0, nul), text: buf.toString('latin1', nul + 1) };
}

/** A tEXt chunk; the text must be latin1 without NUL (base64 always is). */
export function encodeText(keyword: string, text: string): Chunk {
  if (!/^[\x20-\x7e]{1,79}$/.test(keyword) || /[^\x01-\xff]/.test(text)) throw new Error(`a tEXt chunk takes latin1 text without NUL (keyword ${keyword})`);
  const data = Buffer.alloc(keyword.length + 1 + text.length);
  data.write(keyword, 0, 'latin1');
  data.write(text, keyword.length + 1, 'latin1');
  return { name: 'tEXt', data };
}

/** The card text chunks by keyword (base64 text), and the image's other chunks. */
export function splitCardChunks(bytes: Uint8Array): { texts: Map<string, string>; image: Chunk[] } {
  const texts = new Map<string, string>();
  const image: Chunk[] = [];
  for (const chunk of readChunks(bytes)) {
    if (chunk.name === 'tEXt') {
      const decoded = decodeText(chunk.data);
      const keyword = decoded?.keyword.toLowerCase();
      if (decoded && keyword && (CARD_KEYWORDS as readonly string[]).includes(keyword)) {
        texts.set(keyword, decoded.text);
        continue;
      }
    }
    image.push(chunk);
  }
  return { texts, image };
}

/** The chunks as a PNG file: signature, then each chunk with its length and CRC. */
export function encodePng(chunks: Chunk[]): Buffer {
  const parts: Uint8Array[] = [SIGNATURE];
  for (const { name, data } of chunks) {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(name, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(data, crc32(head.subarray(4))), 0);
    parts.push(head, data, crc);
  }
  return Buffer.concat(parts);
}

/** The image without any card chunks, plus `chara` and `ccv3` (base64 JSON), before IEND. */
export function withCardChunks(image: Uint8Array, texts: { chara: string; ccv3: string }): Buffer {
  const chunks = splitCardChunks(image).image;
  const end = chunks.findIndex((c) => c.name === 'IEND');
  chunks.splice(end < 0 ? chunks.length : end, 0, encodeText('chara', texts.chara), encodeText('ccv3', texts.ccv3));
  return encodePng(chunks);
}

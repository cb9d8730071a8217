// PNG text chunks for character cards: read the `chara` (V2) and `ccv3` (V3) tEXt chunks, and
// write an image with both. Chunk parsing, CRC checks and encoding are the png-chunks-* libraries';
// the only hand check here is a bounds walk first, so a lying length field (a truncated or hostile
// file) is refused before the extractor allocates what it claims.
import extractChunks from 'png-chunks-extract';
import encodeChunks from 'png-chunks-encode';
import * as pngText from 'png-chunk-text';
import { StoreError } from '../../shared/errors.ts';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
export const CARD_KEYWORDS = ['chara', 'ccv3'] as const;
type Chunk = { name: string; data: Uint8Array };

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && Buffer.from(bytes.subarray(0, 8)).equals(SIGNATURE);
}

function bad(message: string): StoreError {
  return new StoreError('INVALID_INPUT', message, { reason: 'card' });
}

/** Every chunk's declared length fits in the file, and the file reaches IEND. */
function checkBounds(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  for (;;) {
    if (at + 12 > bytes.length) throw bad('the PNG file is truncated (it ends inside a chunk, before IEND)');
    const length = view.getUint32(at);
    const type = String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!, bytes[at + 6]!, bytes[at + 7]!);
    if (length > bytes.length - at - 12) throw bad(`the PNG file is truncated (its ${type} chunk is cut short)`);
    at += 12 + length;
    if (type === 'IEND') return;
  }
}

export function readChunks(bytes: Uint8Array): Chunk[] {
  if (!isPng(bytes)) throw bad('not a PNG file');
  checkBounds(bytes);
  try {
    return extractChunks(bytes);
  } catch (e) {
    throw bad(`the PNG file is damaged: ${(e as Error).message}`);
  }
}

/** The card text chunks by keyword (base64 text), and the image's other chunks. */
export function splitCardChunks(bytes: Uint8Array): { texts: Map<string, string>; image: Chunk[] } {
  const texts = new Map<string, string>();
  const image: Chunk[] = [];
  for (const chunk of readChunks(bytes)) {
    if (chunk.name === 'tEXt') {
      let decoded: { keyword: string; text: string };
      try {
        decoded = pngText.decode(chunk.data);
      } catch {
        image.push(chunk);
        continue;
      }
      const keyword = decoded.keyword.toLowerCase();
      if ((CARD_KEYWORDS as readonly string[]).includes(keyword)) {
        texts.set(keyword, decoded.text);
        continue;
      }
    }
    image.push(chunk);
  }
  return { texts, image };
}

export function encodePng(chunks: Chunk[]): Buffer {
  return Buffer.from(encodeChunks(chunks));
}

/** The image without any card chunks, plus `chara` and `ccv3` (base64 JSON), before IEND. */
export function withCardChunks(image: Uint8Array, texts: { chara: string; ccv3: string }): Buffer {
  const chunks = splitCardChunks(image).image;
  const end = chunks.findIndex((c) => c.name === 'IEND');
  chunks.splice(end < 0 ? chunks.length : end, 0, pngText.encode('chara', texts.chara), pngText.encode('ccv3', texts.ccv3));
  return encodePng(chunks);
}

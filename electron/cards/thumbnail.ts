// A small avatar for lists and message rows: the image decoded (pngjs), box-averaged down to
// at most SIZE px on its longer side, re-encoded. Card pictures come from strangers, so nothing
// reaches pngjs unchecked: exactly one IHDR, first, with a valid format; at most MAX_PIXELS; and
// the image data inflated here first with a cap of the bytes its declared size needs, interlaced
// or not (pngjs caps only non-interlaced data, and takes a later IHDR over the first). pngjs then
// gets a clean copy: that IHDR, the palette chunks, one IDAT. Runs in the card worker (card-reader.ts).
import { inflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { encodePng, readChunks } from './png-card.ts';

export const THUMB_SIZE = 96;
// 16 Mpx is ~64 MB of RGBA and took 1.5 s to decode here (4000×4000, shared 2-core box); a
// typical 800×1200 card picture took 0.15–0.2 s.
export const MAX_PIXELS = 16_000_000;
// The inflated image data (buffers, outside the worker's heap limit): 16 Mpx of 8-bit RGBA fits;
// 16-bit samples at that size do not (pngjs holds several copies while it decodes).
export const MAX_IMAGE_BYTES = 80_000_000;

/** A thumbnail, or why there is none: the picture is damaged or hostile, or too large to decode. */
export type ThumbnailResult = { thumb: Buffer } | { refused: 'damaged' | 'too-large'; reason: string };

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

/** Colour type → samples per pixel and the bit depths the PNG spec allows for it. */
const FORMATS: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;
const KEPT = new Set(['PLTE', 'tRNS', 'gAMA']);

/** The bytes the image data must inflate to: every scanline with its filter byte, in every Adam7 pass. */
export function inflatedSize(h: Header): number {
  const bits = h.depth * FORMATS[h.colorType]!.channels;
  const lines = (w: number, rows: number) => (w && rows ? rows * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (!h.interlace) return lines(h.width, h.height);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) total += lines(Math.max(0, Math.ceil((h.width - x0) / dx)), Math.max(0, Math.ceil((h.height - y0) / dy)));
  return total;
}

function header(data: Uint8Array): Header | string {
  if (data.length !== 13) return 'its IHDR chunk is not 13 bytes';
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const h = { width: view.readUInt32BE(0), height: view.readUInt32BE(4), depth: view[8]!, colorType: view[9]!, interlace: view[12]! };
  if (!h.width || !h.height || h.width > 0x7fffffff || h.height > 0x7fffffff) return `its size ${h.width}×${h.height} is not a valid PNG size`;
  if (!FORMATS[h.colorType]?.depths.includes(h.depth)) return `colour type ${h.colorType} at ${h.depth} bits is not a PNG format`;
  if (view[10] !== 0 || view[11] !== 0 || h.interlace > 1) return 'its compression, filter or interlace method is unknown';
  return h;
}

const damaged = (reason: string): ThumbnailResult => ({ refused: 'damaged', reason });

/** The checked, clean PNG for pngjs, or why the picture is refused. */
function checkedPicture(png: Uint8Array): { clean: Buffer } | ThumbnailResult {
  let chunks: ReturnType<typeof readChunks>;
  try {
    chunks = readChunks(png);
  } catch (e) {
    return damaged((e as Error).message.replace(/^the PNG file is /, 'it is '));
  }
  const ihdrs = chunks.filter((c) => c.name === 'IHDR');
  if (ihdrs.length !== 1 || chunks[0]!.name !== 'IHDR') return damaged(`it has ${ihdrs.length} IHDR chunks (a PNG has exactly one, first)`);
  const h = header(chunks[0]!.data);
  if (typeof h === 'string') return damaged(h);
  if (h.width * h.height > MAX_PIXELS) return { refused: 'too-large', reason: `it is ${h.width}×${h.height} pixels (at most ${MAX_PIXELS / 1e6} million are decoded)` };
  const idat = Buffer.concat(chunks.filter((c) => c.name === 'IDAT').map((c) => c.data));
  if (!idat.length) return damaged('it has no image data');
  const expected = inflatedSize(h);
  if (expected > MAX_IMAGE_BYTES) return { refused: 'too-large', reason: `its image data is ${Math.round(expected / 1e6)} MB (at most ${MAX_IMAGE_BYTES / 1e6} MB are decoded)` };
  let inflated: Buffer;
  try {
    inflated = inflateSync(idat, { maxOutputLength: expected });
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return damaged(`its image data inflates to more than the ${expected} bytes its size needs`);
    return damaged('its image data is not valid zlib data');
  }
  if (inflated.length !== expected) return damaged(`its image data inflates to ${inflated.length} bytes, not the ${expected} its size needs`);
  const kept = chunks.filter((c) => KEPT.has(c.name));
  return { clean: encodePng([chunks[0]!, ...kept, { name: 'IDAT', data: idat }, { name: 'IEND', data: new Uint8Array(0) }]) };
}

export function makeThumbnail(png: Uint8Array, size = THUMB_SIZE): ThumbnailResult {
  const checked = checkedPicture(png);
  if (!('clean' in checked)) return checked;
  let src: PNG;
  try {
    src = PNG.sync.read(checked.clean);
  } catch (e) {
    return damaged(`it could not be decoded (${(e as Error).message.slice(0, 100)})`);
  }
  return { thumb: downscale(src, size) };
}

/** The thumbnail, or undefined when the picture is refused (makeThumbnail says why). */
export function thumbnail(png: Uint8Array, size = THUMB_SIZE): Buffer | undefined {
  const r = makeThumbnail(png, size);
  return 'thumb' in r ? r.thumb : undefined;
}

function downscale(src: PNG, size: number): Buffer {
  const scale = Math.min(1, size / Math.max(src.width, src.height));
  const w = Math.max(1, Math.round(src.width * scale));
  const h = Math.max(1, Math.round(src.height * scale));
  const out = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor((y * src.height) / h), y1 = Math.max(y0 + 1, Math.floor(((y + 1) * src.height) / h));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor((x * src.width) / w), x1 = Math.max(x0 + 1, Math.floor(((x + 1) * src.width) / w));
      const sum = [0, 0, 0, 0];
      for (let sy = y0; sy < y1; sy++) for (let sx = x0; sx < x1; sx++) {
        const i = (sy * src.width + sx) * 4;
        for (let c = 0; c < 4; c++) sum[c]! += src.data[i + c]!;
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * w + x) * 4;
      for (let c = 0; c < 4; c++) out.data[o + c] = Math.round(sum[c]! / n);
    }
  }
  return PNG.sync.write(out);
}

/** A plain picture for exporting a card that has none (a PNG card needs an image). */
export function placeholderImage(size = 256): Buffer {
  const img = new PNG({ width: size, height: size });
  for (let i = 0; i < img.data.length; i += 4) {
    img.data[i] = 0x44;
    img.data[i + 1] = 0x55;
    img.data[i + 2] = 0x66;
    img.data[i + 3] = 0xff;
  }
  return PNG.sync.write(img);
}

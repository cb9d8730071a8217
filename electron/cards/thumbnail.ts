// A small avatar for lists and message rows: the image decoded (pngjs), box-averaged down to
// at most SIZE px on its longer side, re-encoded. Images too large to decode safely get none.
import { PNG } from 'pngjs';

export const THUMB_SIZE = 96;
// Decoding is synchronous in main, once per import: 16 Mpx is ~64 MB of RGBA and took 1.5 s here
// (4000×4000, shared 2-core box); a typical 800×1200 card picture took 0.15–0.2 s.
const MAX_PIXELS = 16_000_000;

export function thumbnail(png: Uint8Array, size = THUMB_SIZE): Buffer | undefined {
  const buf = Buffer.from(png);
  if (buf.length < 24) return undefined;
  const width = buf.readUInt32BE(16);
  const height = buf.readUInt32BE(20);
  if (!width || !height || width * height > MAX_PIXELS) return undefined;
  let src: PNG;
  try {
    src = PNG.sync.read(buf);
  } catch {
    return undefined;
  }
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

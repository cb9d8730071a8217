// Card files in, card files out: V1/V2/V3 JSON, V2 and V3 PNGs, malformed and truncated PNGs.
import { describe, expect, it } from 'vitest';
import extractChunks from 'png-chunks-extract';
import * as pngText from 'png-chunk-text';
import { PNG } from 'pngjs';
import { cardToJson, cardToPng, parseCardFile } from '../../electron/cards/card-codec.ts';
import { makeThumbnail, thumbnail } from '../../electron/cards/thumbnail.ts';
import { splitCardChunks } from '../../electron/cards/png-card.ts';
import { chunk, ihdrData } from '../fixtures/cards.ts';
import { interlacedScanlines, pngOf, rgba, scanlines, zerosZlib } from '../fixtures/hostile-cards.ts';
import { deflateSync } from 'node:zlib';
import { StoreError } from '../../shared/errors.ts';
import { makePng, textChunk, v1Json, v2Data, v2Json, v2Png, v3Json, v3Png } from '../fixtures/cards.ts';

function invalid(f: () => unknown): StoreError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreError).code).toBe('INVALID_INPUT');
    return e as StoreError;
  }
  throw new Error('expected INVALID_INPUT');
}

const textChunks = (png: Uint8Array) =>
  new Map(extractChunks(png).filter((c) => c.name === 'tEXt').map((c) => pngText.decode(c.data)).map((t) => [t.keyword, JSON.parse(Buffer.from(t.text, 'base64').toString('utf8'))]));

describe('card import', () => {
  it('reads a V2 PNG: every field, nested extensions, the lorebook, and the picture without the chunk', () => {
    const p = parseCardFile(v2Png());
    expect(p.spec).toBe('v2');
    expect(p.card).toEqual(v2Data());
    expect(p.ownId).toBeUndefined();
    expect(PNG.sync.read(p.avatar!).width).toBe(40);
    expect(textChunks(p.avatar!).size).toBe(0);
  });

  it('prefers the ccv3 chunk of a V3 PNG that also has chara, and keeps V3-only fields', () => {
    const p = parseCardFile(v3Png());
    expect(p.spec).toBe('v3');
    expect(p.card.name).toBe('Seraphina');
    expect(p.card).toEqual(v3Json().data);
    expect(p.card.group_only_greetings).toEqual(['Hello, all.']);
  });

  it('reads JSON cards: V2, V3, V1 (flat), with a BOM', () => {
    expect(parseCardFile(Buffer.from(JSON.stringify(v2Json()))).card).toEqual(v2Data());
    expect(parseCardFile(Buffer.from('\ufeff' + JSON.stringify(v3Json()))).card).toEqual(v3Json().data);
    const v1 = parseCardFile(Buffer.from(JSON.stringify(v1Json())));
    expect(v1.spec).toBe('v1');
    expect(v1.card.name).toBe('Ada');
    expect(v1.card.first_mes).toBe('Hello.');
    expect(v1.card.alternate_greetings).toEqual([]);
    expect(v1.card.create_date).toBe('2023-6-19 @14h 20m 05s 123ms'); // unknown keys carried
  });

  it("takes the card's own id (data.character_uuid, then the legacy places) when it is a safe id", () => {
    expect(parseCardFile(v2Png({ character_uuid: '0b7c6f2e-1d2a-4c3b-9f00-5e6d7c8b9a01' })).ownId).toBe('0b7c6f2e-1d2a-4c3b-9f00-5e6d7c8b9a01');
    expect(parseCardFile(Buffer.from(JSON.stringify(v2Json({ extensions: { uuid: 'legacy-1' } })))).ownId).toBe('legacy-1');
    expect(parseCardFile(v2Png({ character_uuid: '../../etc' })).ownId).toBeUndefined();
  });

  it('refuses malformed files with a clear INVALID_INPUT', () => {
    expect(invalid(() => parseCardFile(Buffer.alloc(0))).message).toMatch(/empty/);
    expect(invalid(() => parseCardFile(Buffer.from('hello'))).message).toMatch(/neither a PNG card nor JSON/);
    expect(invalid(() => parseCardFile(makePng(4, 4))).message).toMatch(/no character card/);
    expect(invalid(() => parseCardFile(makePng(4, 4, [textChunk('chara', '!!!not base64!!!')]))).message).toMatch(/not base64/);
    expect(invalid(() => parseCardFile(makePng(4, 4, [textChunk('chara', Buffer.from('{oops').toString('base64'))]))).message).toMatch(/does not hold JSON/);
    expect(invalid(() => parseCardFile(Buffer.from(JSON.stringify({ spec: 'chara_card_v2' })))).message).toMatch(/no "data"/);
    expect(invalid(() => parseCardFile(Buffer.from(JSON.stringify(v2Json({ tags: 'a,b' }))))).message).toMatch(/tags/);
    expect(invalid(() => parseCardFile(Buffer.from(JSON.stringify(v2Json({ name: '' }))))).message).toMatch(/name/);
    expect(invalid(() => parseCardFile(Buffer.from('[1,2]'))).message).toMatch(/not a JSON object/);
    // A CRC that does not match (a flipped byte in the chunk).
    const png = v2Png();
    png[60] = png[60]! ^ 0xff;
    expect(invalid(() => parseCardFile(png)).message).toMatch(/damaged|card|JSON|base64/);
  });

  it('refuses a truncated PNG, whether cut inside a chunk or with a length field that lies', () => {
    const png = v2Png();
    expect(invalid(() => parseCardFile(png.subarray(0, png.length - 30))).message).toMatch(/truncated/);
    expect(invalid(() => parseCardFile(png.subarray(0, 40))).message).toMatch(/truncated/);
    const liar = Buffer.from(png);
    liar.writeUInt32BE(0x7fffffff, 33); // the IDAT length claims 2 GiB
    expect(invalid(() => parseCardFile(liar)).message).toMatch(/truncated/);
  });
});

describe('card export', () => {
  it('PNG: both chunks with the same data, the picture kept; import → export → import keeps everything', () => {
    for (const source of [v2Png(), v3Png(), Buffer.from(JSON.stringify(v3Json()))]) {
      const first = parseCardFile(source);
      const out = cardToPng(first.card, first.avatar ?? makePng(8, 8));
      const texts = textChunks(out);
      expect(texts.get('chara')).toMatchObject({ spec: 'chara_card_v2', spec_version: '2.0', data: first.card });
      expect(texts.get('ccv3')).toMatchObject({ spec: 'chara_card_v3', spec_version: '3.0', data: first.card });
      const second = parseCardFile(out);
      expect(second.card).toEqual(first.card);
      if (first.avatar) expect(PNG.sync.read(second.avatar!).data.equals(PNG.sync.read(first.avatar).data)).toBe(true);
    }
  });

  it('PNG export of a PNG that already had card chunks replaces them (one of each)', () => {
    const first = parseCardFile(v3Png());
    const out = cardToPng({ ...first.card, name: 'Renamed' }, v3Png());
    const names = extractChunks(out).filter((c) => c.name === 'tEXt').map((c) => pngText.decode(c.data).keyword);
    expect(names.sort()).toEqual(['ccv3', 'chara']);
    expect(parseCardFile(out).card.name).toBe('Renamed');
  });

  it('JSON: a V2 envelope that imports back to the same card', () => {
    const first = parseCardFile(v3Png());
    const json = JSON.parse(cardToJson(first.card));
    expect(json.spec).toBe('chara_card_v2');
    expect(parseCardFile(Buffer.from(cardToJson(first.card))).card).toEqual(first.card);
  });
});

describe('thumbnail', () => {
  it('shrinks the picture to at most 96 px, keeping the aspect', () => {
    const t = PNG.sync.read(thumbnail(makePng(300, 450))!);
    expect([t.width, t.height]).toEqual([64, 96]);
    expect(thumbnail(Buffer.from('not a png'))).toBeUndefined();
  });

  it('decodes an interlaced picture to the same thumbnail as the same picture not interlaced', () => {
    const plain = pngOf([chunk('IHDR', ihdrData(150, 97)), chunk('IDAT', deflateSync(scanlines(150, 97, 32, rgba)))]);
    const adam7 = pngOf([chunk('IHDR', ihdrData(150, 97, { interlace: 1 })), chunk('IDAT', deflateSync(interlacedScanlines(150, 97, 32, rgba)))]);
    expect(thumbnail(adam7)!.equals(thumbnail(plain)!)).toBe(true);
  });

  it('caps the inflated image data at the declared size, interlaced or not: a 300 MiB bomb is refused at once', () => {
    const bomb = zerosZlib(300 * 1024 * 1024);
    for (const interlace of [0, 1]) {
      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      const r = makeThumbnail(pngOf([chunk('IHDR', ihdrData(1, 1, { interlace })), chunk('IDAT', bomb)]));
      expect(r).toEqual({ refused: 'damaged', reason: 'its image data inflates to more than the 5 bytes its size needs' });
      // pngjs inflated all 300 MiB of an interlaced bomb (+600 MB, seconds); the cap stops at 5 bytes.
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(100e6);
    }
  });

  it('decodes only a PNG with exactly one IHDR, first: a second one (pngjs took it) is refused', () => {
    const big = pngOf([chunk('IHDR', ihdrData(1, 1)), chunk('IHDR', ihdrData(3000, 3000)), chunk('IDAT', zerosZlib(3000 * (1 + 3000 * 4)))]);
    expect(makeThumbnail(big)).toEqual({ refused: 'damaged', reason: 'it has 2 IHDR chunks (a PNG has exactly one, first)' });
    expect(makeThumbnail(pngOf([chunk('IHDR', ihdrData(20_000, 20_000)), chunk('IDAT', zerosZlib(100))]))).toMatchObject({ refused: 'too-large' });
    expect(makeThumbnail(pngOf([chunk('IHDR', ihdrData(4000, 4000, { depth: 16 })), chunk('IDAT', zerosZlib(100))]))).toMatchObject({ refused: 'too-large', reason: /128 MB/ });
  });
});

describe('card text chunks', () => {
  it('reads an 8 MiB tEXt chunk in one linear pass (png-chunk-text took seconds, a byte at a time)', () => {
    const text = 'QUJD'.repeat(2 * 1024 * 1024);
    const png = makePng(8, 8, [textChunk('chara', text)]);
    const t0 = performance.now();
    const { texts } = splitCardChunks(png);
    const ms = performance.now() - t0;
    expect(texts.get('chara')).toBe(text);
    expect(ms).toBeLessThan(1_000);
  });
});

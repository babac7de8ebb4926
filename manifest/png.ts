// Just enough PNG to write the app icons and to check the icons a package is built from. Teams
// rejects packages whose icons have the wrong size, and draws outline icons as masks, so the
// packager has to look at the pixels, not only at the file name.
import zlib from 'node:zlib';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG colour types this module reads and writes (8 bits per sample, no palette). */
export const COLOR_TYPE = { gray: 0, rgb: 2, grayAlpha: 4, rgba: 6 } as const;
export type ColorType = (typeof COLOR_TYPE)[keyof typeof COLOR_TYPE];

const CHANNELS: Record<ColorType, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export interface PngImage {
  width: number;
  height: number;
  colorType: ColorType;
  /** Row-major samples, `width * channels` bytes per row, no filter bytes. */
  pixels: Buffer;
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}

/** Applies filter `type` to one row; `prev` is the previous unfiltered row (zeros for the first). */
function filterRow(type: number, row: Buffer, prev: Buffer, bpp: number, out: Buffer): void {
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = prev[i]!;
    const c = i >= bpp ? prev[i - bpp]! : 0;
    let v: number;
    switch (type) {
      case 0: v = x; break;
      case 1: v = x - a; break;
      case 2: v = x - b; break;
      case 3: v = x - ((a + b) >> 1); break;
      default: v = x - paeth(a, b, c); break;
    }
    out[i] = v & 0xff;
  }
}

/**
 * Encodes an 8-bit, non-interlaced PNG. Each row gets the filter with the smallest sum of absolute
 * differences (the heuristic libpng uses), which keeps flat-colour icons small; the output is a
 * pure function of the input, so regenerated icons are byte-identical.
 */
export function encodePng(image: PngImage): Buffer {
  const { width, height, colorType, pixels } = image;
  const bpp = CHANNELS[colorType];
  const stride = width * bpp;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`PNG size ${width}x${height} is not a positive whole number of pixels.`);
  }
  if (pixels.length !== stride * height) {
    throw new Error(`PNG pixel buffer has ${pixels.length} bytes but ${width}x${height} needs ${stride * height}.`);
  }
  const raw = Buffer.alloc((stride + 1) * height);
  let prev: Buffer = Buffer.alloc(stride);
  const candidate = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    let bestType = 0;
    let bestScore = Infinity;
    for (let type = 0; type <= 4; type++) {
      filterRow(type, row, prev, bpp, candidate);
      let score = 0;
      for (const v of candidate) score += v < 128 ? v : 256 - v;
      if (score < bestScore) {
        bestScore = score;
        bestType = type;
      }
    }
    const offset = y * (stride + 1);
    raw[offset] = bestType;
    filterRow(bestType, row, prev, bpp, raw.subarray(offset + 1, offset + 1 + stride));
    prev = row;
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = colorType;
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering
  ihdr[12] = 0; // not interlaced
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Reads the IHDR of a PNG without decoding the image. */
export function readPngHeader(file: Buffer): PngHeader {
  if (file.length < 33 || !file.subarray(0, 8).equals(PNG_SIGNATURE)) {
    throw new Error('The file is not a PNG image (the PNG signature is missing).');
  }
  if (file.toString('latin1', 12, 16) !== 'IHDR') {
    throw new Error('The PNG is damaged: its first chunk is not IHDR.');
  }
  return {
    width: file.readUInt32BE(16),
    height: file.readUInt32BE(20),
    bitDepth: file[24]!,
    colorType: file[25]!,
    interlace: file[28]!,
  };
}

/**
 * Decodes an 8-bit, non-interlaced, non-palette PNG (what icon editors export for app icons),
 * checking every chunk CRC. Anything else is reported rather than guessed at.
 */
export function decodePng(file: Buffer): PngImage {
  const header = readPngHeader(file);
  if (header.bitDepth !== 8 || !(header.colorType in CHANNELS) || header.interlace !== 0) {
    throw new Error(
      `The PNG uses bit depth ${header.bitDepth}, colour type ${header.colorType}, interlace ${header.interlace}; ` +
        'save it as a non-interlaced 8-bit RGB or RGBA PNG.',
    );
  }
  const colorType = header.colorType as ColorType;
  const idat: Buffer[] = [];
  let pos = 8;
  let ended = false;
  while (pos + 12 <= file.length) {
    const length = file.readUInt32BE(pos);
    const type = file.toString('latin1', pos + 4, pos + 8);
    const end = pos + 12 + length;
    if (end > file.length) throw new Error(`The PNG is truncated inside its ${type} chunk.`);
    const expected = file.readUInt32BE(pos + 8 + length);
    if ((zlib.crc32(file.subarray(pos + 4, pos + 8 + length)) >>> 0) !== expected) {
      throw new Error(`The PNG is damaged: the CRC of its ${type} chunk does not match.`);
    }
    if (type === 'IDAT') idat.push(file.subarray(pos + 8, pos + 8 + length));
    pos = end;
    if (type === 'IEND') {
      ended = true;
      break;
    }
  }
  if (!ended) throw new Error('The PNG is truncated: it has no IEND chunk.');
  const bpp = CHANNELS[colorType];
  const stride = header.width * bpp;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  if (raw.length !== (stride + 1) * header.height) {
    throw new Error(`The PNG image data holds ${raw.length} bytes where ${header.width}x${header.height} needs ${(stride + 1) * header.height}.`);
  }
  const pixels = Buffer.alloc(stride * header.height);
  for (let y = 0; y < header.height; y++) {
    const type = raw[y * (stride + 1)]!;
    if (type > 4) throw new Error(`The PNG is damaged: row ${y} uses unknown filter ${type}.`);
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp]! : 0;
      const b = prev[i]!;
      const c = i >= bpp ? prev[i - bpp]! : 0;
      const x = line[i]!;
      switch (type) {
        case 0: out[i] = x; break;
        case 1: out[i] = (x + a) & 0xff; break;
        case 2: out[i] = (x + b) & 0xff; break;
        case 3: out[i] = (x + ((a + b) >> 1)) & 0xff; break;
        default: out[i] = (x + paeth(a, b, c)) & 0xff; break;
      }
    }
  }
  return { width: header.width, height: header.height, colorType, pixels };
}

// Draws the app icons: a shield (privileged access) with a bell (an alert) on it. Teams wants a
// 192x192 full-colour icon and a 32x32 outline icon that is white on transparent, which Teams tints
// itself. Drawing them from geometry keeps the committed PNGs reproducible: run
// `tsx manifest/icons.ts` after changing a shape and commit the result.
import fs from 'node:fs';
import path from 'node:path';
import { COLOR_TYPE, encodePng, type PngImage } from './png';

/** The icon background; manifest.template.json uses the same value as accentColor. */
export const ACCENT_COLOR = '#24408E';
const BELL_COLOR = '#F5A623';
const SHIELD_COLOR = '#FFFFFF';

export const COLOR_ICON_SIZE = 192;
export const OUTLINE_ICON_SIZE = 32;

/** Samples per pixel edge; 8x8 gives 64 coverage levels, enough for smooth edges at 32px. */
const SUPERSAMPLE = 8;

type Rgb = readonly [number, number, number];

function hexToRgb(hex: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`Colour ${hex} is not of the form #RRGGBB.`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

// Shapes live in a unit "glyph" square (x right, y down) so both icons share one drawing.

function inShield(x: number, y: number): boolean {
  const dx = Math.abs(x - 0.5);
  const halfWidth = 0.42;
  if (dx > halfWidth) return false;
  // The top edge dips slightly towards the middle, like a heater shield.
  const top = 0.04 + 0.05 * (1 - (dx / halfWidth) ** 2);
  if (y < top || y > 0.96) return false;
  if (y <= 0.5) return true;
  const t = (y - 0.5) / 0.46;
  return dx <= halfWidth * (1 - t * t);
}

function inCircle(x: number, y: number, cx: number, cy: number, r: number): boolean {
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

function inBell(x: number, y: number): boolean {
  const dx = Math.abs(x - 0.5);
  if (inCircle(x, y, 0.5, 0.25, 0.035)) return true; // hanger knob
  if (y <= 0.4 && inCircle(x, y, 0.5, 0.4, 0.14)) return true; // dome
  if (y > 0.4 && y <= 0.66) return dx <= 0.14 + ((y - 0.4) / 0.26) * 0.07; // flaring body
  if (y > 0.66 && y <= 0.71) return dx <= 0.25; // lip
  return inCircle(x, y, 0.5, 0.78, 0.05); // clapper
}

interface Placement {
  /** Icon pixels per glyph unit. */
  scale: number;
  /** Pixel offset of the glyph square's top-left corner. */
  offset: number;
}

/** Fraction-of-pixel coverage, per layer, computed by regular supersampling (deterministic). */
function coverage(place: Placement, px: number, py: number): { shield: number; bell: number } {
  let shield = 0;
  let bell = 0;
  for (let sy = 0; sy < SUPERSAMPLE; sy++) {
    for (let sx = 0; sx < SUPERSAMPLE; sx++) {
      const gx = (px + (sx + 0.5) / SUPERSAMPLE - place.offset) / place.scale;
      const gy = (py + (sy + 0.5) / SUPERSAMPLE - place.offset) / place.scale;
      if (!inShield(gx, gy)) continue;
      if (inBell(gx, gy)) bell++;
      else shield++;
    }
  }
  const n = SUPERSAMPLE * SUPERSAMPLE;
  return { shield: shield / n, bell: bell / n };
}

/** 192x192 RGB: white shield with an amber bell on the accent colour. */
export function renderColorIcon(): PngImage {
  const size = COLOR_ICON_SIZE;
  // The glyph takes the middle 72%, leaving the padding Teams' icon guidelines ask for.
  const place: Placement = { scale: size * 0.72, offset: size * 0.14 };
  const bg = hexToRgb(ACCENT_COLOR);
  const shieldRgb = hexToRgb(SHIELD_COLOR);
  const bellRgb = hexToRgb(BELL_COLOR);
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = coverage(place, x, y);
      const rest = 1 - c.shield - c.bell;
      for (let ch = 0; ch < 3; ch++) {
        pixels[(y * size + x) * 3 + ch] = Math.round(bg[ch]! * rest + shieldRgb[ch]! * c.shield + bellRgb[ch]! * c.bell);
      }
    }
  }
  return { width: size, height: size, colorType: COLOR_TYPE.rgb, pixels };
}

/** 32x32 RGBA: the shield in white with the bell cut out; every pixel is white, only alpha varies. */
export function renderOutlineIcon(): PngImage {
  const size = OUTLINE_ICON_SIZE;
  const place: Placement = { scale: size - 2, offset: 1 };
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = coverage(place, x, y);
      const i = (y * size + x) * 4;
      pixels[i] = 255;
      pixels[i + 1] = 255;
      pixels[i + 2] = 255;
      pixels[i + 3] = Math.round(c.shield * 255);
    }
  }
  return { width: size, height: size, colorType: COLOR_TYPE.rgba, pixels };
}

export const ICON_FILES = { color: 'color.png', outline: 'outline.png' } as const;

/** Writes color.png and outline.png into `dir` and returns their paths. */
export function writeIcons(dir: string): { color: string; outline: string } {
  const color = path.join(dir, ICON_FILES.color);
  const outline = path.join(dir, ICON_FILES.outline);
  fs.writeFileSync(color, encodePng(renderColorIcon()));
  fs.writeFileSync(outline, encodePng(renderOutlineIcon()));
  return { color, outline };
}

if (require.main === module) {
  const written = writeIcons(__dirname);
  process.stdout.write(`Wrote ${written.color} and ${written.outline}\n`);
}

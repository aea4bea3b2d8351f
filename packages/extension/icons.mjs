/**
 * The wallet's icon, drawn at build time at every size the manifest names (16, 32, 48, 128): a blue
 * rounded square with a white person — an identity. Pixels are computed from the shape (4×4 samples per
 * pixel for smooth edges) and written as PNG (RFC 2083: 8-bit RGBA, one IDAT deflated by node:zlib), so no
 * binary file lives in the repository and every size is drawn for its own grid.
 */
import { deflateSync } from 'node:zlib';

/** CRC-32 (ISO 3309, as PNG uses it); node:zlib has one only from Node 20.15. */
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const ICON_SIZES = [16, 32, 48, 128];

/** Coverage of the icon's shapes at (x, y) in a 1×1 square: 'blue', 'white' or undefined (transparent). */
function shapeAt(x, y) {
  const r = 0.2;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) return undefined;
  const head = (x - 0.5) ** 2 + (y - 0.38) ** 2 < 0.15 ** 2;
  const body = y > 0.58 && y < 0.84 && ((x - 0.5) / 0.28) ** 2 + ((y - 0.84) / 0.26) ** 2 < 1;
  return head || body ? 'white' : 'blue';
}

const COLORS = { blue: [11, 87, 208], white: [255, 255, 255] };

/** The icon as PNG bytes, `size` × `size`. */
export function iconPng(size) {
  const S = 4;
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let py = 0; py < size; py++) {
    raw[py * (size * 4 + 1)] = 0; // filter: none
    for (let px = 0; px < size; px++) {
      let a = 0;
      const rgb = [0, 0, 0];
      for (let sy = 0; sy < S; sy++)
        for (let sx = 0; sx < S; sx++) {
          const shape = shapeAt((px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size);
          if (!shape) continue;
          a++;
          for (let c = 0; c < 3; c++) rgb[c] += COLORS[shape][c];
        }
      const o = py * (size * 4 + 1) + 1 + px * 4;
      for (let c = 0; c < 3; c++) raw[o + c] = a ? Math.round(rgb[c] / a) : 0;
      raw[o + 3] = Math.round((255 * a) / (S * S));
    }
  }
  const chunk = (type, data) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
    return Buffer.concat([head, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8); // 8 bits, RGBA, deflate, no filter method variants, no interlace
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

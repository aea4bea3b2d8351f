/** The built extension's manifest: names from `_locales`, and an icon at every size it names, each a real PNG of that size. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { buildExtension } from '@maskid/extension/build';
import { tempDir } from '../helpers.js';

/** Decodes the PNGs the build writes (8-bit RGBA, filter 0 rows): size and the pixels' alpha. */
function decodePng(bytes: Buffer): { width: number; height: number; alpha: (x: number, y: number) => number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (pos < bytes.length) {
    const length = bytes.readUInt32BE(pos);
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([...data.subarray(8)], [8, 6, 0, 0, 0], 'RGBA, 8 bits');
    }
    if (type === 'IDAT') idat.push(data);
    pos += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, height * (width * 4 + 1));
  return { width, height, alpha: (x, y) => raw[y * (width * 4 + 1) + 1 + x * 4 + 3]! };
}

describe('extension manifest', () => {
  it('takes its names from _locales and has an icon at 16, 32, 48 and 128 px: transparent corners, an opaque middle', async () => {
    const { dir, cleanup } = tempDir('maskid-ext-build-');
    try {
      const out = await buildExtension({ out: join(dir, 'ext'), trustedIssuers: [{ url: 'https://id.example.gov', rootThumbprint: 'A'.repeat(43) }] });
      const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      assert.equal(manifest.default_locale, 'en');
      assert.equal(manifest.name, '__MSG_extName__');
      assert.deepEqual(manifest.action.default_icon, manifest.icons);
      assert.deepEqual(Object.keys(manifest.icons), ['16', '32', '48', '128']);
      for (const [size, path] of Object.entries(manifest.icons as Record<string, string>)) {
        const png = decodePng(readFileSync(join(out, path)));
        assert.equal(png.width, Number(size));
        assert.equal(png.height, Number(size));
        assert.equal(png.alpha(0, 0), 0, `${size}: a rounded corner`);
        assert.equal(png.alpha(png.width >> 1, png.height >> 1), 255, `${size}: the middle`);
      }
    } finally {
      cleanup();
    }
  });
});

/**
 * Status held in proportion to what is set (`CompactBits`, against the dense codec and CRoaring as
 * oracles), and a manifest size limit that follows from the capacity the verifier accepts.
 */
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { describe, it } from 'node:test';
import { RoaringBitmap32, roaringLibraryInitialize } from 'roaring-wasm';
import {
  BitstringStatusList,
  DEFAULT_STATUS_CAPACITY,
  MIN_STATUS_LIST_ENTRIES,
  MaskidError,
  TYP_STATUS_MANIFEST,
  MAX_MANIFEST_CHANGES,
  encodeListEpochs,
  encodeStatusChanges,
  manifestLengthLimit,
  signJwt,
} from '@maskid/core';
import { CompactBits, StatusListCache, type IssuerKeyCache } from '@maskid/verifier';
import { ISSUER, NOW, PLATFORM, makeFixture } from '../core/fixtures.js';
import { seededRandom } from '../helpers.js';

function randomList(entries: number, fill: number, seed: number): { list: BitstringStatusList; set: number[] } {
  const list = BitstringStatusList.create(entries);
  const random = seededRandom(seed);
  const set: number[] = [];
  for (let i = 0; i < entries; i++) {
    if (random() < fill) {
      list.set(i, true);
      set.push(i);
    }
  }
  return { list, set };
}

describe('CompactBits', () => {
  it('answers exactly what the dense list and CRoaring answer, at every fill and for every entry', async () => {
    await roaringLibraryInitialize();
    // 3 chunks of 65,536 (the last one full); fills below, at and above the 4,096-per-chunk switch.
    const entries = 3 * 65_536;
    for (const [fill, seed] of [
      [0, 1],
      [0.0001, 2],
      [0.01, 3],
      [4096 / 65_536, 4],
      [4100 / 65_536, 5],
      [0.5, 6],
      [1, 7],
    ] as const) {
      const { list, set } = randomList(entries, fill, seed);
      const bits = CompactBits.fromBytes(list.bytes);
      const roaring = RoaringBitmap32.from(new Uint32Array(set));
      assert.equal(bits.setCount, set.length, `fill ${fill}: set count`);
      assert.equal(bits.setCount, list.countSet());
      let mismatches = 0;
      for (let i = 0; i < entries; i++) if (bits.has(i) !== list.get(i) || bits.has(i) !== roaring.has(i)) mismatches++;
      assert.equal(mismatches, 0, `fill ${fill}: every entry answers as the oracles do`);
      // Memory: 2 bytes per set bit while a chunk holds ≤ 4,096, never more than the dense bits.
      assert.ok(bits.byteSize() <= list.bytes.length, `fill ${fill}: no larger than the dense bits`);
      if (fill <= 0.01) assert.equal(bits.byteSize(), 2 * set.length, `fill ${fill}: 2 bytes per set bit`);
      roaring.dispose();
    }
  });

  it('handles a chunk at exactly 4,096 and 4,097 set bits, the first and last entry of a chunk', () => {
    const list = BitstringStatusList.create(131_072);
    for (let i = 0; i < 4096; i++) list.set(i * 16, true); // chunk 0: exactly 4,096 (sparse)
    for (let i = 0; i < 4097; i++) list.set(65_536 + i * 15, true); // chunk 1: 4,097 (dense)
    list.set(131_071, true);
    const bits = CompactBits.fromBytes(list.bytes);
    assert.equal(bits.byteSize(), 4096 * 2 + 8192, 'chunk 0 as offsets, chunk 1 as bits');
    for (const i of [0, 16, 65_520, 65_535, 65_536, 65_537, 65_551, 131_070, 131_071]) assert.equal(bits.has(i), list.get(i), `entry ${i}`);
  });
});

describe('status manifest size follows from the capacity', () => {
  const platformBase = `https://id.example.gov/status/${PLATFORM}`;

  async function setup(capacity?: number) {
    const f = await makeFixture();
    const key = { kid: f.kid, issuer: ISSUER, jwk: f.issuerJwk, alg: 'ES256' as const, key: createPublicKey({ key: f.issuerJwk as never, format: 'jwk' }) };
    const keys = { get: () => key } as unknown as IssuerKeyCache;
    let manifest = '';
    const errors: string[] = [];
    const cache = new StatusListCache(keys, { get: async (url: string) => (url.endsWith('/manifest') ? { status: 200, body: manifest } : { status: 404 }) } as never, {
      platform: PLATFORM,
      issuers: [{ did: ISSUER, url: 'https://id.example.gov' }],
      now: () => NOW,
      ...(capacity !== undefined ? { capacity } : {}),
      onError: (_u, e) => errors.push(e instanceof MaskidError ? e.code : String(e)),
    });
    const sign = (count: number, epochs: (n: number) => number, extra: Record<string, unknown> = {}) => {
      const revocation = new Uint32Array(count);
      for (let n = 0; n < count; n++) revocation[n] = epochs(n);
      const iat = Math.floor(NOW / 1000) - 10;
      return signJwt(
        { typ: TYP_STATUS_MANIFEST, kid: f.kid },
        {
          iss: ISSUER,
          sub: PLATFORM,
          epoch: 2 ** 31,
          iat,
          exp: iat + 900,
          epochSeconds: 300,
          lists: { base: platformBase, count, listSize: MIN_STATUS_LIST_ENTRIES, revocation: encodeListEpochs(revocation), suspension: encodeListEpochs(revocation) },
          ...extra,
        },
        f.issuerSigner,
      );
    };
    return {
      cache,
      errors,
      sign,
      serve: (jwt: string) => {
        manifest = jwt;
      },
    };
  }

  it('accepts the largest manifest of the default capacity (2 × 16,384 lists, every epoch different, the most changes), under the derived limit', async () => {
    const t = await setup();
    const count = DEFAULT_STATUS_CAPACITY / MIN_STATUS_LIST_ENTRIES;
    const random = seededRandom(9);
    // Random 31-bit epochs (all after `since`): the packed arrays do not compress; with as many changes as a
    // manifest may carry, spread over every list: the worst case the limit is derived from.
    const entries = new Set<number>();
    while (entries.size < MAX_MANIFEST_CHANGES) entries.add(Math.floor(random() * DEFAULT_STATUS_CAPACITY));
    const none = new Uint32Array(0);
    const changes = encodeStatusChanges({ since: 1, set: { revocation: Uint32Array.from(entries).sort(), suspension: none }, clear: { revocation: none, suspension: none } });
    const jwt = await t.sign(count, () => 2 + Math.floor(random() * (2 ** 31 - 2)), { changes });
    assert.ok(jwt.length <= manifestLengthLimit(count), `${jwt.length} ≤ ${manifestLengthLimit(count)}`);
    assert.ok(jwt.length > 0.9 * manifestLengthLimit(count), 'the limit is tight: within 10 % of the worst case');
    t.serve(jwt);
    // Refresh fetches the manifest; the lists it names are not served here (their fetch errors are not the point).
    await t.cache.refreshIssuer(ISSUER).catch(() => undefined);
    t.cache.stop();
    assert.equal(t.cache.stats().epoch, 2 ** 31, 'the manifest was accepted');
  });

  it('refuses a manifest naming more entries than the accepted capacity, and one longer than its limit unread', async () => {
    const t = await setup(2 ** 20);
    t.serve(await t.sign(9, () => 0));
    await t.cache.refreshIssuer(ISSUER);
    assert.deepEqual(t.errors, ['ERR_STATUS_MANIFEST_INVALID'], '9 × 131,072 entries > 2^20');
    t.serve(await t.sign(8, () => 0, { pad: 'x'.repeat(manifestLengthLimit(8)) }));
    await t.cache.refreshIssuer(ISSUER);
    t.cache.stop();
    assert.deepEqual(t.errors, ['ERR_STATUS_MANIFEST_INVALID', 'ERR_TOKEN_TOO_LARGE']);
    assert.equal(t.cache.stats().epoch, 0, 'nothing was accepted');
    // The same capacity accepts a manifest of its size.
    const ok = await setup(2 ** 20);
    ok.serve(await ok.sign(8, () => 0));
    await ok.cache.refreshIssuer(ISSUER);
    ok.cache.stop();
    assert.deepEqual(ok.errors, []);
    assert.equal(ok.cache.stats().epoch, 2 ** 31);
  });
});

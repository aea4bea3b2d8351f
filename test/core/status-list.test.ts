import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { thrownCode } from '../helpers.js';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { decodeList } from '@digitalbazaar/vc-bitstring-status-list';
import { BitstringStatusList, encodeTokenStatusList, parseStatusListIndex, tokenStatusAt } from '@maskid/core';
import { StatusList } from '@sd-jwt/jwt-status-list';

describe('Bitstring Status List codec', () => {
  it('round-trips and uses the W3C bit order (index 0 = left-most bit of byte 0)', () => {
    const list = BitstringStatusList.create(131_072);
    for (const i of [0, 7, 8, 94_567, 131_071]) list.set(i, true);
    assert.equal(list.bytes[0], 0b1000_0001);
    assert.equal(list.bytes[1], 0b1000_0000);
    const decoded = BitstringStatusList.decode(list.encode());
    assert.equal(decoded.length, 131_072);
    for (let i = 0; i < 131_072; i++) assert.equal(decoded.get(i), [0, 7, 8, 94_567, 131_071].includes(i));
    assert.equal(decoded.countSet(), 5);
  });

  it('decodes the same bits with an independent library (@digitalbazaar/vc-bitstring-status-list)', async () => {
    const list = BitstringStatusList.create(262_144);
    const set = [1, 1000, 131_072, 262_143, 77_777];
    for (const i of set) list.set(i, true);
    const theirs = await decodeList({ encodedList: list.encode() });
    assert.equal(theirs.length, 262_144);
    for (const i of [...set, 0, 2, 999, 1001, 262_142]) assert.equal(theirs.getStatus(i), set.includes(i), `index ${i}`);
  });

  it('refuses lists shorter than 131,072 entries, bad prefixes, bad GZIP and oversized declared lengths', () => {
    const code = thrownCode;
    assert.equal(
      code(() => BitstringStatusList.create(1024)),
      'ERR_INPUT_INVALID',
    );
    const short = 'u' + gzipSync(new Uint8Array(1024)).toString('base64url');
    assert.equal(
      code(() => BitstringStatusList.decode(short)),
      'ERR_STATUS_LIST_INVALID',
    );
    const ok = BitstringStatusList.create(131_072).encode();
    assert.equal(
      code(() => BitstringStatusList.decode('z' + ok.slice(1))),
      'ERR_STATUS_LIST_INVALID',
    );
    assert.equal(
      code(() => BitstringStatusList.decode('u!!!!')),
      'ERR_STATUS_LIST_INVALID',
    );
    assert.equal(
      code(() => BitstringStatusList.decode('u' + Buffer.from('not gzip at all, really not').toString('base64url'))),
      'ERR_STATUS_LIST_INVALID',
    );
    // A GZIP stream whose trailer claims 4 GiB: refused before inflating anything.
    const bomb = Buffer.from(gzipSync(new Uint8Array(16_384)));
    bomb.writeUInt32LE(0xffff_ffff, bomb.length - 4);
    assert.equal(
      code(() => BitstringStatusList.decode('u' + bomb.toString('base64url'))),
      'ERR_STATUS_LIST_INVALID',
    );
    // A truncated list (trailer cut off).
    assert.equal(
      code(() => BitstringStatusList.decode(ok.slice(0, ok.length - 8))),
      'ERR_STATUS_LIST_INVALID',
    );
    assert.equal(
      code(() => BitstringStatusList.decode(ok).get(131_072)),
      'ERR_STATUS_LIST_INVALID',
    );
  });

  it('parses statusListIndex strictly', () => {
    assert.equal(parseStatusListIndex('0'), 0);
    assert.equal(parseStatusListIndex('94567'), 94_567);
    for (const bad of ['', '-1', '01', '1.5', ' 1', '1e3', 7, null, '9'.repeat(20)]) assert.equal(parseStatusListIndex(bad), undefined, String(bad));
  });
});

describe('Token Status List encoding (the VCLD form)', () => {
  it('packs the two Bitstring lists as @sd-jwt/jwt-status-list reads them: revoked 1, else suspended 2, else 0', () => {
    const entries = 4096;
    // ~25 % of each purpose set, independently (so every combination occurs), from random bytes.
    const sparse = () => {
      const mask = randomBytes(entries / 8);
      return randomBytes(entries / 8).map((b, i) => b & mask[i]!);
    };
    const revocation = sparse();
    const suspension = sparse();
    const lst = encodeTokenStatusList(revocation, suspension, entries);
    const oracle = StatusList.decompressStatusList(lst, 2);
    const bit = (bytes: Uint8Array, i: number) => (bytes[i >> 3]! >> (7 - (i & 7))) & 1;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < entries; i++) {
      const expected = bit(revocation, i) ? 1 : bit(suspension, i) ? 2 : 0;
      assert.equal(oracle.getStatus(i), expected, `entry ${i}`);
      assert.equal(tokenStatusAt(lst, i), expected, `entry ${i} (core reader)`);
      counts[expected]!++;
    }
    assert.ok(counts[1]! > 0 && counts[2]! > 0 && counts[0]! > 0, `every value occurs: ${counts}`);
    assert.equal(tokenStatusAt(lst, entries), undefined, 'past the end');
    assert.equal(
      thrownCode(() => encodeTokenStatusList(revocation, suspension, entries * 2)),
      'ERR_INPUT_INVALID',
    );
    assert.equal(
      thrownCode(() => tokenStatusAt('not*base64', 0)),
      'ERR_STATUS_LIST_INVALID',
    );
  });
});

/**
 * A manifest's `changes`: the packed index sets round-trip, and every contradiction or oversize is
 * refused by the check verifiers run (the signature was fine: the issuer is trusted, its bugs are not).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  BitstringStatusList,
  MAX_MANIFEST_CHANGES,
  base64url,
  checkStatusManifest,
  decodeIndexes,
  encodeIndexes,
  encodeListEpochs,
  encodeStatusChanges,
  type MaskidError,
  type StatusChanges,
} from '@maskid/core';
import { CompactBits } from '@maskid/verifier';
import { seededRandom } from '../helpers.js';

const LIST = 131_072;
const COUNT = 4;

function manifest(changes: unknown, epochs = { revocation: [0, 7, 0, 0], suspension: [0, 0, 0, 9] }): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: 'did:web:issuer.example',
    sub: 'forum',
    epoch: 10,
    iat: now,
    exp: now + 900,
    epochSeconds: 300,
    lists: {
      base: 'https://issuer.example/status/forum',
      count: COUNT,
      listSize: LIST,
      revocation: encodeListEpochs(Uint32Array.from(epochs.revocation)),
      suspension: encodeListEpochs(Uint32Array.from(epochs.suspension)),
    },
    changes,
  };
}
const check = (payload: Record<string, unknown>) => checkStatusManifest(payload, { issuer: 'did:web:issuer.example', platform: 'forum', now: Date.now() });
const empty = () => ({ revocation: new Uint32Array(0), suspension: new Uint32Array(0) });
const changes = (c: Partial<{ since: number; set: Partial<StatusChanges['set']>; clear: Partial<StatusChanges['clear']> }>): StatusChanges => ({
  since: c.since ?? 6,
  set: { ...empty(), ...c.set },
  clear: { ...empty(), ...c.clear },
});
const refused = (payload: Record<string, unknown>, why: RegExp) =>
  assert.throws(
    () => check(payload),
    (e: MaskidError) => e.code === 'ERR_STATUS_MANIFEST_INVALID' && why.test(e.message),
  );

describe("a manifest's changes", () => {
  it('round-trip as packed sorted indexes (gaps as varints), at every size up to the limit', () => {
    const random = seededRandom(3);
    for (const n of [0, 1, 2, 127, 128, 5000, MAX_MANIFEST_CHANGES]) {
      const set = new Set<number>();
      while (set.size < n) set.add(Math.floor(random() * 2 ** 31));
      const sorted = Uint32Array.from(set).sort();
      assert.deepEqual(decodeIndexes(encodeIndexes(sorted), MAX_MANIFEST_CHANGES, 2 ** 31), sorted);
    }
    assert.deepEqual([...decodeIndexes(encodeIndexes([0, 1, 2 ** 32 - 1]), 3, 2 ** 32)], [0, 1, 2 ** 32 - 1]);
    assert.throws(() => encodeIndexes([3, 3]), /strictly increasing/);
  });

  it('are accepted when they sit in lists that moved after `since`, and read back per purpose', () => {
    const m = check(manifest(encodeStatusChanges(changes({ set: { revocation: Uint32Array.of(LIST + 5) }, clear: { suspension: Uint32Array.of(3 * LIST + 9) } }))));
    assert.equal(m.changes?.since, 6);
    assert.deepEqual([...m.changes!.set.revocation], [LIST + 5]);
    assert.deepEqual([...m.changes!.clear.suspension], [3 * LIST + 9]);
    assert.equal(check(manifest(undefined)).changes, undefined, 'a manifest without changes is still valid (verifiers fetch)');
  });

  it('are refused when they contradict the list epochs, overlap, leave the lists, exceed the limit or are not well formed', () => {
    // List 0 of revocation did not move after since (epoch 0).
    refused(manifest(encodeStatusChanges(changes({ set: { revocation: Uint32Array.of(5) } }))), /did not change/);
    // List 1 moved at 7, but since is 7: a change "after 7" cannot be in it.
    refused(manifest(encodeStatusChanges(changes({ since: 7, set: { revocation: Uint32Array.of(LIST + 1) } }))), /did not change/);
    refused(manifest(encodeStatusChanges(changes({ set: { revocation: Uint32Array.of(LIST + 1) }, clear: { revocation: Uint32Array.of(LIST + 1) } }))), /both set and cleared/);
    refused(manifest(encodeStatusChanges(changes({ set: { suspension: Uint32Array.of(COUNT * LIST) } }))), /outside the lists/);
    refused(manifest(encodeStatusChanges(changes({ since: 11 }))), /since/);
    refused(manifest({ since: 6, revocation: { set: encodeIndexes([]), clear: encodeIndexes([]) } }), /suspension is missing/);
    const many = Uint32Array.from({ length: MAX_MANIFEST_CHANGES + 1 }, (_, i) => LIST + i);
    refused(manifest(encodeStatusChanges(changes({ set: { revocation: many } }))), /more than/);
    // Both halves of the limit count together.
    const half = Uint32Array.from({ length: MAX_MANIFEST_CHANGES / 2 + 1 }, (_, i) => LIST + i);
    const other = Uint32Array.from({ length: MAX_MANIFEST_CHANGES / 2 }, (_, i) => 3 * LIST + i);
    refused(manifest(encodeStatusChanges(changes({ set: { revocation: half, suspension: other } }))), /more than/);
    // A truncated varint, a zero gap, a GZIP bomb declaring far more than the limit.
    const packed = (bytes: number[]) => base64url(gzipSync(Uint8Array.from(bytes)));
    const raw = (set: string) => ({ since: 6, revocation: { set, clear: encodeIndexes([]) }, suspension: { set: encodeIndexes([]), clear: encodeIndexes([]) } });
    refused(manifest(raw(packed([0x80]))), /truncated/);
    refused(manifest(raw(packed([0x81, 0x80, 0x08, 0x00]))), /strictly increasing/);
    refused(manifest(raw(base64url(gzipSync(new Uint8Array(6 * MAX_MANIFEST_CHANGES))))), /more than/);
    refused(manifest(raw('not gzip')), /GZIP/);
  });

  it('applied to held bits give what the dense list gives (CompactBits.applied against BitstringStatusList)', () => {
    const random = seededRandom(5);
    for (const fill of [0, 0.001, 0.1]) {
      const dense = BitstringStatusList.create(LIST);
      for (let i = 0; i < LIST; i++) if (random() < fill) dense.set(i, true);
      const held = CompactBits.fromBytes(dense.bytes);
      const set: number[] = [];
      const clear: number[] = [];
      for (let k = 0; k < 500; k++) {
        const i = Math.floor(random() * LIST);
        if (set.includes(i) || clear.includes(i)) continue;
        if (random() < 0.5) set.push(i);
        else clear.push(i);
      }
      for (const i of set) dense.set(i, true);
      for (const i of clear) dense.set(i, false);
      const after = held.applied(set, clear);
      let mismatches = 0;
      for (let i = 0; i < LIST; i++) if (after.has(i) !== dense.get(i)) mismatches++;
      assert.equal(mismatches, 0, `fill ${fill}`);
      assert.equal(after.setCount, dense.countSet());
      assert.deepEqual(after.toBytes(), dense.bytes);
    }
    assert.equal(CompactBits.empty(LIST).applied([7], []).has(7), true);
  });
});

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, randomBytes } from 'node:crypto';
import * as issuerPackage from '@maskid/issuer';
import {
  AuditService,
  CredentialService,
  PlatformService,
  StatusIndexPermutation,
  maskedIdFor,
  parseNetworkNumber,
  formatNetworkNumber,
  randomSerial,
  type Issuer,
} from '@maskid/issuer';
import { MASKED_ID_PATTERN, type MaskidError, decodeJwt, fromBase32 } from '@maskid/core';

/**
 * The test's own inverse of a masked ID (AES-256 decryption of the one block): the package exports no
 * way to open one but `AuditService.reidentify`, which needs a case and a second operator.
 */
function openMaskedId(kMask: Uint8Array, maskedId: string): { version: number; personSerial: bigint; platformNumber: bigint } {
  const decipher = createDecipheriv('aes-256-ecb', kMask, null).setAutoPadding(false);
  const block = Buffer.concat([decipher.update(fromBase32(maskedId.slice(2))!), decipher.final()]);
  return { version: Number(maskedId[1]), personSerial: block.readBigUInt64BE(0), platformNumber: block.readBigUInt64BE(8) };
}
import { addPlatform, enrollPerson, testIssuer } from '../helpers.js';

describe('masked IDs', () => {
  const kMask = randomBytes(32);

  it('same person and platform → same masked ID; different platforms → different; inverts with the key only', () => {
    const person = randomSerial();
    const a = maskedIdFor(kMask, 1, person, 1n);
    assert.match(a, MASKED_ID_PATTERN);
    assert.equal(maskedIdFor(kMask, 1, person, 1n), a);
    assert.notEqual(maskedIdFor(kMask, 1, person, 2n), a);
    assert.notEqual(maskedIdFor(kMask, 1, randomSerial(), 1n), a);
    assert.deepEqual(openMaskedId(kMask, a), { version: 1, personSerial: person, platformNumber: 1n });
    const wrong = openMaskedId(randomBytes(32), a);
    assert.equal('openMaskedId' in issuerPackage, false, 'masked IDs are opened only through reidentify');
    assert.notEqual(wrong.personSerial, person);
    assert.notEqual(wrong.platformNumber, 1n);
  });

  it('network numbers round-trip and catch typos', () => {
    for (let i = 0; i < 200; i++) {
      const s = randomSerial();
      const text = formatNetworkNumber(s);
      assert.match(text, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z*~$=U]{2}$/);
      assert.equal(parseNetworkNumber(text), s);
      assert.equal(parseNetworkNumber(text.toLowerCase().replaceAll('-', ' ')), s);
    }
    const n = formatNetworkNumber(123456789n);
    const typo = (n[0] === '0' ? '1' : '0') + n.slice(1);
    assert.throws(
      () => parseNetworkNumber(typo),
      (e: MaskidError) => e.code === 'ERR_INPUT_INVALID',
    );
  });
});

describe('masked IDs through the issuer', () => {
  let one: Awaited<ReturnType<typeof testIssuer>>;
  let two: Awaited<ReturnType<typeof testIssuer>>;
  before(async () => {
    one = await testIssuer();
    two = await testIssuer();
  });
  after(async () => {
    await one.cleanup();
    await two.cleanup();
  });

  it('platforms registering the same id string get different random numbers (never derived from the id)', async () => {
    const a = await addPlatform(one.issuer, 'same-id');
    const b = await addPlatform(two.issuer, 'same-id');
    assert.notEqual(a.number, b.number);
    await assert.rejects(addPlatform(one.issuer, 'same-id'), (e: MaskidError) => e.code === 'ERR_CONFLICT');
  });

  it("a platform's credential forms: the VCDM form by default, both when named, anything else refused; the signed registry carries them", async () => {
    const service = new PlatformService(one.issuer);
    assert.deepEqual((await addPlatform(one.issuer, 'one-form')).formats, ['vc+sd-jwt']);
    const both = await service.add({ id: 'two-forms', name: 'Two forms', origins: ['http://localhost:39001'], claims: ['ageOver18'], formats: ['dc+sd-jwt', 'vc+sd-jwt'] });
    assert.deepEqual(both.formats, ['dc+sd-jwt', 'vc+sd-jwt']);
    for (const formats of [[], ['jwt_vc_json'], ['vc+sd-jwt', 'vc+sd-jwt', 'mso_mdoc']]) {
      await assert.rejects(
        service.add({ id: 'bad-forms', name: 'Bad', origins: ['http://localhost:39002'], claims: ['ageOver18'], formats }),
        (e: MaskidError) => e.code === 'ERR_INPUT_INVALID',
      );
    }
    assert.equal(await service.get('bad-forms').catch(() => undefined), undefined, 'nothing was registered');
    const { jwt } = await service.signedRegistry();
    const platforms = (decodeJwt(jwt).payload['credentialSubject'] as { platforms: { id: string; formats: string[] }[] }).platforms;
    assert.deepEqual(platforms.find((p) => p.id === 'two-forms')?.formats, ['dc+sd-jwt', 'vc+sd-jwt']);
    assert.deepEqual(platforms.find((p) => p.id === 'one-form')?.formats, ['vc+sd-jwt']);
  });

  it('reidentification recovers the network number from a masked ID', async () => {
    const issuer: Issuer = one.issuer;
    const nn = await enrollPerson(issuer);
    const platform = await new PlatformService(issuer).get('same-id');
    const other = await addPlatform(issuer, 'other');
    const creds = new CredentialService(issuer);
    const m1 = await creds.maskedId(parseNetworkNumber(nn), platform);
    assert.equal(await creds.maskedId(parseNetworkNumber(nn), platform), m1);
    assert.notEqual(await creds.maskedId(parseNetworkNumber(nn), other), m1);
    const k = await issuer.secret('k_mask_v1');
    assert.equal(formatNetworkNumber(openMaskedId(k, m1).personSerial), nn);
    assert.ok(AuditService);
  });
});

describe('status index permutation', () => {
  it('gives 1,000,000 (slot) pairs distinct indexes inside the capacity', () => {
    const perm = StatusIndexPermutation.forPlatform(randomBytes(32), 42n, 1 << 20);
    const seen = new Uint8Array(1 << 20);
    for (let slot = 0; slot < 1_000_000; slot++) {
      const i = perm.index(slot);
      if (!(i >= 0 && i < 1 << 20) || seen[i]) assert.fail(`index ${i} of slot ${slot} is outside the capacity or given twice`);
      seen[i] = 1;
    }
  });

  it('is a permutation also for a capacity that needs cycle-walking', () => {
    const capacity = 200_000; // domain 2^18: about 1 in 4 values walks again
    const perm = StatusIndexPermutation.forPlatform(randomBytes(32), 7n, capacity);
    const seen = new Uint8Array(capacity);
    for (let slot = 0; slot < capacity; slot++) {
      const i = perm.index(slot);
      if (!(i < capacity) || seen[i]) assert.fail(`index ${i} of slot ${slot} is outside the capacity or given twice`);
      seen[i] = 1;
    }
  });

  it('indexes of one slot on two platforms are unrelated, and slots outside the capacity are refused', () => {
    const key = randomBytes(32);
    const a = StatusIndexPermutation.forPlatform(key, 1n, 1 << 20);
    const b = StatusIndexPermutation.forPlatform(key, 2n, 1 << 20);
    let same = 0;
    for (let s = 0; s < 1000; s++) if (a.index(s) === b.index(s)) same++;
    assert.ok(same <= 2, `${same} equal indexes across platforms`);
    // Sequential slots do not give sequential indexes.
    let adjacent = 0;
    for (let s = 0; s < 1000; s++) if (Math.abs(a.index(s + 1) - a.index(s)) === 1) adjacent++;
    assert.ok(adjacent <= 2);
    assert.throws(
      () => a.index(1 << 20),
      (e: MaskidError) => e.code === 'ERR_STATE_INVALID',
    );
    assert.throws(
      () => a.index(-1),
      (e: MaskidError) => e.code === 'ERR_STATE_INVALID',
    );
  });
});

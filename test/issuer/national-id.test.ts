import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { validateNationalId, EnrollmentService, type Issuer } from '@maskid/issuer';
import { MaskidError } from '@maskid/core';
import { loadVectors, testIssuer } from '../helpers.js';

interface Vector {
  description: string;
  input: { nationalId: string; birthDate: string };
  expect: { ok: true; value: string; province: string } | { error: string };
}

const TODAY = new Date('2026-11-22T00:00:00Z');

describe('national ID vectors (test/vectors/national-id)', () => {
  for (const { file, vector } of loadVectors<Vector>('national-id')) {
    it(`${file}: ${vector.description}`, () => {
      if ('error' in vector.expect) {
        assert.throws(
          () => validateNationalId(vector.input.nationalId, { expectedBirthDate: vector.input.birthDate, today: TODAY }),
          (e: unknown) => e instanceof MaskidError && e.code === (vector.expect as { error: string }).error,
        );
      } else {
        const r = validateNationalId(vector.input.nationalId, { expectedBirthDate: vector.input.birthDate, today: TODAY });
        assert.equal(r.value, vector.expect.value);
        assert.equal(r.province, vector.expect.province);
        assert.equal(r.birthDate, vector.input.birthDate);
      }
    });
  }
});

describe('duplicate detection through the keyed blind index', () => {
  let issuer: Issuer;
  let cleanup: () => Promise<void>;
  before(async () => ({ issuer, cleanup } = await testIssuer()));
  after(() => cleanup());

  it('refuses the same national ID twice, also when written with a lower-case x', async () => {
    const { vector } = loadVectors<Vector>('national-id').find((v) => v.file === 'valid-x-check.json')!;
    const service = new EnrollmentService(issuer);
    const person = { nationalId: vector!.input.nationalId, familyName: 'Li', givenName: 'Si', birthDate: vector!.input.birthDate, gender: 'F', region: '11' };
    await service.enroll(person);
    for (const nationalId of [person.nationalId, person.nationalId.toLowerCase()]) {
      await assert.rejects(service.enroll({ ...person, nationalId, givenName: 'Other' }), (e: MaskidError) => e.code === 'ERR_PERSON_DUPLICATE');
    }
    const batch = await service.enrollMany([person, { ...person, nationalId: person.nationalId.toLowerCase() }]);
    assert.equal(batch.enrolled.length, 0);
    assert.deepEqual(
      batch.errors.map((e) => e.code),
      ['ERR_PERSON_DUPLICATE', 'ERR_PERSON_DUPLICATE'],
    );
  });

  it('stores no national ID in clear: the blind index is an HMAC under a key of this issuer', async () => {
    const service = new EnrollmentService(issuer);
    const id = '11010519491231002X';
    const blind = await service.blindIndex(id);
    assert.match(blind, /^[0-9a-f]{64}$/);
    const other = await testIssuer();
    try {
      assert.notEqual(await new EnrollmentService(other.issuer).blindIndex(id), blind);
    } finally {
      await other.cleanup();
    }
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EnrollmentService, PersonEntityForTests, StatusService, parseNetworkNumber, serialKey } from './erasure-helpers.js';
import { TEST_DB_KIND, allFiles, makeNationalId, piiPatterns, scanForNeedles, testIssuer } from '../helpers.js';

/** Every file below `dir`, scanned for the needles. */
const scan = (dir: string, needles: Record<string, Buffer[]>) =>
  scanForNeedles(
    allFiles(dir).map((f) => [f, readFileSync(f)] as [string, Buffer]),
    needles,
  );
const patterns = piiPatterns;

describe('erasure', () => {
  const skip = TEST_DB_KIND === 'postgres' && 'scans the raw SQLite files; on PostgreSQL erasure is logical until VACUUM (README: Deployment)';
  it('after delete, no name, national ID, birth date or data key of the person is left in the database, WAL or journal', { skip }, async () => {
    const t = await testIssuer();
    try {
      const { issuer, dir } = t;
      const birthDate = '1987-09-23';
      const nationalId = makeNationalId(birthDate, '44', 517);
      const familyName = '欧阳';
      const givenName = 'Xanthippe娜娜';
      const service = new EnrollmentService(issuer);
      const { networkNumber } = await service.enroll({ nationalId, familyName, givenName, birthDate, gender: 'F', region: '44' });
      const keep = await service.enroll({
        nationalId: makeNationalId('1970-01-01', '11', 3),
        familyName: 'Keep',
        givenName: 'Me',
        birthDate: '1970-01-01',
        gender: 'M',
        region: '11',
      });

      const row = await issuer.ds.getRepository(PersonEntityForTests).findOneByOrFail({ serial: serialKey(parseNetworkNumber(networkNumber)) });
      const dataKey = issuer.sealer.open(row.dataKeySealed!, `person-key:${row.serial}`);
      const needles: Record<string, Buffer[]> = {
        'national ID': patterns(nationalId),
        'family name': patterns(familyName),
        'given name': patterns(givenName),
        'birth date': [...patterns(birthDate), Buffer.from(birthDate.replaceAll('-', ''))],
        'data key': [dataKey, Buffer.from(dataKey.toString('hex')), Buffer.from(dataKey.toString('base64url')), Buffer.from(dataKey.toString('base64'))],
        'sealed data key': [Buffer.from(row.dataKeySealed!)],
        'sealed data': [Buffer.from(row.dataSealed!)],
      };
      // Encrypted at rest even before deletion: only the sealed forms are on disk.
      const before = scan(dir, needles);
      assert.ok(
        before.some((f) => f.startsWith('sealed data key')),
        'control: the scan sees the sealed key before deletion',
      );
      assert.deepEqual(
        before.filter((f) => !f.startsWith('sealed')),
        [],
        'personal data is never in clear',
      );

      await new StatusService(issuer).delete({ networkNumber });
      assert.deepEqual(scan(dir, needles), []);
      const gone = await issuer.ds.getRepository(PersonEntityForTests).findOneByOrFail({ serial: row.serial });
      assert.equal(gone.state, 'deleted');
      assert.equal(gone.blindIndex, null);
      // Everyone else is intact.
      const kept = await issuer.ds.getRepository(PersonEntityForTests).findOneByOrFail({ serial: serialKey(keep.serial) });
      assert.equal((await service.personData(kept)).familyName, 'Keep');
    } finally {
      await t.cleanup();
    }
  });
});

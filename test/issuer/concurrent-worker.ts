/**
 * One of several issuer processes sharing one database (test/issuer/concurrency.test.ts): enrols
 * persons in small batches, issues credentials, revokes and reissues some, and prints what it did
 * as JSON. Run as `node concurrent-worker.js <dataDir> <db|-> <worker> <persons>`.
 */
import { CredentialService, EnrollmentService, StatusService } from '@maskid/issuer';
import { makeNationalId, newHolder, openDevIssuer } from '../helpers.js';

const [dataDir, dbArg, workerArg, personsArg] = process.argv.slice(2);
const worker = Number(workerArg);
const persons = Number(personsArg);
const issuer = await openDevIssuer(dataDir!, dbArg && dbArg !== '-' ? dbArg : undefined);
try {
  // Worker w owns birth dates in its own year, so no two workers enrol the same national ID.
  const rows = Array.from({ length: persons }, (_, i) => {
    const birthDate = new Date(Date.UTC(1960 + worker, 0, 1) + (i % 360) * 86_400_000).toISOString().slice(0, 10);
    return { nationalId: makeNationalId(birthDate, '11', Math.floor(i / 360)), familyName: 'Li', givenName: `W${worker}-${i}`, birthDate, gender: 'F' as const, region: '11' };
  });
  const { enrolled, errors } = await new EnrollmentService(issuer).enrollMany(rows, { batchSize: 10 });
  if (errors.length > 0) throw new Error(`worker ${worker}: ${errors.length} rows failed: ${JSON.stringify(errors.slice(0, 3))}`);
  const status = new StatusService(issuer);
  const credentials = new CredentialService(issuer);
  const holder = await newHolder();
  const revoked: string[] = [];
  const reissued: string[] = [];
  const issued: { networkNumber: string; platform: string; statusIndex: number }[] = [];
  for (const [i, { networkNumber }] of enrolled.entries()) {
    if (i % 5 === 0) {
      await status.revoke({ networkNumber });
      revoked.push(networkNumber);
    } else if (i % 5 === 1) {
      await status.reissue({ networkNumber });
      reissued.push(networkNumber);
    }
    if (i % 5 !== 0 && i % 2 === 1) {
      for (const platformId of ['p1', 'p2']) {
        const c = await credentials.issue({ networkNumber, platformId, holder: holder.did });
        issued.push({ networkNumber, platform: platformId, statusIndex: c.statusIndex });
      }
    }
  }
  process.stdout.write(JSON.stringify({ worker, enrolled: enrolled.map((e) => e.networkNumber), revoked, reissued, issued }));
} finally {
  await issuer.close();
}

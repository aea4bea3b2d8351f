/**
 * Several issuer processes on one database (SQLite file; the PostgreSQL pass: one schema) enrolling,
 * issuing, revoking and reissuing at the same time: no status slot or index is handed out twice, no
 * revocation is lost, and the audit chain stays one unbroken chain.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AuditService, PlatformService, StatusService, findPerson } from '@maskid/issuer';
import { PersonEntity, StatusBitEntity, StatusChangeEntity } from '@maskid/issuer/entities';
import { TEST_DB_KIND, addPlatform, openDevIssuer, testIssuer } from '../helpers.js';

const WORKER = fileURLToPath(new URL('./concurrent-worker.js', import.meta.url));
const PROCESSES = 4;
const PERSONS = 60;

interface WorkerResult {
  worker: number;
  enrolled: string[];
  revoked: string[];
  reissued: string[];
  issued: { networkNumber: string; platform: string; statusIndex: number }[];
}

function runWorker(dir: string, db: string | undefined, worker: number): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, dir, db ?? '-', String(worker), String(PERSONS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as WorkerResult) : reject(new Error(`worker ${worker} exited ${code}: ${err.slice(-2000)}`))));
  });
}

describe(`${PROCESSES} issuer processes on one ${TEST_DB_KIND} database`, () => {
  it('never hand out a status slot or index twice, lose no revocation, and keep one audit chain', { timeout: 240_000 }, async () => {
    const t = await testIssuer();
    try {
      await addPlatform(t.issuer, 'p1');
      await addPlatform(t.issuer, 'p2');
      const results = await Promise.all(Array.from({ length: PROCESSES }, (_, w) => runWorker(t.dir, t.db, w)));

      // A fresh view of the database after every process exited.
      await t.issuer.close();
      const issuer = await openDevIssuer(t.dir, t.db);
      t.issuer = issuer;
      const people = await issuer.ds.getRepository(PersonEntity).find();
      assert.equal(people.length, PROCESSES * PERSONS, 'every enrolled person is there, once');
      const slots = people.map((p) => p.slot);
      assert.equal(new Set(slots).size, slots.length, 'no status slot shared by two persons');
      const reissues = results.reduce((n, r) => n + r.reissued.length, 0);
      assert.equal(Number(await issuer.getMeta('next_slot')), PROCESSES * PERSONS + reissues, 'the slot counter counted every allocation exactly once');

      for (const platform of ['p1', 'p2']) {
        const indexes = results.flatMap((r) => r.issued.filter((i) => i.platform === platform));
        const byIndex = new Map<number, string>();
        for (const { statusIndex, networkNumber } of indexes) {
          const other = byIndex.get(statusIndex);
          assert.ok(other === undefined || other === networkNumber, `status index ${statusIndex} on ${platform} given to two persons`);
          byIndex.set(statusIndex, networkNumber);
        }
        assert.ok(byIndex.size > 0);
      }

      // Every reported revocation is durable: its bit is set on every platform.
      const status = new StatusService(issuer);
      const platforms = await new PlatformService(issuer).list();
      // Published bits and the changes staged for the next epoch.
      const bits = [
        ...(await issuer.ds.getRepository(StatusBitEntity).findBy({ purpose: 'revocation' })),
        ...(await issuer.ds.getRepository(StatusChangeEntity).findBy({ purpose: 'revocation', epoch: 0, value: 1 })),
      ];
      const set = new Set(bits.map((b) => `${b.platformNumber}:${b.idx}`));
      const revoked = results.flatMap((r) => r.revoked);
      assert.equal(revoked.length, PROCESSES * (PERSONS / 5));
      for (const networkNumber of revoked) {
        const person = await findPerson(issuer, networkNumber);
        assert.equal(person.state, 'revoked');
        for (const platform of platforms) {
          const { index } = await status.position(platform, person.slot);
          assert.ok(set.has(`${platform.number.toString(16).padStart(16, '0')}:${index}`), `revocation of ${networkNumber} on ${platform.id} lost`);
        }
      }
      // Reissue revoked the old generation's bits too: 2 platforms × (revoked + reissued).
      assert.equal(bits.length, 2 * (revoked.length + reissues));

      const audit = await new AuditService(issuer).verify();
      assert.equal(audit.error, undefined, JSON.stringify(audit.error));
      // (+1: the key list signed at init is the chain's first entry.)
      assert.equal(audit.entries, 1 + revoked.length + reissues, 'one audit entry per change, none lost');
    } finally {
      await t.cleanup();
    }
  });
});

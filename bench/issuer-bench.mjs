// Issuer figures (one process, not pinned): `enroll --csv` as a real CLI process, enrolment, issuance through the Veramo agent with the
// node:crypto KMS vs Veramo's stock KMS, one person's batch for 500 platforms, publishing, and the
// memory a verifier needs for 100 million status entries.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Issuer, initIssuer, loadKek, EnrollmentService, PlatformService, CredentialService, StatusService, buildClaimsForBench } from './issuer-bench-helpers.mjs';
import { BitstringStatusList, didJwkFor } from '@maskid/core';
import { nationalId, stats } from './fixture.mjs';
import { csvEnrolment } from './enrol-csv.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const log = (...a) => process.stderr.write(`bench: ${a.join(' ')}\n`);

async function freshIssuer(init = {}, db) {
  const dir = mkdtempSync(join(tmpdir(), 'maskid-bench-issuer-'));
  const issuer = await Issuer.open({ dataDir: dir, kek: loadKek({ dev: true }), dev: true, ...(db ? { db } : {}) }, true);
  await initIssuer(issuer, { url: 'http://localhost:8443', ...init });
  return {
    issuer,
    close: async () => {
      await issuer.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
const row = () => ({ ...nationalId(), familyName: 'Zhang', givenName: 'San', gender: 'F', region: '11' });
/** Enrols 2,000 fresh rows; returns them and the rate. */
async function timedEnrol(enrol) {
  const rows = Array.from({ length: 2000 }, row);
  const t = performance.now();
  const { enrolled } = await enrol.enrollMany(rows);
  return { enrolled, rate: enrolled.length / ((performance.now() - t) / 1000) };
}
const holder = async () => didJwkFor(await crypto.subtle.exportKey('jwk', (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign'])).publicKey));

const out = {};
out.csv = csvEnrolment({ runs: RUNS, rows: Number(process.env.BENCH_CSV_ROWS ?? 20_000) });
log(`enroll --csv: ${out.csv.cliRowsPerSecond.median.toFixed(0)} rows/s (CLI), ${out.csv.processRowsPerSecond.median.toFixed(0)} rows/s (whole process)`);
{
  const { issuer, close } = await freshIssuer();
  const enrol = new EnrollmentService(issuer);
  const rates = [];
  for (let r = 0; r <= RUNS; r++) rates.push((await timedEnrol(enrol)).rate);
  out.enrolRowsPerSecond = stats(rates.slice(1));
  log(`enrol ${out.enrolRowsPerSecond.median.toFixed(0)} rows/s`);

  // Issuance through the agent: same claims, keyRef on the node:crypto KMS vs the stock local KMS.
  const settings = await issuer.settings();
  const local = await issuer.agent.didManagerCreate({ provider: 'did:web', alias: 'localhost%3A8444', kms: 'local', options: { keyType: 'Secp256r1' } });
  await new PlatformService(issuer).add({ id: 'forum', name: 'Forum', origins: ['https://forum.example'], claims: ['ageOver18'] });
  const h = await holder();
  const issueRate = async (did, keyRef, n = 200) => {
    const claims = buildClaimsForBench(did, h);
    const t = performance.now();
    for (let i = 0; i < n; i++) await issuer.agent.createVerifiableCredential({ credential: structuredClone(claims), proofFormat: 'vc+sd-jwt', keyRef });
    return n / ((performance.now() - t) / 1000);
  };
  const nodeKms = [];
  const stockKms = [];
  for (let r = 0; r <= RUNS; r++) {
    nodeKms.push(await issueRate(settings.did, settings.kid));
    stockKms.push(await issueRate(local.did, local.keys[0].kid));
  }
  // The KMS alone (keyManagerSign: one DB key lookup + the signature).
  const data = 'x'.repeat(1400);
  const signRate = async (kid, n = 2000) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) await issuer.agent.keyManagerSign({ keyRef: kid, data, algorithm: 'ES256' });
    return n / ((performance.now() - t) / 1000);
  };
  const nodeSign = [];
  const stockSign = [];
  for (let r = 0; r <= RUNS; r++) {
    nodeSign.push(await signRate(settings.kid));
    stockSign.push(await signRate(local.keys[0].kid, 500));
  }
  out.kmsSignPerSecondNode = stats(nodeSign.slice(1));
  out.kmsSignPerSecondStock = stats(stockSign.slice(1));
  log(`keyManagerSign node KMS ${out.kmsSignPerSecondNode.median.toFixed(0)}/s, stock KMS ${out.kmsSignPerSecondStock.median.toFixed(0)}/s`);
  out.issuePerSecondNodeKms = stats(nodeKms.slice(1));
  out.issuePerSecondStockKms = stats(stockKms.slice(1));
  log(`issue node KMS ${out.issuePerSecondNodeKms.median.toFixed(0)}/s, stock KMS ${out.issuePerSecondStockKms.median.toFixed(0)}/s`);
  await close();
}
{
  // One person's full batch: a credential for each of 500 platforms.
  const { issuer, close } = await freshIssuer();
  const platforms = new PlatformService(issuer);
  for (let i = 0; i < 500; i++) await platforms.add({ id: `p${i}`, name: `Platform ${i}`, origins: [`https://p${i}.example`], claims: ['ageOver18'] });
  const all = await platforms.list();
  const creds = new CredentialService(issuer);
  const times = [];
  for (let r = 0; r <= RUNS; r++) {
    const { networkNumber } = await new EnrollmentService(issuer).enroll(row());
    const h = await holder();
    const t = performance.now();
    for (const p of all) await creds.issue({ networkNumber, platformId: p.id, holder: h });
    times.push((performance.now() - t) / 1000);
  }
  out.batch500PlatformsSeconds = stats(times.slice(1));
  log(`batch of 500 platforms ${out.batch500PlatformsSeconds.median.toFixed(2)} s`);
  await close();
}
{
  // Publishing one epoch of one platform with 1,048,576 entries per purpose (8 lists each) and no
  // change since the last: only the manifest is signed (lists are re-signed only when they change).
  const { issuer, close } = await freshIssuer({ capacity: 1_048_576 });
  await new PlatformService(issuer).add({ id: 'forum', name: 'Forum', origins: ['https://forum.example'], claims: ['ageOver18'] });
  const times = [];
  for (let r = 0; r <= RUNS; r++) {
    const t = performance.now();
    await new StatusService(issuer).publish({});
    times.push((performance.now() - t) / 1000);
  }
  out.publish1MEntriesSeconds = stats(times.slice(1));
  log(`publish 1M entries ${out.publish1MEntriesSeconds.median.toFixed(2)} s`);
  await close();
}
{
  // Verifier memory for 100 million status entries: decoded lists held as the StatusListCache holds them.
  const encoded = BitstringStatusList.create(131_072).encode();
  const lists = Math.ceil(100_000_000 / 131_072);
  globalThis.gc?.();
  const before = process.memoryUsage();
  const held = [];
  for (let i = 0; i < lists; i++) held.push(BitstringStatusList.decode(encoded).bytes);
  globalThis.gc?.();
  const after = process.memoryUsage();
  out.verifierMemory100MEntries = {
    lists: held.length,
    entries: held.length * 131_072,
    heldMiB: held.reduce((a, b) => a + b.byteLength, 0) / 2 ** 20,
    arrayBuffersMiB: (after.arrayBuffers - before.arrayBuffers) / 2 ** 20,
    rssMiB: (after.rss - before.rss) / 2 ** 20,
  };
  log(`100M entries: ${out.verifierMemory100MEntries.heldMiB.toFixed(1)} MiB held (arrayBuffers delta ${out.verifierMemory100MEntries.arrayBuffersMiB.toFixed(1)} MiB)`);
}
// The same enrolment and issuance on SQLite and on PostgreSQL (issue: scale out). PostgreSQL is the
// machine's server (MASKID_POSTGRES_URL, default the local one), each run in a fresh schema.
{
  const PG = process.env.MASKID_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const databases = { sqlite: undefined, postgres: `${PG}${PG.includes('?') ? '&' : '?'}schema=bench_${process.pid}` };
  out.databases = {};
  for (const [name, db] of Object.entries(databases)) {
    let fresh;
    try {
      fresh = await freshIssuer({}, db);
    } catch (e) {
      out.databases[name] = { skipped: e.message.slice(0, 200) };
      log(`${name}: skipped (${e.message.slice(0, 120)})`);
      continue;
    }
    const { issuer, close } = fresh;
    try {
      const enrol = new EnrollmentService(issuer);
      await new PlatformService(issuer).add({ id: 'forum', name: 'Forum', origins: ['https://forum.example'], claims: ['ageOver18'] });
      const credentials = new CredentialService(issuer);
      const h = await holder();
      const enrolRates = [];
      const issueRates = [];
      for (let r = 0; r <= RUNS; r++) {
        const { enrolled, rate } = await timedEnrol(enrol);
        enrolRates.push(rate);
        const t = performance.now();
        for (const e of enrolled.slice(0, 200)) await credentials.issue({ networkNumber: e.networkNumber, platformId: 'forum', holder: h });
        issueRates.push(200 / ((performance.now() - t) / 1000));
      }
      out.databases[name] = { enrolRowsPerSecond: stats(enrolRates.slice(1)), issuePerSecond: stats(issueRates.slice(1)) };
      log(`${name}: enrol ${out.databases[name].enrolRowsPerSecond.median.toFixed(0)} rows/s, issue ${out.databases[name].issuePerSecond.median.toFixed(0)}/s`);
    } finally {
      if (db) await issuer.ds.query(`DROP SCHEMA IF EXISTS "bench_${process.pid}" CASCADE`);
      await close();
    }
  }
}
process.stdout.write(JSON.stringify(out) + '\n');

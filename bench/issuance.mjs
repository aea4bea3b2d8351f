// Issuance on one core (run pinned by run.mjs), all rows in one run so ratios are same-run:
//   I0  limit: node:crypto ES256 sign of a maskid credential's signing input + SHA-256 of its disclosures
//   I1  peer: @sd-jwt/core issuing the same claims and frame with a node:crypto signer and hasher
//   I2  maskid: one person x PLATFORMS platforms through CredentialService.issueBatch → the agent's
//       maskidIssueBatch, from database rows (person, platforms) to SD-JWT strings
//   I2-old  the per-credential path it replaces: agent.createVerifiableCredential('vc+sd-jwt') per credential
//   I2-VCLD the same batch in the SD-JWT VCLD form (dc+sd-jwt), and both forms of every platform in one batch
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { SDJwtInstance } from '@sd-jwt/core';
import { DIGEST_COUNT, DISCLOSABLE_CLAIMS, didJwkFor, parseSdJwt } from '@maskid/core';
import { Issuer, initIssuer, loadKek, EnrollmentService, PlatformService, CredentialService, findPerson, holderJwk, maskedIdEncoder, StatusIndexPermutation } from '@maskid/issuer';
import { nationalId, stats } from './fixture.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const PLATFORMS = Number(process.env.BENCH_ISSUE_PLATFORMS ?? 400);
const log = (...a) => process.stderr.write(`bench: ${a.join(' ')}\n`);
const rate = async (n, fn) => {
  const t = performance.now();
  await fn();
  return n / ((performance.now() - t) / 1000);
};

const dir = mkdtempSync(join(tmpdir(), 'maskid-bench-issuance-'));
const issuer = await Issuer.open({ dataDir: dir, kek: loadKek({ dev: true }), dev: true }, true);
try {
  await initIssuer(issuer, { url: 'http://localhost:8443' });
  const platforms = new PlatformService(issuer);
  for (let i = 0; i < PLATFORMS; i++) await platforms.add({ id: `p${i}`, name: `Platform ${i}`, origins: [`https://p${i}.example`], claims: ['ageOver18'] });
  const { networkNumber } = await new EnrollmentService(issuer).enroll({ ...nationalId(), familyName: '张', givenName: '三', gender: 'F', region: '11' });
  const holders = Array.from({ length: PLATFORMS }, () => didJwkFor(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })));
  const credentials = new CredentialService(issuer);

  // One real credential gives the sizes the limit and the peer work on.
  const sample = (await credentials.issue({ networkNumber, platformId: 'p0', holder: holders[0] })).sdJwt;
  const parsed = parseSdJwt(sample);
  const signingInput = parsed.jwtCompact.slice(0, parsed.jwtCompact.lastIndexOf('.'));
  const disclosures = parsed.disclosures;
  const claims = { ...parsed.jwt.payload, credentialSubject: { ...parsed.jwt.payload.credentialSubject } };
  delete claims._sd_alg;
  delete claims.credentialSubject._sd;
  for (const d of disclosures) {
    const [, name, value] = JSON.parse(Buffer.from(d, 'base64url').toString('utf8'));
    claims.credentialSubject[name] = value;
  }
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  const N = 2000;
  const limit = () =>
    rate(N, () => {
      for (let i = 0; i < N; i++) {
        sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
        for (const d of disclosures) createHash('sha256').update(d).digest();
      }
    });
  // The floor of I2, same run: I0 plus what the profile itself makes the issuer compute per credential
  // before any JSON is written: the holder key's point check, the status index (the platform's keyed
  // permutation of the person's slot, at the issuer's capacity) and the masked ID (one AES block).
  const { capacity } = await issuer.settings();
  const perms = Array.from({ length: PLATFORMS }, (_, i) => StatusIndexPermutation.forPlatform(randomBytes(32), BigInt(i + 1), capacity));
  const maskedId = maskedIdEncoder(randomBytes(32), 1);
  const floor = () =>
    rate(PLATFORMS * 5, () => {
      for (let r = 0; r < 5; r++)
        for (let i = 0; i < PLATFORMS; i++) {
          holderJwk(holders[i]);
          perms[i].index((12_345 + r * PLATFORMS + i) % capacity);
          maskedId(123_456_789n, BigInt(i + 1));
          sign('sha256', Buffer.from(signingInput), { key: privateKey, dsaEncoding: 'ieee-p1363' });
          for (const d of disclosures) createHash('sha256').update(d).digest();
        }
    });
  const peer = new SDJwtInstance({
    hasher: (data) => createHash('sha256').update(data).digest(),
    hashAlg: 'sha-256',
    saltGenerator: () => randomBytes(16).toString('base64url'),
    signer: (input) => sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url'),
    signAlg: 'ES256',
    omitTyp: true,
  });
  const frame = { credentialSubject: { _sd: [...DISCLOSABLE_CLAIMS], _sd_decoy: DIGEST_COUNT - DISCLOSABLE_CLAIMS.length } };
  const header = { typ: 'vc+sd-jwt', cty: 'vc', kid: parsed.jwt.header.kid };
  const peerRate = () =>
    rate(N / 2, async () => {
      for (let i = 0; i < N / 2; i++) await peer.issue(claims, frame, { header });
    });
  // I2: from the rows (person, platforms) to SD-JWT strings, one batch.
  const batch = () =>
    rate(PLATFORMS, async () => {
      const person = await findPerson(issuer, networkNumber);
      const all = await platforms.list();
      const issued = await credentials.issueBatch(
        person,
        all.map((platform, i) => ({ platform, holder: holders[i] })),
        Date.now(),
      );
      if (issued.length !== PLATFORMS) throw new Error('short batch');
    });
  // I2-VCLD: the same batch in the SD-JWT VCLD form, and both forms of every platform in one batch (what the extension asks for).
  const batchOf = (formats) =>
    rate(PLATFORMS * formats.length, async () => {
      const person = await findPerson(issuer, networkNumber);
      const all = await platforms.list();
      const items = all.flatMap((platform, i) => formats.map((format) => ({ platform, holder: holders[i], format })));
      const issued = await credentials.issueBatch(person, items, Date.now());
      if (issued.length !== items.length) throw new Error('short batch');
    });
  const s = await issuer.settings();
  const oldPath = () =>
    rate(200, async () => {
      for (let i = 0; i < 200; i++) {
        await issuer.agent.createVerifiableCredential({ credential: structuredClone({ ...claims, issuer: s.did }), proofFormat: 'vc+sd-jwt', keyRef: s.kid });
      }
    });

  const rows = { limit: [], floor: [], peer: [], batch: [], old: [], vcld: [], both: [], vcldVsVcdm: [] };
  for (let r = 0; r <= RUNS; r++) {
    rows.limit.push(await limit());
    rows.floor.push(await floor());
    rows.peer.push(await peerRate());
    // The two forms back to back in alternating order, and their ratio per run (paired).
    const vcldFirst = r % 2 === 1 ? await batchOf(['dc+sd-jwt']) : undefined;
    rows.batch.push(await batch());
    rows.vcld.push(vcldFirst ?? (await batchOf(['dc+sd-jwt'])));
    rows.vcldVsVcdm.push(rows.vcld.at(-1) / rows.batch.at(-1));
    rows.both.push(await batchOf(['vc+sd-jwt', 'dc+sd-jwt']));
    rows.old.push(await oldPath());
  }
  const out = {
    platforms: PLATFORMS,
    signingInputBytes: signingInput.length,
    disclosures: disclosures.length,
    limit: stats(rows.limit.slice(1)),
    floor: stats(rows.floor.slice(1)),
    peer: stats(rows.peer.slice(1)),
    batch: stats(rows.batch.slice(1)),
    perCredentialAgent: stats(rows.old.slice(1)),
    vcld: stats(rows.vcld.slice(1)),
    vcldVsVcdm: stats(rows.vcldVsVcdm.slice(1)),
    bothForms: stats(rows.both.slice(1)),
  };
  // Where the rest of a batch goes: the same batch's phases, timed once more.
  const person = await findPerson(issuer, networkNumber);
  const all = await platforms.list();
  const t0 = performance.now();
  await credentials.issueBatch(
    person,
    all.map((platform, i) => ({ platform, holder: holders[i] })),
    Date.now(),
  );
  out.batchMs = performance.now() - t0;
  log(
    `I0 limit ${out.limit.median.toFixed(0)}/s · I1 @sd-jwt/core ${out.peer.median.toFixed(0)}/s · I2 batch ${out.batch.median.toFixed(0)}/s (${(out.batch.median / out.limit.median).toFixed(2)} of I0, ${(out.batch.median / out.peer.median).toFixed(2)}× I1) · per-credential agent ${out.perCredentialAgent.median.toFixed(0)}/s`,
  );
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
}

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { CredentialService, StatusService, validUntilFor, maxValidityDays, NodeCryptoKeyManagementSystem, type Issuer } from '@maskid/issuer';
import { GrantEntity, MetaEntity, PersonEntity, type GrantRow } from '@maskid/issuer/entities';
import { In } from 'typeorm';
import { birthdayAt, parseSdJwt, presentInternetIdCredential, verifyInternetIdPresentation, DIGEST_COUNT, type MaskidError, type Jwk } from '@maskid/core';
import { addPlatform, enrollPerson, newHolder, testIssuer } from '../helpers.js';

const DAY = 86_400_000;

describe('issuance through the Veramo agent', () => {
  let t: Awaited<ReturnType<typeof testIssuer>>;
  let issuer: Issuer;
  let networkNumber: string;
  before(async () => {
    t = await testIssuer();
    issuer = t.issuer;
    for (const id of ['alpha', 'bravo-platform', 'c3']) await addPlatform(issuer, id, ['ageOver18', 'region', 'givenName']);
    networkNumber = await enrollPerson(issuer, { familyName: '欧阳', givenName: '娜娜', birthDate: '1990-03-04' });
  });
  after(() => t.cleanup());

  it("reads a row by its key as TypeORM does (the hot paths' plain reads): people in every state, with and without nulls, and settings", async () => {
    const status = new StatusService(issuer);
    await enrollPerson(issuer);
    const suspended = await enrollPerson(issuer);
    const deleted = await enrollPerson(issuer);
    await status.suspend({ networkNumber: suspended });
    await status.delete({ networkNumber: deleted });
    const people = await issuer.ds.getRepository(PersonEntity).find();
    assert.ok(people.some((p) => p.state === 'deleted' && p.dataSealed === null) && people.some((p) => p.state === 'suspended') && people.some((p) => p.state === 'active'));
    for (const person of people)
      assert.deepEqual(await issuer.rowByKey(PersonEntity, person.serial), { ...(await issuer.ds.getRepository(PersonEntity).findOneBy({ serial: person.serial })) });
    assert.equal(typeof (await issuer.rowByKey(PersonEntity, people[0]!.serial))!.slot, 'number', 'the bigint slot through its transformer');
    assert.equal(await issuer.rowByKey(PersonEntity, 'ffffffffffffffff'), undefined);
    assert.equal(await issuer.getMeta('issuer_did'), (await issuer.ds.getRepository(MetaEntity).findOneBy({ key: 'issuer_did' }))!.value);
    assert.equal(await issuer.getMeta('no such key'), undefined);
  });

  it("inserts rows as TypeORM does (the token endpoint's plain writes): booleans, bigints and a column only one row sets", async () => {
    const base = { kind: 'access' as GrantRow['kind'], serial: '0123456789abcdef', generation: 2, txCodeHash: null, attempts: 0, jkt: 'k'.repeat(43), used: false, parent: null };
    const rows = [
      { ...base, handle: 'a'.repeat(64), expiresAt: 2 ** 41 + 1, details: 'InternetIdCredential' },
      { ...base, handle: 'b'.repeat(64), kind: 'refresh' as GrantRow['kind'], expiresAt: 2 ** 41 + 2, used: true },
    ];
    await issuer.insertRows(GrantEntity, rows);
    const repo = issuer.ds.getRepository(GrantEntity);
    assert.deepEqual({ ...(await repo.findOneBy({ handle: 'a'.repeat(64) })) }, rows[0]);
    assert.deepEqual({ ...(await repo.findOneBy({ handle: 'b'.repeat(64) })) }, { ...rows[1], details: null });
    assert.deepEqual(await issuer.rowByKey(GrantEntity, 'b'.repeat(64)), { ...(await repo.findOneBy({ handle: 'b'.repeat(64) })) });
    // A row without a value for a column that cannot be NULL is refused before anything is written.
    const { kind: _kind, ...noKind } = { ...base, handle: 'c'.repeat(64), expiresAt: 1 };
    await assert.rejects(issuer.insertRows(GrantEntity, [{ ...base, handle: 'd'.repeat(64), expiresAt: 1 }, noKind]), (e: MaskidError) => e.code === 'ERR_INTERNAL');
    assert.equal(await repo.countBy({ handle: In(['c'.repeat(64), 'd'.repeat(64)]) }), 0);
  });

  it('returns an EnvelopedVerifiableCredential without VCDM 1.1 members', async () => {
    const holder = await newHolder();
    const settings = await issuer.settings();
    const vc = (await issuer.agent.createVerifiableCredential({
      credential: {
        '@context': ['https://www.w3.org/ns/credentials/v2', 'https://localhost:8443/contexts/v1'],
        type: ['VerifiableCredential', 'InternetIdCredential'],
        issuer: settings.did,
        validFrom: '2026-01-01T00:00:00Z',
        credentialSubject: { id: holder.did, ageOver18: true },
      } as never,
      proofFormat: 'vc+sd-jwt' as never,
    })) as unknown as { '@context': string[]; type: string; id: string };
    assert.equal(vc.type, 'EnvelopedVerifiableCredential');
    assert.deepEqual(vc['@context'], ['https://www.w3.org/ns/credentials/v2']);
    assert.ok(vc.id.startsWith('data:application/vc+sd-jwt,'));
    const { jwt } = parseSdJwt(vc.id.slice('data:application/vc+sd-jwt,'.length));
    assert.ok(!('issuanceDate' in jwt.payload), 'no VCDM 1.1 issuanceDate');
    assert.deepEqual(jwt.payload['@context'], ['https://www.w3.org/ns/credentials/v2', 'https://localhost:8443/contexts/v1']);
    assert.equal(jwt.header['typ'], 'vc+sd-jwt');
    assert.equal(jwt.header['kid'], `${settings.did}#${settings.kid}`);
  });

  it('issues one credential per platform that verifies, with uniform digest count and length', async () => {
    const creds = new CredentialService(issuer);
    const { jwk: issuerJwk } = await issuer.signer();
    const lengths: number[] = [];
    const masked = new Set<string>();
    for (const platform of ['alpha', 'bravo-platform', 'c3']) {
      const holder = await newHolder();
      const c = await creds.issue({ networkNumber, platformId: platform, holder: holder.did });
      masked.add(c.maskedId);
      const parsed = parseSdJwt(c.sdJwt);
      const subject = parsed.jwt.payload['credentialSubject'] as Record<string, unknown>;
      assert.equal((subject['_sd'] as unknown[]).length, DIGEST_COUNT);
      assert.equal(parsed.disclosures.length, 10);
      assert.ok(!('iat' in parsed.jwt.payload));
      assert.ok(!c.sdJwt.includes('110105'), 'the national ID is never in a credential');
      // The signed payload with the platform id and the status entries (which vary by platform, not
      // by person) replaced by fixed values: every other member has a fixed length.
      const payload = structuredClone(parsed.jwt.payload) as Record<string, any>;
      payload['credentialSubject']['platform'] = 'P';
      payload['credentialStatus'] = 'S';
      lengths.push(JSON.stringify(payload).length);
      const p = await presentInternetIdCredential(c.sdJwt, {
        claims: ['ageOver18', 'givenName'],
        kbSigner: holder.signer,
        nonce: 'nonce-abcdefghijklmnop',
        aud: 'origin:https://x.example',
      });
      const r = await verifyInternetIdPresentation(p, {
        issuerKey: () => issuerJwk,
        nonce: 'nonce-abcdefghijklmnop',
        audiences: ['origin:https://x.example'],
        platform,
        requestedClaims: ['ageOver18', 'givenName'],
      });
      assert.equal(r.verified, true, JSON.stringify(!r.verified && r.error));
      if (r.verified) assert.deepEqual(r.claims, { ageOver18: true, givenName: '娜娜' });
    }
    assert.equal(masked.size, 3, 'a different masked ID per platform');
    assert.equal(new Set(lengths).size, 1, `normalised payload lengths differ: ${lengths.join(', ')}`);
  });

  it('refuses a holder that is not a did:jwk, an unknown platform and an unknown person', async () => {
    const creds = new CredentialService(issuer);
    await assert.rejects(
      creds.issue({ networkNumber, platformId: 'alpha', holder: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK' }),
      (e: MaskidError) => e.code === 'ERR_INPUT_INVALID',
    );
    await assert.rejects(creds.issue({ networkNumber, platformId: 'nope', holder: (await newHolder()).did }), (e: MaskidError) => e.code === 'ERR_NOT_FOUND');
    await assert.rejects(
      creds.issue({ networkNumber: '0000-0000-0001-1', platformId: 'alpha', holder: (await newHolder()).did }),
      (e: MaskidError) => e.code === 'ERR_NOT_FOUND' || e.code === 'ERR_INPUT_INVALID',
    );
  });

  it('refuses to issue for a revoked person', async () => {
    const nn = await enrollPerson(issuer);
    await new StatusService(issuer).revoke({ networkNumber: nn });
    await assert.rejects(
      new CredentialService(issuer).issue({ networkNumber: nn, platformId: 'alpha', holder: (await newHolder()).did }),
      (e: MaskidError) => e.code === 'ERR_STATE_INVALID',
    );
  });

  it('signs with node:crypto: the KMS signature verifies with the public key, and survives a reopen', async () => {
    const { signer, jwk } = await issuer.signer();
    const data = Buffer.from('hello');
    const sig = await signer.sign(data);
    assert.equal(sig.length, 64);
    assert.ok(nodeVerify('sha256', data, { key: createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, sig));
    const kms = new NodeCryptoKeyManagementSystem({
      importKey: async (k: { alias?: string }) => ({ ...k, alias: k.alias ?? 'x' }),
      getKey: async () => {
        throw new Error('nope');
      },
      deleteKey: async () => true,
      listKeys: async () => [],
    } as never);
    const ed = await kms.createKey({ type: 'Ed25519' });
    const edSig = Buffer.from(await kms.sign({ keyRef: { kid: ed.kid }, data, algorithm: 'EdDSA' }), 'base64url');
    const edJwk = (ed.meta as { jwk: Jwk }).jwk;
    assert.ok(nodeVerify(null, data, createPublicKey({ key: edJwk as import('node:crypto').JsonWebKey, format: 'jwk' }), edSig));
    await assert.rejects(kms.sign({ keyRef: { kid: ed.kid }, data, algorithm: 'ES256' }));
  });
});

describe('validity', () => {
  const now = Date.UTC(2026, 10, 22, 15, 30);

  it('validUntil is a UTC midnight drawn over validityDays..2 × validityDays, every day of the range reachable', () => {
    const seen = new Set<number>();
    const today = Math.floor(now / DAY) * DAY;
    for (let i = 0; i < 2000; i++) {
      const v = validUntilFor(now, 30);
      assert.equal(v % DAY, 0);
      assert.ok(v >= today + 30 * DAY && v <= today + 60 * DAY, new Date(v).toISOString());
      seen.add(v);
    }
    assert.equal(seen.size, 31, 'all 31 days of the range are drawn');
    assert.ok(maxValidityDays(30) * DAY >= 60 * DAY + (now - today));
  });

  it('is not tied to the birth date: a credential issued days before the 18th birthday runs past it and under-claims', async () => {
    const t = await testIssuer();
    try {
      await addPlatform(t.issuer, 'pp', ['ageOver18']);
      const birthDate = '2008-11-25'; // 18 three days after `now`
      const networkNumber = await enrollPerson(t.issuer, { birthDate });
      const c = await new CredentialService(t.issuer).issue({ networkNumber, platformId: 'pp', holder: (await newHolder()).did, now });
      // validUntil is today (the day of `now`, 00:00) + 30–36 days; the birthday is 3 days away.
      assert.ok(Date.parse(c.validUntil) >= Math.floor(now / DAY) * DAY + 30 * DAY, `validUntil ${c.validUntil} is the usual 30–36 days, not the birthday`);
      const claims = Object.fromEntries(
        parseSdJwt(c.sdJwt)
          .disclosures.map((d) => JSON.parse(Buffer.from(d, 'base64url').toString()) as [string, string, unknown])
          .map(([, k, v]) => [k, v]),
      );
      assert.equal(claims['ageOver18'], false, 'before the birthday the claim is false: stale afterwards, it under-claims');
      assert.equal(claims['ageOver16'], true);
    } finally {
      await t.cleanup();
    }
    assert.equal(new Date(birthdayAt('2008-02-29', 18)).toISOString().slice(0, 10), '2026-03-01');
  });
});

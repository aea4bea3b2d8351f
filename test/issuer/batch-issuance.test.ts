import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign as nodeSign } from 'node:crypto';
import { SDJwtInstance } from '@sd-jwt/core';
import {
  CredentialService,
  PlatformService,
  findPerson,
  isP256Point,
  jwkThumbprintSync,
  verifyJwsSignature,
  secureSdJwtBatch,
  MaskidBatchIssuer,
  type Issuer,
} from '@maskid/issuer';
import {
  base64url,
  buildCredentialClaims,
  didJwkFor,
  issueSdJwtCredential,
  jwkThumbprint,
  parseSdJwt,
  verifySignature,
  sha256,
  utf8,
  verifyJwt,
  DIGEST_COUNT,
  DISCLOSABLE_CLAIMS,
  type Jwk,
  type MaskidError,
} from '@maskid/core';
import { addPlatform, enrollPerson, newHolder, sampleClaims, testIssuer } from '../helpers.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const issuerJwk = publicKey.export({ format: 'jwk' }) as Jwk;
const handle = { alg: 'ES256' as const, sign: (d: Buffer) => nodeSign('sha256', d, { key: privateKey, dsaEncoding: 'ieee-p1363' }) };

async function claimsSet(platform = 'forum'): Promise<Record<string, unknown>> {
  const h = await newHolder();
  return buildCredentialClaims({
    issuer: 'did:web:id.example',
    kid: 'k1',
    validUntil: '2027-01-30T00:00:00Z',
    holder: { id: h.did, jwk: h.jwk },
    maskedId: 'm1ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    platform,
    credentialStatus: [
      { id: 'https://id.example/s#1', type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '1', statusListCredential: 'https://id.example/s' },
      { id: 'https://id.example/t#1', type: 'BitstringStatusListEntry', statusPurpose: 'suspension', statusListIndex: '1', statusListCredential: 'https://id.example/t' },
    ],
    claims: sampleClaims(),
    contextDigestSRI: `sha384-${'A'.repeat(64)}`,
  }) as unknown as Record<string, unknown>;
}

/** The SD-JWT with salts and digests blanked, to compare structure with the oracle's output. */
function shape(sdJwt: string): unknown {
  const parsed = parseSdJwt(sdJwt);
  const payload = structuredClone(parsed.jwt.payload) as { credentialSubject: { _sd: string[] } };
  payload.credentialSubject._sd = payload.credentialSubject._sd.map(() => 'digest');
  const disclosures = parsed.disclosures.map((d) => {
    const [, name, value] = JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as [string, string, unknown];
    return [name, value];
  });
  return { header: parsed.jwt.header, payloadKeys: Object.keys(parsed.jwt.payload), payload, disclosures };
}

describe('batch SD-JWT builder (oracle: @sd-jwt/core)', () => {
  it('builds what @sd-jwt/core builds for the profile frame: same header, payload, disclosures; @sd-jwt/core verifies it and recovers every claim', async () => {
    const claims = await claimsSet();
    const [ours] = await secureSdJwtBatch([claims], handle, { typ: 'vc+sd-jwt', cty: 'vc', kid: 'did:web:id.example#k1' });
    const theirs = await issueSdJwtCredential(claims, { alg: 'ES256', sign: async (d) => new Uint8Array(handle.sign(Buffer.from(d))) }, 'did:web:id.example#k1');
    assert.deepEqual(shape(ours!), shape(theirs));
    const oracle = new SDJwtInstance<Record<string, unknown>>({
      hasher: async (data) => sha256(typeof data === 'string' ? utf8(data) : new Uint8Array(data)),
      hashAlg: 'sha-256',
      verifier: async (data, sig) => {
        await verifyJwt(`${data}.${sig}`, { key: issuerJwk, expectedTyp: 'vc+sd-jwt' });
        return true;
      },
    });
    const { payload } = (await oracle.verify(ours!)) as { payload: Record<string, unknown> };
    assert.deepEqual(payload['credentialSubject'], claims['credentialSubject'], 'every claim comes back from the disclosures');
    const parsed = parseSdJwt(ours!);
    assert.equal((parsed.jwt.payload['credentialSubject'] as { _sd: string[] })._sd.length, DIGEST_COUNT);
    assert.equal(parsed.disclosures.length, DISCLOSABLE_CLAIMS.length);
    const digests = (parsed.jwt.payload['credentialSubject'] as { _sd: string[] })._sd;
    assert.deepEqual([...digests].sort(), digests, 'digests are sorted (the claims order is hidden)');
    assert.equal(new Set(digests).size, DIGEST_COUNT, 'every digest and decoy is distinct');
    for (const d of parsed.disclosures) assert.ok(digests.includes(base64url(await sha256(utf8(d)))), 'each disclosure is referenced');
  });

  it('draws fresh salts for every credential and keeps input order', async () => {
    const sets = [await claimsSet('a'), await claimsSet('b'), await claimsSet('c')];
    const out = await secureSdJwtBatch(sets, handle, { typ: 'vc+sd-jwt', cty: 'vc', kid: 'k' });
    assert.deepEqual(
      out.map((s) => (parseSdJwt(s).jwt.payload['credentialSubject'] as { platform: string }).platform),
      ['a', 'b', 'c'],
    );
    const salts = out.flatMap((s) => parseSdJwt(s).disclosures.map((d) => (JSON.parse(Buffer.from(d, 'base64url').toString()) as string[])[0]));
    assert.equal(new Set(salts).size, salts.length, 'no salt repeats within a batch');
    assert.ok(
      salts.every((s) => Buffer.from(s!, 'base64url').length === 16),
      '128-bit salts',
    );
  });

  it('refuses claims that already carry SD-JWT members or lack a subject', async () => {
    const c = await claimsSet();
    await assert.rejects(secureSdJwtBatch([{ ...c, _sd_alg: 'sha-256' }], handle, { typ: 'vc+sd-jwt' }), (e: MaskidError) => e.code === 'ERR_PROFILE_INVALID');
    await assert.rejects(secureSdJwtBatch([{ ...c, credentialSubject: 'x' }], handle, { typ: 'vc+sd-jwt' }), (e: MaskidError) => e.code === 'ERR_PROFILE_INVALID');
  });
});

describe('node:crypto fast paths of the issuer (oracles: createPublicKey, @maskid/core)', () => {
  it('accepts exactly the P-256 points node:crypto accepts: valid keys, and the same keys with a coordinate bit flipped', () => {
    for (let i = 0; i < 64; i++) {
      const { x, y } = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as { x: string; y: string };
      const flipped = Buffer.from(y, 'base64url');
      flipped[i % 32]! ^= 1 << (i % 8);
      for (const [px, py] of [
        [x, y],
        [x, flipped.toString('base64url')],
      ] as const) {
        let oracle = true;
        try {
          createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: px, y: py }, format: 'jwk' });
        } catch {
          oracle = false;
        }
        assert.equal(isP256Point(px, py), oracle, `${px}.${py}`);
      }
    }
    const p = Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex').toString('base64url');
    assert.equal(isP256Point(p, p), false, 'coordinates ≥ p');
  });

  it('the synchronous thumbprint and JWS check agree with @maskid/core (WebCrypto): same thumbprints, and a flipped signature bit refused', async () => {
    for (let i = 0; i < 16; i++) {
      const h = await newHolder();
      assert.equal(jwkThumbprintSync(h.jwk), await jwkThumbprint(h.jwk));
      const input = `${base64url(utf8('{"alg":"ES256"}'))}.${base64url(utf8(String(i)))}`;
      const sig = await h.signer.sign(utf8(input));
      assert.equal(verifyJwsSignature('ES256', h.jwk, input, sig), await verifySignature('ES256', h.jwk, utf8(input), sig));
      assert.equal(verifyJwsSignature('ES256', h.jwk, input, sig), true);
      const bad = Uint8Array.from(sig);
      bad[i]! ^= 1;
      assert.equal(verifyJwsSignature('ES256', h.jwk, input, bad), false);
      assert.equal(verifyJwsSignature('EdDSA', h.jwk, input, sig), false, 'the algorithm must fit the key');
      assert.equal(verifyJwsSignature('ES256', h.jwk, input, sig.subarray(1)), false, 'a short signature');
    }
    assert.equal(isP256Point('AAAA', 'AAAA'), false, 'short coordinates');
  });
});

describe("the agent's maskidIssueBatch and CredentialService.issueBatch", () => {
  let t: Awaited<ReturnType<typeof testIssuer>>;
  let issuer: Issuer;
  let networkNumber: string;
  before(async () => {
    t = await testIssuer();
    issuer = t.issuer;
    for (const id of ['alpha', 'bravo', 'charlie']) await addPlatform(issuer, id, ['ageOver18']);
    networkNumber = await enrollPerson(issuer);
  });
  after(() => t.cleanup());

  it('is a method of the agent configured in agent.yml', () => {
    assert.ok(issuer.agent.availableMethods().includes('maskidIssueBatch'));
  });

  it("issues a person's batch: one credential per platform, each bound to its holder, signed by the issuer key, validUntil drawn per credential, no validFrom", async () => {
    const person = await findPerson(issuer, networkNumber);
    const platforms = await new PlatformService(issuer).list();
    const holders = await Promise.all(platforms.map(() => newHolder()));
    const rowsBefore = Number((await issuer.ds.query('SELECT COUNT(*) AS n FROM maskid_grant'))[0].n);
    const issued = await new CredentialService(issuer).issueBatch(
      person,
      platforms.map((platform, i) => ({ platform, holder: holders[i]!.did })),
      Date.now(),
    );
    assert.equal(Number((await issuer.ds.query('SELECT COUNT(*) AS n FROM maskid_grant'))[0].n), rowsBefore, 'no row per credential');
    const { jwk } = await issuer.signer();
    assert.equal(issued.length, platforms.length);
    for (const [i, c] of issued.entries()) {
      const { payload } = await verifyJwt(parseSdJwt(c.sdJwt).jwtCompact, { key: jwk, expectedTyp: 'vc+sd-jwt' });
      assert.equal((payload['credentialSubject'] as { platform: string }).platform, platforms[i]!.id);
      assert.deepEqual((payload['cnf'] as { jwk: Jwk }).jwk.x, holders[i]!.jwk.x);
      assert.ok(!('validFrom' in payload) && !('iat' in payload), 'no issuance date of any kind');
      assert.equal(payload['validUntil'], c.validUntil);
    }
    assert.equal(new Set(issued.map((c) => c.maskedId)).size, platforms.length, 'a different masked ID per platform');
  });

  it('refuses bad input with a typed error and signs nothing', async () => {
    const person = await findPerson(issuer, networkNumber);
    const [platform] = await new PlatformService(issuer).list();
    const creds = new CredentialService(issuer);
    const good = (await newHolder()).did;
    const offCurve = didJwkFor({ kty: 'EC', crv: 'P-256', x: base64url(new Uint8Array(32).fill(1)), y: base64url(new Uint8Array(32).fill(2)) });
    const x25519 = didJwkFor({ kty: 'OKP', crv: 'X25519', x: base64url(new Uint8Array(32).fill(9)) });
    const code = async (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: MaskidError) => e.code,
      );
    let signed = 0;
    const counting = new MaskidBatchIssuer({
      kms: {
        node: {
          batchHandle: async () => ({
            alg: 'ES256',
            sign: () => {
              signed++;
              return Buffer.alloc(64);
            },
          }),
        },
      },
    });
    assert.equal(
      await code(
        creds.issueBatch(
          person,
          [
            { platform: platform!, holder: good },
            { platform: platform!, holder: offCurve },
          ],
          Date.now(),
        ),
      ),
      'ERR_INPUT_INVALID',
      'a point off the curve',
    );
    assert.equal(await code(creds.issueBatch(person, [{ platform: platform!, holder: x25519 }], Date.now())), 'ERR_ALG_NOT_ALLOWED', 'not a P-256 or Ed25519 key');
    assert.equal(await code(creds.issueBatch(person, [{ platform: platform!, holder: 'did:key:z6Mk' }], Date.now())), 'ERR_INPUT_INVALID', 'not a did:jwk');
    assert.equal(await code(creds.issue({ networkNumber, platformId: 'nope', holder: good })), 'ERR_NOT_FOUND', 'an unknown platform');
    assert.equal(await code(creds.issue({ networkNumber: 'X', platformId: 'alpha', holder: good })), 'ERR_INPUT_INVALID', 'an unknown person');
    assert.equal(await code(creds.issueBatch({ ...person, state: 'revoked' }, [{ platform: platform!, holder: good }], Date.now())), 'ERR_STATE_INVALID', 'a revoked person');
    assert.equal(await code(creds.issueBatch({ ...person, state: 'deleted' }, [{ platform: platform!, holder: good }], Date.now())), 'ERR_STATE_INVALID', 'a deleted person');
    const s = await issuer.settings();
    const ctx = { agent: issuer.agent } as never;
    const claims = await claimsSet();
    const args = { issuer: s.did, keyRef: s.kid, proofFormat: 'vc+sd-jwt' as const, credentials: [{ ...claims, issuer: s.did }] };
    assert.equal(await code(counting.issueBatch({ ...args, proofFormat: 'ldp_vc' as never }, ctx)), 'ERR_INPUT_INVALID', 'an unknown proof format');
    assert.equal(await code(counting.issueBatch({ ...args, credentials: [] }, ctx)), 'ERR_INPUT_INVALID', 'an empty batch');
    assert.equal(await code(counting.issueBatch({ ...args, keyRef: 'not-a-key' }, ctx)), 'ERR_KEY_UNKNOWN', 'a key that is not the issuer DID’s');
    assert.equal(await code(counting.issueBatch({ ...args, issuer: 'did:web:elsewhere.example' }, ctx)), 'ERR_PROFILE_INVALID', 'a claims set of another issuer');
    assert.equal(await code(counting.issueBatch({ ...args, credentials: [{ ...claims, issuer: s.did, issuanceDate: 'x' }] }, ctx)), 'ERR_PROFILE_INVALID', 'VCDM 1.1 members');
    assert.equal(signed, 0, 'nothing was signed');
    assert.equal(await code(counting.issueBatch(args, ctx)), 'resolved');
    assert.equal(signed, 1, 'the valid batch signs through the lent handle');
  });
});

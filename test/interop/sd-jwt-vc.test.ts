/**
 * The SD-JWT VCLD form judged by software nobody here wrote: `@sd-jwt/sd-jwt-vc` verifies a credential
 * and a presentation from a running issuer (keys from its JWT VC Issuer Metadata, status from its Token
 * Status List over HTTP, both fetched by the library), `@sd-jwt/jwt-status-list` decodes the list
 * (revoked → 1, suspended → 2), and `dcql` matches the VCLD query against the presented claims.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify as verifySignature, createHash, type JsonWebKey } from 'node:crypto';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { DcqlPresentationResult, DcqlQuery } from 'dcql';
import { JWT_VC_ISSUER_METADATA_PATH, buildVcldDcqlQuery, disclosedClaimsOf, presentInternetIdCredential, vctFor, type ClaimName } from '@maskid/core';
import { CredentialService, StatusService } from '@maskid/issuer';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, newHolder, tempDir } from '../helpers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An ES256 signature check over a JWK (what the library asks its caller for). */
function es256(jwk: JsonWebKey, data: string, sig: string): boolean {
  return verifySignature('sha256', Buffer.from(data), { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
}

describe('SD-JWT VCLD form against @sd-jwt/sd-jwt-vc, @sd-jwt/jwt-status-list and dcql', () => {
  let server: RunningIssuer;
  let sdjwt: SDJwtVcInstance;
  before(async () => {
    server = await startIssuer({ platforms: [{ id: 'forum', claims: ['ageOver18', 'region'] }] });
    // The library's verifier callback: the key named by the header's kid in the issuer's JWT VC Issuer Metadata.
    const metadata = (await (await fetch(server.url + JWT_VC_ISSUER_METADATA_PATH)).json()) as { issuer: string; jwks: { keys: (JsonWebKey & { kid: string })[] } };
    assert.equal(metadata.issuer, server.url);
    const keyFor = (data: string) => {
      const kid = JSON.parse(Buffer.from(data.split('.')[0]!, 'base64url').toString())['kid'];
      return metadata.jwks.keys.find((k) => k.kid === kid);
    };
    sdjwt = new SDJwtVcInstance({
      hasher: async (data: string | ArrayBuffer) =>
        new Uint8Array(
          createHash('sha256')
            .update(typeof data === 'string' ? data : Buffer.from(data))
            .digest(),
        ),
      hashAlg: 'sha-256',
      verifier: async (data: string, sig: string) => {
        const key = keyFor(data);
        return key !== undefined && es256(key, data, sig);
      },
      kbVerifier: async (data: string, sig: string, payload) => es256((payload as { cnf: { jwk: JsonWebKey } }).cnf.jwk, data, sig),
    });
  });
  after(() => server.close());

  const issue = async () => {
    const networkNumber = await enrollPerson(server.issuer);
    const holder = await newHolder();
    const c = await new CredentialService(server.issuer).issue({ networkNumber, platformId: 'forum', holder: holder.did, format: 'dc+sd-jwt' });
    return { ...c, holder, networkNumber };
  };

  it('verifies the credential and a key-bound presentation; the ld object carries the disclosed claims', async () => {
    const c = await issue();
    await new StatusService(server.issuer).publish({});
    const full = await sdjwt.verify(c.sdJwt);
    assert.equal(full.payload.vct, vctFor(server.url));
    assert.equal(full.header?.['typ'], 'dc+sd-jwt');
    const ld = (full.payload as unknown as { ld: { credentialSubject: Record<string, unknown> } }).ld;
    assert.equal(ld.credentialSubject['maskedId'], c.maskedId);
    assert.equal(ld.credentialSubject['ageOver18'], true);
    const presentation = await presentInternetIdCredential(c.sdJwt, { claims: ['ageOver18'], kbSigner: c.holder.signer, nonce: 'n-0001', aud: 'origin:https://forum.example' });
    const shown = await sdjwt.verify(presentation, { keyBindingNonce: 'n-0001', requireKeyBindings: true } as never);
    assert.equal(shown.kb?.payload.nonce, 'n-0001');
    const subject = (shown.payload as unknown as { ld: { credentialSubject: Record<string, unknown> } }).ld.credentialSubject;
    assert.equal(subject['ageOver18'], true);
    assert.equal('region' in subject, false, 'only the chosen claim is disclosed');

    // dcql: the VCLD query (vct, ld paths) is satisfied by the presented claims, and not for an unrequested one.
    const query = DcqlQuery.parse(buildVcldDcqlQuery(['ageOver18'], [server.url]) as never);
    DcqlQuery.validate(query);
    const disclosed = await disclosedClaimsOf(presentation.slice(0, presentation.lastIndexOf('~') + 1));
    const match = (q: DcqlQuery.Output) =>
      DcqlPresentationResult.fromDcqlPresentation(
        { internet_id: [{ credential_format: 'dc+sd-jwt', vct: String(disclosed['vct']), claims: disclosed as never, cryptographic_holder_binding: true }] },
        { dcqlQuery: q },
      ).can_be_satisfied;
    assert.equal(match(query), true);
    assert.equal(match(DcqlQuery.parse(buildVcldDcqlQuery(['region'], [server.url]) as never)), false, 'an undisclosed claim does not match');
    assert.equal(match(DcqlQuery.parse(buildVcldDcqlQuery(['ageOver18'], ['https://other.example']) as never)), false, "another issuer's vct does not match");
  });

  it('reads revocation and suspension from the Token Status List: the library refuses, and the list decodes to 1 and 2', async () => {
    const status = new StatusService(server.issuer);
    const revoked = await issue();
    const suspended = await issue();
    const valid = await issue();
    await status.revoke({ networkNumber: revoked.networkNumber, platformId: 'forum' });
    await status.suspend({ networkNumber: suspended.networkNumber, platformId: 'forum' });
    await status.publish({});
    for (const c of [revoked, suspended]) await assert.rejects(sdjwt.verify(c.sdJwt), /Status is not valid/);
    await sdjwt.verify(valid.sdJwt);
    const ref = (sd: string) =>
      (JSON.parse(Buffer.from(sd.split('.')[1]!, 'base64url').toString()) as { status: { status_list: { idx: number; uri: string } } }).status.status_list;
    const res = await fetch(ref(revoked.sdJwt).uri, { headers: { accept: 'application/statuslist+jwt' } });
    assert.equal(res.headers.get('content-type')?.split(';')[0], 'application/statuslist+jwt');
    const jwt = await res.text();
    const header = JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString());
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString());
    assert.equal(header.typ, 'statuslist+jwt');
    assert.equal(payload.sub, ref(revoked.sdJwt).uri, 'sub is the uri the credential names');
    assert.equal(payload.status_list.bits, 2);
    // Each credential's own list (a person's index falls in any list of the platform).
    const statusOf = async (sd: string) => getListFromStatusListJWT(await (await fetch(ref(sd).uri)).text()).getStatus(ref(sd).idx);
    assert.equal(getListFromStatusListJWT(jwt).getStatus(ref(revoked.sdJwt).idx), 1);
    assert.equal(await statusOf(suspended.sdJwt), 2);
    assert.equal(await statusOf(valid.sdJwt), 0);
    // Resumed: the list is signed again (new epoch) and the credential verifies.
    await status.resume({ networkNumber: suspended.networkNumber, platformId: 'forum' });
    await status.publish({});
    await sdjwt.verify(suspended.sdJwt);
    // Unchanged lists are not signed again: the same text until an epoch changes one of its two lists.
    assert.equal(await (await fetch(ref(valid.sdJwt).uri)).text(), await (await fetch(ref(valid.sdJwt).uri)).text());
    // The static export (a CDN's files) holds the same Token Status Lists, by the same names.
    const out = tempDir();
    try {
      const exported = (await status.publish({ outDir: join(out.dir, 'public') })).outDir!;
      const uri = ref(revoked.sdJwt).uri;
      const file = readFileSync(join(exported, 'forum', uri.slice(uri.lastIndexOf('/') + 1)), 'utf8');
      assert.equal(getListFromStatusListJWT(file).getStatus(ref(revoked.sdJwt).idx), 1);
      assert.equal(file, await (await fetch(uri)).text(), 'the file is the list serve answers with');
    } finally {
      out.cleanup();
    }
  });

  it('claims requested as ClaimName stay the profile names', () => {
    const q = buildVcldDcqlQuery(['ageOver18', 'region'] as ClaimName[], [server.url]);
    assert.deepEqual(
      q.credentials[0].claims.map((c) => c.path),
      [
        ['ld', 'credentialSubject', 'ageOver18'],
        ['ld', 'credentialSubject', 'region'],
      ],
    );
  });
});

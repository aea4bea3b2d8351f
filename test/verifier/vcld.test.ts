/**
 * The SD-JWT VCLD form (`dc+sd-jwt`, OpenID4VP 1.0 §B.3.7): issued by the batch engine, verified by the
 * hot-path engine and by core's reference verifier with the same codes, the same masked ID as the VCDM
 * form, and every profile rule of the form refused with its stable code when broken — each broken
 * credential re-signed with the issuer's own key, so that only the rule under test can refuse it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { TYP_DC_SD_JWT, base64urlText, didWebToUrl, parseSdJwt, signJwt, tokenStatusListUrl, vctFor, webCryptoSigner, type ClaimName, type Jwk } from '@maskid/core';
import { CredentialService, StatusService } from '@maskid/issuer';
import { codeOf, referenceVerify, verifierFixture, type VerifierFixture } from './fixture.js';

describe('SD-JWT VCLD form', () => {
  let f: VerifierFixture;
  before(async () => {
    f = await verifierFixture();
  });
  after(() => f.close());

  /** The issuer JWT's payload and header of a compact SD-JWT. */
  const partsOf = (sdJwt: string) => {
    const parsed = parseSdJwt(sdJwt);
    return { header: parsed.jwt.header, payload: parsed.jwt.payload, disclosures: parsed.disclosures };
  };

  /** The credential with its issuer-signed payload changed by `edit` and re-signed by the issuer's own key. */
  const resigned = async (sdJwt: string, edit: (p: Record<string, unknown>, h: Record<string, unknown>) => void) => {
    const { header, payload, disclosures } = partsOf(sdJwt);
    const h = structuredClone(header);
    const p = structuredClone(payload);
    edit(p, h);
    delete h['alg'];
    const { signer } = await f.server.issuer.signer();
    return `${await signJwt(h, p, signer)}~${disclosures.join('~')}~`;
  };

  it('is issued as the profile says: typ, iss, vct, exp, cnf, status at the Bitstring index, ld without issuer, validity or status', async () => {
    const c = await f.issue(undefined, 'dc+sd-jwt');
    const { header, payload } = partsOf(c.sdJwt);
    const { url, did } = await f.server.issuer.settings();
    assert.equal(header['typ'], TYP_DC_SD_JWT);
    assert.equal('cty' in header, false);
    assert.equal(`${did}#${header['kid']}`, (await f.server.issuer.signer()).kid, 'kid is the key fragment of the DID document');
    assert.equal(payload['iss'], url);
    assert.equal(payload['vct'], vctFor(url));
    assert.equal(typeof payload['exp'], 'number');
    assert.equal('iat' in payload, false, 'no iat (it would link a batch)');
    assert.ok((payload['cnf'] as { jwk: Jwk }).jwk.x);
    const ld = payload['ld'] as Record<string, unknown>;
    assert.deepEqual(Object.keys(ld).sort(), ['@context', 'credentialSubject', 'relatedResource', 'type']);
    const subject = ld['credentialSubject'] as Record<string, unknown>;
    assert.equal(subject['maskedId'], c.maskedId);
    assert.equal((subject['_sd'] as string[]).length, 16, 'ten claims and decoys: one fixed digest count');
    assert.equal('givenName' in subject, false, 'claims are only in disclosures');
    // The same person and platform in the VCDM form: the same masked ID; status at the same list and index.
    const vcdm = await new CredentialService(f.server.issuer).issue({ networkNumber: c.networkNumber, platformId: 'forum', holder: c.holder.did });
    assert.equal(vcdm.maskedId, c.maskedId);
    const status = (payload['status'] as { status_list: { idx: number; uri: string } }).status_list;
    assert.equal(status.idx, Number(vcdm.statusListIndex));
    const revocationList = (partsOf(vcdm.sdJwt).payload['credentialStatus'] as { statusListCredential: string }[])[0]!.statusListCredential;
    assert.equal(status.uri, tokenStatusListUrl(url, 'forum', Number(/revocation-(\d+)$/.exec(revocationList)![1])));
    assert.equal(didWebToUrl(did, url.startsWith('https:') ? 'https:' : 'http:'), url);
  });

  it('verifies in the engine and in core, with the same result, and a VCDM credential still does', async () => {
    const svc = await f.service();
    for (const format of ['dc+sd-jwt', 'vc+sd-jwt'] as const) {
      const c = await f.issue(undefined, format);
      const nonce = `nonce-vcld-${format}-000001`;
      const p = await f.present(c, nonce, ['ageOver18', 'region']);
      const engine = svc.engine.verifyWith(p, nonce, ['ageOver18', 'region'] as ClaimName[]);
      assert.ok(engine.verified, `${format}: ${JSON.stringify(engine)}`);
      assert.equal(engine.maskedId, c.maskedId);
      assert.deepEqual(engine.claims, { ageOver18: true, region: '11' });
      const core = await referenceVerify(f, svc, p, nonce, ['ageOver18', 'region']);
      assert.ok(core.verified, `${format} (core): ${JSON.stringify(core)}`);
    }
  });

  it('refuses each broken rule of the form with its stable code, in the engine and in core alike', async () => {
    const svc = await f.service();
    const c = await f.issue(undefined, 'dc+sd-jwt');
    const nonce = 'nonce-vcld-negative-00001';
    const attacker = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const forgedBy = async (key: CryptoKey, edit: (p: Record<string, unknown>, h: Record<string, unknown>) => void) => {
      const { header, payload, disclosures } = partsOf(c.sdJwt);
      edit(payload, header);
      delete header['alg'];
      return `${await signJwt(header, payload, webCryptoSigner(key, 'ES256'))}~${disclosures.join('~')}~`;
    };
    const { url } = await f.server.issuer.settings();
    const fullKid = (await f.server.issuer.signer()).kid;
    const status = (p: Record<string, unknown>) => (p['status'] as { status_list: Record<string, unknown> }).status_list;
    const cases: Record<string, [string, Promise<string>]> = {
      // Read as the VCDM form, the payload has no `issuer` the DID URL kid could belong to.
      'typ vc+sd-jwt on a VCLD payload': ['ERR_KEY_UNKNOWN', resigned(c.sdJwt, (_p, h) => Object.assign(h, { typ: 'vc+sd-jwt', cty: 'vc', kid: fullKid }))],
      'typ jwt': ['ERR_TYP_INVALID', resigned(c.sdJwt, (_p, h) => Object.assign(h, { typ: 'jwt' }))],
      'typ dc+sd-jwt with a cty': ['ERR_TYP_INVALID', resigned(c.sdJwt, (_p, h) => Object.assign(h, { cty: 'vc' }))],
      'vct of another type': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => Object.assign(p, { vct: `${url}/vct/internet-id/v2` }))],
      'vct missing': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => delete p['vct'])],
      'ld tampered (platform changed, not re-signed)': [
        'ERR_SIGNATURE_INVALID',
        Promise.resolve(c.sdJwt.replace(/^([^.]+)\.([^.]+)/, (_m, h, p) => `${h}.${base64urlText(Buffer.from(p, 'base64url').toString().replace('"forum"', '"video"'))}`)),
      ],
      'ld with an issuer member': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => Object.assign(p['ld'] as object, { issuer: 'did:web:evil.example' }))],
      'ld with credentialStatus': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => Object.assign(p['ld'] as object, { credentialStatus: [] }))],
      'ld type changed': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => Object.assign(p['ld'] as object, { type: ['VerifiableCredential'] }))],
      'cnf missing': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => delete p['cnf'])],
      'status missing': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => delete p['status'])],
      'status uri of another platform': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => Object.assign(status(p), { uri: tokenStatusListUrl(url, 'video', 0) }))],
      'status uri elsewhere': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => Object.assign(status(p), { uri: 'https://evil.example/status/forum/token-0' }))],
      'status idx not a number': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => Object.assign(status(p), { idx: '5' }))],
      'exp missing': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => delete p['exp'])],
      expired: ['ERR_CREDENTIAL_EXPIRED', resigned(c.sdJwt, (p) => Object.assign(p, { exp: Math.floor(Date.now() / 1000) - 3600 }))],
      'nbf in the future': ['ERR_CREDENTIAL_NOT_YET_VALID', resigned(c.sdJwt, (p) => Object.assign(p, { nbf: Math.floor(Date.now() / 1000) + 3600 }))],
      'an iat member': ['ERR_PROFILE_INVALID', resigned(c.sdJwt, (p) => Object.assign(p, { iat: 1 }))],
      'iss not under the trust anchor (attacker key)': [
        'ERR_ISSUER_UNTRUSTED',
        forgedBy(attacker.privateKey, (p) => Object.assign(p, { iss: 'https://evil.example', vct: vctFor('https://evil.example') })),
      ],
      'iss of the trusted issuer, signed by an attacker': ['ERR_SIGNATURE_INVALID', forgedBy(attacker.privateKey, () => {})],
      'iss over plain http on a public host': ['ERR_ISSUER_UNTRUSTED', resigned(c.sdJwt, (p) => Object.assign(p, { iss: 'http://id.example.gov' }))],
      'iss with a path the DID does not have': ['ERR_ISSUER_UNTRUSTED', resigned(c.sdJwt, (p) => Object.assign(p, { iss: `${url}/x` }))],
      'kid a full DID URL': ['ERR_KEY_UNKNOWN', resigned(c.sdJwt, (_p, h) => Object.assign(h, { kid: `did:web:x#${h['kid']}` }))],
      'kid unknown': ['ERR_KEY_UNKNOWN', resigned(c.sdJwt, (_p, h) => Object.assign(h, { kid: 'never-listed' }))],
    };
    for (const [name, [code, pending]] of Object.entries(cases)) {
      const p = await f.present({ sdJwt: await pending, holder: c.holder }, nonce).catch(() => undefined);
      // A payload whose cnf is gone cannot be presented by the library; the KB-JWT of the genuine one is used.
      const presentation = p ?? (await pending) + (await f.present(c, nonce)).split('~').pop();
      const engine = svc.engine.verifyWith(presentation, nonce, ['ageOver18'] as ClaimName[]);
      const core = await referenceVerify(f, svc, presentation, nonce);
      assert.equal(codeOf(engine), code, `${name}: engine says ${codeOf(engine)} (${JSON.stringify(engine)})`);
      assert.equal(codeOf(core), code, `${name}: core says ${codeOf(core)}`);
    }
  });

  it('fetches nothing per login: no Token Status List, JWT VC Issuer Metadata, type metadata or context', async () => {
    const contacted: string[] = [];
    const svc = await f.service({}, { onIssuerRequest: (url) => contacted.push(url) });
    const before = contacted.length;
    assert.ok(before > 0, 'start-up read the key list and status (the counter sees requests)');
    for (let i = 0; i < 5; i++) {
      const c = await f.issue(undefined, 'dc+sd-jwt');
      const { requestId, request } = await svc.engine.createRequest(['ageOver18'], 'dc+sd-jwt');
      const r = await svc.engine.verify(await f.present(c, request.data.nonce), { requestId, origin: f.origin });
      assert.ok(r.verified, JSON.stringify(r));
    }
    assert.deepEqual(contacted.slice(before), [], 'no request to the issuer while verifying');
  });

  it('a revoked or suspended person is refused in the VCLD form by the same Bitstring bits', async () => {
    const svc = await f.service();
    const status = new StatusService(f.server.issuer);
    for (const [action, code] of [
      ['suspend', 'ERR_STATUS_SUSPENDED'],
      ['revoke', 'ERR_STATUS_REVOKED'],
    ] as const) {
      const c = await f.issue(undefined, 'dc+sd-jwt');
      await status[action]({ networkNumber: c.networkNumber, platformId: 'forum' });
      await f.publish();
      await svc.status.refresh();
      const nonce = `nonce-vcld-${action}-0000001`;
      const r = svc.engine.verifyWith(await f.present(c, nonce), nonce, ['ageOver18'] as ClaimName[]);
      assert.equal(r.verified ? 'ok' : r.error.code, code);
    }
  });
});

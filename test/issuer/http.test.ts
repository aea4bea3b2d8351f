/** The issuer's HTTP surface, in-process (supertest), including every refusal of the OpenID4VCI endpoints. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { gunzipSync } from 'node:zlib';
import { get as httpGet } from 'node:http';
import {
  createIssuerApp,
  CredentialService,
  DEFAULT_LIFETIMES,
  KeyService,
  Openid4vciService,
  PlatformService,
  StatusService,
  MAX_TX_CODE_ATTEMPTS,
  type Issuer,
} from '@maskid/issuer';
import {
  base64url,
  didJwkFor,
  parseSdJwt,
  sha256,
  signJwt,
  utf8,
  verifyJwt,
  verifyInternetIdPresentation,
  presentInternetIdCredential,
  type Jwk,
  type JwsSigner,
} from '@maskid/core';
import { WALLET_AUTHORIZATION_DETAILS } from '@maskid/holder';
import { enrollPerson, newHolder, openDevIssuer, testIssuer, type Holder } from '../helpers.js';

const URL_ = 'http://127.0.0.1:8443';

async function dpopProof(h: Holder, method: string, url: string, extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return signJwt({ typ: 'dpop+jwt', jwk: h.jwk, ...header }, { jti: crypto.randomUUID(), htm: method, htu: url, iat: Math.floor(Date.now() / 1000), ...extra }, h.signer);
}
async function keyProof(h: { jwk: Jwk; signer: JwsSigner }, nonce: string, extra: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return signJwt({ typ: 'openid4vci-proof+jwt', jwk: h.jwk, ...header }, { aud: URL_, iat: Math.floor(Date.now() / 1000), nonce, ...extra }, h.signer);
}
function expectStatus<T extends { status: number; text?: string }>(r: T, status: number): T {
  assert.equal(r.status, status, (r as { text?: string }).text);
  return r;
}
const ath = async (token: string) => base64url(await sha256(utf8(token)));

describe('issuer HTTP', () => {
  let t: Awaited<ReturnType<typeof testIssuer>>;
  let issuer: Issuer;
  let app: ReturnType<typeof createIssuerApp>;
  let networkNumber: string;
  const offer = async () => {
    const o = await new Openid4vciService(issuer).createOffer(networkNumber);
    const code = (o.offer['grants'] as Record<string, { 'pre-authorized_code': string }>)['urn:ietf:params:oauth:grant-type:pre-authorized_code']!['pre-authorized_code'];
    return { ...o, code };
  };
  const token = async (dpopKey: Holder, params: Record<string, string>, to: ReturnType<typeof createIssuerApp> = app) =>
    request(to)
      .post('/token')
      .type('form')
      .set('DPoP', await dpopProof(dpopKey, 'POST', `${URL_}/token`))
      .send(params);
  // maskid's wallet mode: authorization_details named, credentials requested by credential_identifier.
  const preAuth = (code: string, txCode: string) => ({
    grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code',
    'pre-authorized_code': code,
    tx_code: txCode,
    authorization_details: WALLET_AUTHORIZATION_DETAILS,
  });
  const nonce = async () => (await request(app).post('/nonce')).body.c_nonce as string;
  const credential = async (dpopKey: Holder, access: string, body: unknown, dpopOverride?: string) =>
    request(app)
      .post('/credential')
      .set('Authorization', `DPoP ${access}`)
      .set('DPoP', dpopOverride ?? (await dpopProof(dpopKey, 'POST', `${URL_}/credential`, { ath: await ath(access) })))
      .send(body as object);

  before(async () => {
    t = await testIssuer({ url: URL_ });
    issuer = t.issuer;
    await new PlatformService(issuer).add({ id: 'forum', name: 'Forum', origins: ['http://localhost:3001'], claims: ['ageOver18'] });
    await new PlatformService(issuer).add({ id: 'video', name: 'Video', origins: ['http://localhost:3002'], claims: ['ageOver18', 'region'] });
    networkNumber = await enrollPerson(issuer);
    await new StatusService(issuer).publish({});
    app = createIssuerApp(issuer, { tokenRequestsPerMinute: 1000 });
  });
  after(() => t.cleanup());

  it('serves the DID document, context, metadata and the signed platform registry', async () => {
    const did = await request(app).get('/.well-known/did.json').expect(200);
    assert.equal(did.body.id, 'did:web:127.0.0.1%3A8443');
    assert.equal(did.body.assertionMethod.length, 1);
    await request(app)
      .get('/contexts/v2')
      .expect(200)
      .expect('Content-Type', /ld\+json/)
      .expect('Cache-Control', 'public, max-age=31536000, immutable');
    await request(app).get('/contexts/v1').expect(404);
    const vocab = await request(app).get('/vocab/v2').expect(200);
    assert.equal(vocab.body.terms.maskedId, 'https://127.0.0.1:8443/vocab/v2#maskedId');
    const meta = await request(app).get('/.well-known/openid-credential-issuer').expect(200);
    assert.equal(meta.body.credential_issuer, URL_);
    assert.equal(meta.body.credential_configurations_supported.InternetIdCredential.format, 'vc+sd-jwt');
    const as = await request(app).get('/.well-known/oauth-authorization-server').expect(200);
    assert.ok(as.body.dpop_signing_alg_values_supported.includes('ES256'));
    const reg = await request(app).get('/platforms').expect(200);
    const { jwk } = await issuer.signer();
    const v = await verifyJwt(reg.text, { expectedTyp: 'vc+jwt', key: jwk });
    const platforms = (v.payload['credentialSubject'] as { platforms: { id: string; origins: string[]; manifest: string }[] }).platforms;
    assert.deepEqual(
      platforms.map((p) => p.id),
      ['forum', 'video'],
    );
    assert.equal(platforms[0]!.manifest, `${URL_}/status/forum/manifest`);
  });

  it('serves the key list, manifests and lists whole, with ETag and 304: revalidated (no-cache) unless versioned (immutable)', async () => {
    const keys = await request(app).get('/keys').expect(200).expect('Cache-Control', 'public, no-cache');
    await request(app).get('/keys').set('If-None-Match', keys.headers['etag']!).expect(304);
    const list = await request(app).get('/status/forum/revocation-0').expect(200);
    assert.equal(list.headers['cache-control'], 'public, no-cache');
    assert.ok(list.headers['etag']);
    await request(app).get('/status/forum/revocation-0').set('If-None-Match', list.headers['etag']!).expect(304);
    await request(app).get('/status/forum/revocation-0.e0').expect(200).expect('Cache-Control', 'public, max-age=31536000, immutable');
    await request(app).get('/status/forum/revocation-0.e1').expect(404);
    await request(app).get('/status/forum/manifest').expect(200).expect('Cache-Control', 'public, no-cache');
    await request(app).get('/status/forum/..%2F..%2Fissuer.sqlite').expect(404);
    await request(app).get('/status/forum/revocation-99').expect(404);
    await request(app).get('/status/..%2F/manifest').expect(404);
  });

  it('sends signed documents GZIP-encoded to clients that accept it, with an ETag of their own and Vary', async () => {
    const plain = await request(app).get('/status/forum/manifest').set('Accept-Encoding', 'identity').expect(200);
    assert.equal(plain.headers['content-encoding'], undefined);
    // Raw bytes off the wire (supertest would decode them).
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    const port = (server.address() as { port: number }).port;
    const raw = await new Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path: '/status/forum/manifest', headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    server.close();
    assert.equal(raw.headers['content-encoding'], 'gzip');
    assert.match(String(raw.headers['vary']), /Accept-Encoding/);
    assert.notEqual(raw.headers['etag'], plain.headers['etag'], 'each content coding has its own strong ETag');
    assert.equal(gunzipSync(raw.body).toString('utf8'), plain.text, 'the same signed bytes');
    assert.ok(raw.body.length < plain.text.length);
    const etag = String(raw.headers['etag']);
    await request(app).get('/status/forum/manifest').set('Accept-Encoding', 'gzip').set('If-None-Match', etag).expect(304);
    await request(app).get('/status/forum/manifest').set('Accept-Encoding', 'identity').set('If-None-Match', etag).expect(200);
  });

  it('serves the issuer-signed audit head, matching the chain', async () => {
    const { AuditService } = await import('@maskid/issuer');
    await new AuditService(issuer).bootstrapOperators([
      { id: 'auditor', jwk: (await newHolder()).jwk },
      { id: 'auditor2', jwk: (await newHolder()).jwk },
    ]);
    const head = await request(app).get('/audit/head').expect(200);
    const { jwk } = await issuer.signer();
    const v = await verifyJwt(head.text, { expectedTyp: 'maskid-audit-head+jwt', key: jwk });
    const check = await new AuditService(issuer).verify();
    assert.equal(check.ok, true);
    assert.equal(v.payload['seq'], check.entries);
  });

  it('has no admin actions on its HTTP surface', async () => {
    for (const [m, p] of [
      ['post', '/platforms'],
      ['post', '/enroll'],
      ['post', '/revoke'],
      ['delete', '/platforms/forum'],
      ['post', '/status/forum/revocation-0'],
      ['get', '/admin'],
    ] as const) {
      const r = await request(app)[m](p);
      assert.equal(r.status, 404, `${m} ${p}`);
    }
  });

  it('one mode per token (OpenID4VCI 1.0 §8.2): without authorization_details, by a platform configuration id; the offer by reference lists every configuration', async () => {
    const o = await offer();
    // The offer is passed by reference; the URI holds no code, the referenced offer does, until it is spent.
    const reference = new URLSearchParams(o.uri.slice(o.uri.indexOf('?') + 1)).get('credential_offer_uri')!;
    assert.ok(reference.startsWith(`${URL_}/credential-offer/`), reference);
    assert.ok(!o.uri.includes(o.code), 'the pre-authorized code is not in the URI');
    const served = await request(app).get(new URL(reference).pathname).expect(200).expect('Cache-Control', 'no-store');
    assert.deepEqual(served.body, o.offer);
    assert.deepEqual(served.body.credential_configuration_ids, [
      'InternetIdCredential',
      'InternetIdCredentialVCLD',
      'InternetIdCredential.forum',
      'InternetIdCredential.forum.vcld',
      'InternetIdCredential.video',
      'InternetIdCredential.video.vcld',
    ]);
    const meta = (await request(app).get('/.well-known/openid-credential-issuer').expect(200)).body;
    for (const id of served.body.credential_configuration_ids)
      assert.equal(meta.credential_configurations_supported[id]?.format, id.endsWith('.vcld') || id.endsWith('VCLD') ? 'dc+sd-jwt' : 'vc+sd-jwt', id);
    assert.equal(meta.credential_configurations_supported['InternetIdCredential.video.vcld'].vct, `${URL_}/vct/internet-id/v1`);
    assert.equal(meta.credential_configurations_supported['InternetIdCredential.video'].credential_metadata.display[0].name, 'Internet ID for Video');
    await request(app).get('/credential-offer/not-a-reference').expect(404);
    await request(app)
      .get(`/credential-offer/${'A'.repeat(43)}`)
      .expect(404);

    const dpopKey = await newHolder();
    const bad = async (details: string) => (await token(dpopKey, { ...preAuth(o.code, o.txCode), authorization_details: details })).body.error;
    assert.equal(await bad('not json'), 'invalid_authorization_details');
    assert.equal(await bad('[]'), 'invalid_authorization_details');
    assert.equal(await bad('[{"type":"openid_credential","credential_configuration_id":"InternetIdCredential.nope"}]'), 'invalid_authorization_details');
    assert.equal(await bad('[{"type":"other","credential_configuration_id":"InternetIdCredential"}]'), 'invalid_authorization_details');
    // A standard client's token request: no authorization_details asked, none given (the code was not spent above).
    const plain = { grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': o.code, tx_code: o.txCode };
    const tok = await expectStatus(await token(dpopKey, plain), 200);
    assert.equal(tok.body.authorization_details, undefined);
    await request(app).get(new URL(reference).pathname).expect(404);
    const holder = await newHolder();
    const ask = async (body: Record<string, unknown>) =>
      (await credential(dpopKey, tok.body.access_token, { ...body, proofs: { jwt: [await keyProof(holder, await nonce())] } })).body;
    assert.equal((await ask({ credential_identifier: 'forum' })).error, 'invalid_credential_request', 'no identifiers were given with this token');
    assert.equal((await ask({ credential_configuration_id: 'InternetIdCredential' })).error, 'unknown_credential_configuration', 'the wallet configuration names no platform');
    assert.equal((await ask({ credential_configuration_id: 'InternetIdCredential.nope' })).error, 'unknown_credential_configuration');
    const got = await ask({ credential_configuration_id: 'InternetIdCredential.video' });
    const sdJwt = got.credentials[0].credential as string;
    const payload = parseSdJwt(sdJwt).jwt.payload as { credentialSubject: Record<string, unknown>; cnf: { jwk: Jwk } };
    assert.deepEqual(payload.cnf.jwk, { kty: 'EC', crv: 'P-256', x: holder.jwk['x'], y: holder.jwk['y'] }, 'bound to the proof key');
    // The VCLD form of the same platform, by its configuration id: dc+sd-jwt, the same masked ID.
    const vcld = parseSdJwt((await ask({ credential_configuration_id: 'InternetIdCredential.video.vcld' })).credentials[0].credential as string).jwt;
    assert.equal(vcld.header['typ'], 'dc+sd-jwt');
    assert.equal((vcld.payload['ld'] as { credentialSubject: Record<string, unknown> }).credentialSubject['maskedId'], payload.credentialSubject['maskedId']);
    assert.equal((await ask({ credential_configuration_id: 'InternetIdCredential.video.vcld.x' })).error, 'unknown_credential_configuration');

    // The wallet mode, by identifier: a configuration id is refused there, and a platform configuration grants its one platform.
    const o2 = await offer();
    const forumOnly = JSON.stringify([{ type: 'openid_credential', credential_configuration_id: 'InternetIdCredential.forum' }]);
    const tok2 = await expectStatus(await token(dpopKey, { ...preAuth(o2.code, o2.txCode), authorization_details: forumOnly }), 200);
    assert.deepEqual(tok2.body.authorization_details, [
      { type: 'openid_credential', credential_configuration_id: 'InternetIdCredential.forum', credential_identifiers: ['forum'] },
    ]);
    const ask2 = async (body: Record<string, unknown>) =>
      (await credential(dpopKey, tok2.body.access_token, { ...body, proofs: { jwt: [await keyProof(await newHolder(), await nonce())] } })).body;
    assert.equal((await ask2({ credential_configuration_id: 'InternetIdCredential.forum' })).error, 'invalid_credential_request');
    assert.equal((await ask2({ credential_identifier: 'video' })).error, 'unknown_credential_identifier', 'not granted by this token');
    assert.equal(typeof (await ask2({ credential_identifier: 'forum' })).credentials[0].credential, 'string');
    // A VCLD configuration in authorization_details grants its platform's identifier in that form (`<platform>.vcld`).
    const o3 = await offer();
    const vcldOnly = JSON.stringify([{ type: 'openid_credential', credential_configuration_id: 'InternetIdCredential.forum.vcld' }]);
    const tok3 = await expectStatus(await token(dpopKey, { ...preAuth(o3.code, o3.txCode), authorization_details: vcldOnly }), 200);
    assert.deepEqual(tok3.body.authorization_details[0].credential_identifiers, ['forum.vcld']);
    const got3 = await credential(dpopKey, tok3.body.access_token, { credential_identifier: 'forum.vcld', proofs: { jwt: [await keyProof(await newHolder(), await nonce())] } });
    assert.equal(parseSdJwt(got3.body.credentials[0].credential).jwt.header['typ'], 'dc+sd-jwt');
    // Both wallet configurations: identifiers per platform in each form (`<platform>.vcld` for the VCLD form), each form by its identifier.
    const o4 = await offer();
    const both = JSON.stringify([
      { type: 'openid_credential', credential_configuration_id: 'InternetIdCredential' },
      { type: 'openid_credential', credential_configuration_id: 'InternetIdCredentialVCLD' },
    ]);
    const tok4 = await expectStatus(await token(dpopKey, { ...preAuth(o4.code, o4.txCode), authorization_details: both }), 200);
    assert.deepEqual(tok4.body.authorization_details, [
      { type: 'openid_credential', credential_configuration_id: 'InternetIdCredential', credential_identifiers: ['forum', 'video'] },
      { type: 'openid_credential', credential_configuration_id: 'InternetIdCredentialVCLD', credential_identifiers: ['forum.vcld', 'video.vcld'] },
    ]);
    const ask4 = async (id: string) =>
      (await credential(dpopKey, tok4.body.access_token, { credential_identifier: id, proofs: { jwt: [await keyProof(await newHolder(), await nonce())] } })).body;
    assert.equal(parseSdJwt((await ask4('video.vcld')).credentials[0].credential).jwt.header['typ'], 'dc+sd-jwt');
    assert.equal(parseSdJwt((await ask4('video')).credentials[0].credential).jwt.header['typ'], 'vc+sd-jwt');
    assert.equal((await ask4('nope.vcld')).error, 'unknown_credential_identifier');
    // Only the VCLD wallet configuration: its identifiers, and not the other form's.
    const o5 = await offer();
    const vcldWallet = JSON.stringify([{ type: 'openid_credential', credential_configuration_id: 'InternetIdCredentialVCLD' }]);
    const tok5 = await expectStatus(await token(dpopKey, { ...preAuth(o5.code, o5.txCode), authorization_details: vcldWallet }), 200);
    const got5 = await credential(dpopKey, tok5.body.access_token, { credential_identifier: 'forum', proofs: { jwt: [await keyProof(await newHolder(), await nonce())] } });
    assert.equal(got5.body.error, 'unknown_credential_identifier', 'the VCDM identifier was not granted');
    // Two entries must be the two wallet configurations, each once.
    for (const details of [
      [
        { type: 'openid_credential', credential_configuration_id: 'InternetIdCredential' },
        { type: 'openid_credential', credential_configuration_id: 'InternetIdCredential' },
      ],
      [
        { type: 'openid_credential', credential_configuration_id: 'InternetIdCredential' },
        { type: 'openid_credential', credential_configuration_id: 'InternetIdCredential.forum' },
      ],
    ]) {
      const o6 = await offer();
      assert.equal((await token(dpopKey, { ...preAuth(o6.code, o6.txCode), authorization_details: JSON.stringify(details) })).body.error, 'invalid_authorization_details');
    }
  });

  it('issues one credential per platform over OpenID4VCI, with DPoP-bound tokens and fresh keys', async () => {
    const o = await offer();
    const dpopKey = await newHolder();
    const tok = await expectStatus(await token(dpopKey, preAuth(o.code, o.txCode)), 200);
    assert.equal(tok.headers['cache-control'], 'no-store');
    assert.equal(tok.body.token_type, 'DPoP');
    assert.deepEqual(tok.body.authorization_details[0].credential_identifiers, ['forum', 'video']);
    const { jwk: issuerJwk } = await issuer.signer();
    for (const platform of ['forum', 'video']) {
      const holder = await newHolder();
      const n = await nonce();
      const r = await expectStatus(await credential(dpopKey, tok.body.access_token, { credential_identifier: platform, proofs: { jwt: [await keyProof(holder, n)] } }), 200);
      const sdJwt = r.body.credentials[0].credential as string;
      const p = await presentInternetIdCredential(sdJwt, { claims: ['ageOver18'], kbSigner: holder.signer, nonce: 'n-0123456789abcdef', aud: 'origin:x' });
      const v = await verifyInternetIdPresentation(p, {
        issuerKey: () => issuerJwk,
        nonce: 'n-0123456789abcdef',
        audiences: ['origin:x'],
        platform,
        requestedClaims: ['ageOver18'],
      });
      assert.equal(v.verified, true);
    }
    // The refresh token rotates, only with the same DPoP key, and lists all platforms again.
    const refresh = (key: Holder, t: string) => token(key, { grant_type: 'refresh_token', refresh_token: t, authorization_details: WALLET_AUTHORIZATION_DETAILS });
    await expectStatus(await refresh(await newHolder(), tok.body.refresh_token), 400);
    const again = await expectStatus(await refresh(dpopKey, tok.body.refresh_token), 200);
    assert.notEqual(again.body.refresh_token, tok.body.refresh_token, 'refresh tokens rotate');
    assert.deepEqual(again.body.authorization_details[0].credential_identifiers, ['forum', 'video']);
    // The answer was lost: the wallet retries with the spent token within the grace window. It gets new tokens,
    // and the ones of the lost answer are withdrawn (one lineage stays alive).
    const retry = await expectStatus(await refresh(dpopKey, tok.body.refresh_token), 200);
    assert.equal((await expectStatus(await refresh(dpopKey, again.body.refresh_token), 400)).body.error, 'invalid_grant', 'the lost answer is withdrawn');
    const lostAccess = await credential(dpopKey, again.body.access_token, { credential_identifier: 'forum', proofs: { jwt: [await keyProof(await newHolder(), await nonce())] } });
    assert.equal(lostAccess.status, 401, "the lost answer's access token too");
    await expectStatus(await refresh(await newHolder(), tok.body.refresh_token), 400);
    await expectStatus(await refresh(dpopKey, retry.body.refresh_token), 200);
    const replay = await expectStatus(await refresh(dpopKey, tok.body.refresh_token), 400);
    assert.equal(replay.body.error, 'invalid_grant', 'once a newer refresh token was used, the spent one is refused');
  });

  it('a spent refresh token is refused once its grace window has passed', async () => {
    const short = createIssuerApp(issuer, { tokenRequestsPerMinute: 1000, lifetimes: { refreshGrace: 1 } });
    const post = (key: Holder, params: Record<string, string>) => token(key, params, short);
    const o = await offer();
    const key = await newHolder();
    const first = await expectStatus(await post(key, preAuth(o.code, o.txCode)), 200);
    await expectStatus(await post(key, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }), 200);
    // The window is 1 s from the first use, which happened before its answer arrived: wait until it has surely passed.
    const answeredAt = Date.now();
    await new Promise((r) => setTimeout(r, Math.max(0, answeredAt + 1100 - Date.now())));
    const late = await expectStatus(await post(key, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }), 400);
    assert.equal(late.body.error, 'invalid_grant');
  });

  it('refuses a replayed pre-authorized code, a wrong PIN (and burns the code after the limit), and a missing PIN', async () => {
    const o = await offer();
    const k = await newHolder();
    assert.equal((await token(k, { grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code', 'pre-authorized_code': o.code })).body.error, 'invalid_request');
    for (let i = 0; i < MAX_TX_CODE_ATTEMPTS; i++) {
      const wrong = String((Number(o.txCode) + 1 + i) % 1_000_000).padStart(6, '0');
      const r = await expectStatus(await token(k, preAuth(o.code, wrong)), 400);
      assert.equal(r.body.error, 'invalid_grant');
      // The wallet can say how many tries are left, and when the offer is void.
      assert.equal(r.body.maskid_tx_code_attempts_left, MAX_TX_CODE_ATTEMPTS - 1 - i);
      assert.deepEqual(r.body.maskid_grant_state, i === MAX_TX_CODE_ATTEMPTS - 1 ? { state: 'spent' } : undefined);
    }
    const after = await token(k, preAuth(o.code, o.txCode));
    assert.equal(after.body.error, 'invalid_grant', 'the right PIN no longer works after the limit');
    assert.deepEqual(after.body.maskid_grant_state, { state: 'spent' });
    const p = await offer();
    await expectStatus(await token(k, preAuth(p.code, p.txCode)), 200);
    const replayed = await token(k, preAuth(p.code, p.txCode));
    assert.equal(replayed.body.error, 'invalid_grant', 'replayed code');
    assert.deepEqual(replayed.body.maskid_grant_state, { state: 'spent' });
    assert.equal((await token(k, { grant_type: 'password' })).body.error, 'unsupported_grant_type');
  });

  it('tells the wallet its grant state: suspended on a successful token answer, revoked with its date on a refusal; nothing for an active person', async () => {
    const person = await enrollPerson(issuer);
    const oid4vci = new Openid4vciService(issuer);
    const o = await oid4vci.createOffer(person);
    const code = (o.offer['grants'] as Record<string, { 'pre-authorized_code': string }>)['urn:ietf:params:oauth:grant-type:pre-authorized_code']!['pre-authorized_code'];
    const k = await newHolder();
    const first = await expectStatus(await token(k, preAuth(code, o.txCode)), 200);
    assert.equal(first.body.maskid_grant_state, undefined, 'an active person: no state member');
    const status = new StatusService(issuer);
    await status.suspend({ networkNumber: person });
    const suspended = await expectStatus(
      await token(k, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, authorization_details: WALLET_AUTHORIZATION_DETAILS }),
      200,
    );
    assert.equal(suspended.body.maskid_grant_state.state, 'suspended');
    assert.ok(!Number.isNaN(Date.parse(suspended.body.maskid_grant_state.since)));
    await status.revoke({ networkNumber: person });
    const revoked = await expectStatus(await token(k, { grant_type: 'refresh_token', refresh_token: suspended.body.refresh_token }), 400);
    assert.equal(revoked.body.error, 'invalid_grant');
    assert.equal(revoked.body.maskid_grant_state.state, 'revoked');
    assert.ok(Date.parse(revoked.body.maskid_grant_state.since) >= Date.parse(suspended.body.maskid_grant_state.since));
  });

  it('a token request is one write transaction: the DPoP jti is written with the grant it spends', async () => {
    const o = await offer();
    const k = await newHolder();
    const first = await expectStatus(await token(k, preAuth(o.code, o.txCode)), 200);
    // Count the write transactions the database sees during one refresh (TypeORM logs every statement to its
    // logger): a BEGIN … COMMIT block that writes, or a write statement on its own (autocommit).
    const logger = issuer.ds.logger;
    let writes = 0;
    let open: { wrote: boolean } | undefined;
    const counting = Object.create(logger) as typeof logger;
    counting.logQuery = (query: string, ...rest: unknown[]) => {
      const q = query.trim();
      if (/^(BEGIN|START TRANSACTION)/i.test(q)) open = { wrote: false };
      else if (/^(COMMIT|ROLLBACK)/i.test(q)) {
        if (open?.wrote && /^COMMIT/i.test(q)) writes++;
        open = undefined;
      } else if (/^(INSERT|UPDATE|DELETE)/i.test(q)) {
        if (open) open.wrote = true;
        else writes++;
      }
      return (logger.logQuery as (...a: unknown[]) => unknown).call(logger, query, ...rest);
    };
    Object.defineProperty(issuer.ds, 'logger', { value: counting, configurable: true, writable: true });
    try {
      await expectStatus(await token(k, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token, authorization_details: WALLET_AUTHORIZATION_DETAILS }), 200);
    } finally {
      Object.defineProperty(issuer.ds, 'logger', { value: logger, configurable: true, writable: true });
    }
    assert.equal(writes, 1, 'rotation and jti in one write transaction');
  });

  it('refuses wrong DPoP proofs at the token and credential endpoints', async () => {
    const k = await newHolder();
    const o = await offer();
    const form = preAuth(o.code, o.txCode);
    const post = (dpop?: string) => {
      const r = request(app).post('/token').type('form');
      return (dpop ? r.set('DPoP', dpop) : r).send(form);
    };
    assert.equal((await post()).body.error, 'invalid_dpop_proof', 'missing');
    assert.equal((await post(await dpopProof(k, 'GET', `${URL_}/token`))).body.error, 'invalid_dpop_proof', 'htm');
    assert.equal((await post(await dpopProof(k, 'POST', `${URL_}/other`))).body.error, 'invalid_dpop_proof', 'htu');
    assert.equal((await post(await dpopProof(k, 'POST', `${URL_}/token`, { iat: Math.floor(Date.now() / 1000) - 3600 }))).body.error, 'invalid_dpop_proof', 'stale iat');
    assert.equal((await post(await dpopProof(k, 'POST', `${URL_}/token`, {}, { typ: 'JWT' }))).body.error, 'invalid_dpop_proof', 'typ');
    const other = await newHolder();
    const forged = await signJwt(
      { typ: 'dpop+jwt', jwk: k.jwk },
      { jti: crypto.randomUUID(), htm: 'POST', htu: `${URL_}/token`, iat: Math.floor(Date.now() / 1000) },
      other.signer,
    );
    assert.equal((await post(forged)).body.error, 'invalid_dpop_proof', 'signature by another key');
    const once = await dpopProof(k, 'POST', `${URL_}/token`);
    const ok = await post(once).expect(200);
    assert.equal((await token(k, preAuth(o.code, o.txCode))).status, 400);
    const p2 = await offer();
    assert.equal((await request(app).post('/token').type('form').set('DPoP', once).send(preAuth(p2.code, p2.txCode))).body.error, 'invalid_dpop_proof', 'replayed jti');
    assert.equal((await token(k, preAuth(p2.code, p2.txCode))).status, 200, 'the replay spent nothing: the offer still works');

    const access = ok.body.access_token as string;
    const holder = await newHolder();
    const body = async () => ({ credential_identifier: 'forum', proofs: { jwt: [await keyProof(holder, await nonce())] } });
    const thief = await newHolder();
    const stolen = await credential(thief, access, await body());
    assert.equal(stolen.status, 401, 'token bound to another DPoP key');
    assert.match(stolen.headers['www-authenticate'] ?? '', /DPoP/);
    assert.equal((await credential(k, access, await body(), await dpopProof(k, 'POST', `${URL_}/credential`))).status, 401, 'missing ath');
    assert.equal(
      (
        await request(app)
          .post('/credential')
          .set('Authorization', `Bearer ${access}`)
          .send(await body())
      ).status,
      401,
      'Bearer instead of DPoP',
    );
    assert.equal((await credential(k, 'x'.repeat(43), await body())).status, 401, 'unknown token');
    await expectStatus(await credential(k, access, await body()), 200);
    // The same DPoP proof twice at the credential endpoint: the second is a replay (its jti is single-use).
    const proof = await dpopProof(k, 'POST', `${URL_}/credential`, { ath: await ath(access) });
    await expectStatus(await credential(k, access, await body(), proof), 200);
    const replayed = await credential(k, access, await body(), proof);
    assert.equal(replayed.status, 400);
    assert.equal(replayed.body.error, 'invalid_dpop_proof', 'a DPoP proof replayed at the credential endpoint');
  });

  it('refuses stale nonces and bad key proofs, and the DPoP key as a credential key', async () => {
    const k = await newHolder();
    const o = await offer();
    const access = (await expectStatus(await token(k, preAuth(o.code, o.txCode)), 200)).body.access_token as string;
    const holder = await newHolder();
    const req = async (proof: string, id = 'forum') => (await credential(k, access, { credential_identifier: id, proofs: { jwt: [proof] } })).body.error;
    const used = await nonce();
    assert.equal(await req(await keyProof(holder, 'never-issued-nonce')), 'invalid_nonce');
    assert.equal(await req(await keyProof(holder, await nonce(), { aud: 'https://evil.example' })), 'invalid_proof', 'aud');
    assert.equal(await req(await keyProof(holder, await nonce(), {}, { typ: 'JWT' })), 'invalid_proof', 'typ');
    assert.equal(await req(await keyProof(holder, await nonce(), { iat: Math.floor(Date.now() / 1000) - 3600 })), 'invalid_proof', 'iat');
    const other = await newHolder();
    assert.equal(
      await req(await signJwt({ typ: 'openid4vci-proof+jwt', jwk: holder.jwk }, { aud: URL_, iat: Math.floor(Date.now() / 1000), nonce: await nonce() }, other.signer)),
      'invalid_proof',
      'signature',
    );
    assert.equal(await req(await keyProof(holder, await nonce(), {}, { kid: didJwkFor(holder.jwk) + '#0' })), 'invalid_proof', 'kid instead of jwk');
    assert.equal(await req(await keyProof(holder, await nonce()), 'nope'), 'unknown_credential_identifier');
    assert.equal((await credential(k, access, { credential_identifier: 'forum' })).body.error, 'invalid_proof', 'no proofs');
    assert.equal(
      (await credential(k, access, { credential_identifier: 'forum', proofs: { jwt: [await keyProof(holder, await nonce()), await keyProof(holder, await nonce())] } })).body.error,
      'invalid_proof',
      'two proofs',
    );
    assert.equal(await req(await keyProof(k, await nonce())), 'invalid_proof', 'the DPoP key as credential key');
    assert.equal(await req(await keyProof(holder, used)), undefined, 'a valid proof is accepted');
    // Reuse across requests is not recorded (no row per credential): it only links the wallet's own credentials.
    assert.equal(await req(await keyProof(holder, await nonce()), 'video'), undefined, 'a key reused in a later request is not tracked');
    assert.equal(await req(await keyProof(await newHolder(), used), 'video'), undefined, 'one c_nonce serves every proof of the batch within its lifetime');
    const stale = await new Openid4vciService(issuer, { now: () => Date.now() - (DEFAULT_LIFETIMES.cNonce + 1) * 1000 }).nonce();
    assert.equal(await req(await keyProof(await newHolder(), stale)), 'invalid_nonce', 'a c_nonce past its lifetime');
    const forged = used.slice(0, 10) + (used[10] === 'A' ? 'B' : 'A') + used.slice(11);
    assert.equal(await req(await keyProof(await newHolder(), forged)), 'invalid_nonce', 'a c_nonce whose MAC does not verify');
  });

  it('reissue invalidates earlier tokens; body limits and content types are enforced', async () => {
    const k = await newHolder();
    const o = await offer();
    const tok = (await expectStatus(await token(k, preAuth(o.code, o.txCode)), 200)).body;
    await new StatusService(issuer).reissue({ networkNumber });
    const holder = await newHolder();
    assert.equal((await credential(k, tok.access_token, { credential_identifier: 'forum', proofs: { jwt: [await keyProof(holder, await nonce())] } })).status, 401);
    const refused = await token(k, { grant_type: 'refresh_token', refresh_token: tok.refresh_token });
    assert.equal(refused.body.error, 'invalid_grant');
    // The wallet is told its grant was replaced, and when (the reissue's date).
    assert.equal(refused.body.maskid_grant_state.state, 'replaced');
    assert.ok(Math.abs(Date.parse(refused.body.maskid_grant_state.since) - Date.now()) < 60_000, refused.body.maskid_grant_state.since);
    const big = await request(app)
      .post('/credential')
      .set('Authorization', `DPoP ${'a'.repeat(43)}`)
      .set('Content-Type', 'application/json')
      .send(`{"x":"${'a'.repeat(20_000)}"}`);
    assert.equal(big.status, 413);
    const json = await request(app)
      .post('/token')
      .set('DPoP', await dpopProof(k, 'POST', `${URL_}/token`))
      .send({ grant_type: 'refresh_token' });
    assert.equal(json.status, 400);
    const nonceRes = await request(app).post('/nonce').expect(200);
    assert.equal(nonceRes.headers['cache-control'], 'no-store');
  });

  it('shares single-use values between issuer processes on one database (DPoP jti); a c_nonce of one is valid on the other', async () => {
    // A second Issuer on the same database stands for a second `serve` process behind a balancer.
    const second = await openDevIssuer(t.dir, t.db);
    try {
      const app2 = createIssuerApp(second, { tokenRequestsPerMinute: 1000 });
      const k = await newHolder();
      const o = await offer();
      const once = await dpopProof(k, 'POST', `${URL_}/token`);
      const tok = await expectStatus(await request(app).post('/token').type('form').set('DPoP', once).send(preAuth(o.code, o.txCode)), 200);
      const p2 = await offer();
      assert.equal(
        (await request(app2).post('/token').type('form').set('DPoP', once).send(preAuth(p2.code, p2.txCode))).body.error,
        'invalid_dpop_proof',
        'a jti seen by one process is refused by the other',
      );
      const access = tok.body.access_token as string;
      const holder = await newHolder();
      const n = (await request(app2).post('/nonce')).body.c_nonce as string;
      const proof = await keyProof(holder, n);
      const on = async (a: typeof app, id: string, p: string) =>
        await request(a)
          .post('/credential')
          .set('Authorization', `DPoP ${access}`)
          .set('DPoP', await dpopProof(k, 'POST', `${URL_}/credential`, { ath: await ath(access) }))
          .send({ credential_identifier: id, proofs: { jwt: [p] } });
      await expectStatus(await on(app, 'forum', proof), 200);
      await expectStatus(await on(app2, 'video', await keyProof(await newHolder(), n)), 200);
    } finally {
      await second.close();
    }
  });

  it('batch extension: one DPoP request carries the key proofs of every platform; all or nothing; one row (the DPoP jti) per batch', async () => {
    const k = await newHolder();
    const o = await offer();
    const access = (await expectStatus(await token(k, preAuth(o.code, o.txCode)), 200)).body.access_token as string;
    const batch = async (requests: unknown) =>
      await request(app)
        .post('/batch-credential')
        .set('Authorization', `DPoP ${access}`)
        .set('DPoP', await dpopProof(k, 'POST', `${URL_}/batch-credential`, { ath: await ath(access) }))
        .send({ credential_requests: requests });
    const meta = await request(app).get('/.well-known/openid-credential-issuer').expect(200);
    assert.equal(meta.body.maskid_batch_credential_endpoint, `${URL_}/batch-credential`);
    const n = await nonce();
    const [a, b] = [await newHolder(), await newHolder()];
    const rows = async () => Number((await issuer.ds.query('SELECT COUNT(*) AS n FROM maskid_grant'))[0].n);
    const before = await rows();
    const ok = await expectStatus(
      await batch([
        { credential_identifier: 'forum', proofs: { jwt: [await keyProof(a, n)] } },
        { credential_identifier: 'video', proofs: { jwt: [await keyProof(b, n)] } },
      ]),
      200,
    );
    assert.equal(await rows(), before + 1, 'the batch wrote only its DPoP jti');
    const got = ok.body.credential_responses as { credentials: { credential: string }[] }[];
    assert.equal(got.length, 2);
    const payloads = got.map((r) => parseSdJwt(r.credentials[0]!.credential).jwt.payload as { credentialSubject: { platform: string }; cnf: { jwk: { x: string } } });
    assert.deepEqual(
      payloads.map((p) => p.credentialSubject.platform),
      ['forum', 'video'],
    );
    assert.deepEqual(
      payloads.map((p) => p.cnf.jwk.x),
      [a.jwk.x, b.jwk.x],
      'each credential is bound to its own proof key',
    );
    const c = await newHolder();
    const refused = async (requests: unknown, error: string, why: string) => {
      const mid = await rows();
      const r = await batch(requests);
      assert.equal(r.body.error, error, why);
      assert.equal(r.body.credential_responses, undefined, why);
      assert.equal(await rows(), mid + 1, `${why}: nothing but the DPoP jti written`);
    };
    await refused(
      [
        { credential_identifier: 'forum', proofs: { jwt: [await keyProof(c, n)] } },
        { credential_identifier: 'video', proofs: { jwt: [await keyProof(c, n)] } },
      ],
      'invalid_proof',
      'one key for two credentials of a batch',
    );
    await refused(
      [
        { credential_identifier: 'forum', proofs: { jwt: [await keyProof(c, n)] } },
        { credential_identifier: 'nope', proofs: { jwt: [await keyProof(await newHolder(), n)] } },
      ],
      'unknown_credential_identifier',
      'one unknown identifier refuses the whole batch',
    );
    await refused([{ credential_identifier: 'forum', proofs: { jwt: [await keyProof(k, n)] } }], 'invalid_proof', 'the DPoP key as credential key');
    await refused([], 'invalid_credential_request', 'an empty batch');
    await refused({ credential_identifier: 'forum' }, 'invalid_credential_request', 'not a list');
    // A leaked header pair (access token + DPoP proof) replayed with the attacker's own key proofs: DPoP does
    // not bind the body and a c_nonce is free to anyone, so only the proof's single-use jti stops it.
    const proof = await dpopProof(k, 'POST', `${URL_}/batch-credential`, { ath: await ath(access) });
    const sent = (keyProofJwt: string) =>
      request(app)
        .post('/batch-credential')
        .set('Authorization', `DPoP ${access}`)
        .set('DPoP', proof)
        .send({ credential_requests: [{ credential_identifier: 'forum', proofs: { jwt: [keyProofJwt] } }] });
    await expectStatus(await sent(await keyProof(await newHolder(), await nonce())), 200);
    const replayed = await sent(await keyProof(await newHolder(), await nonce()));
    assert.equal(replayed.status, 400, 'a DPoP proof replayed at the batch endpoint with other key proofs');
    assert.equal(replayed.body.error, 'invalid_dpop_proof');
    assert.equal(replayed.body.credential_responses, undefined, 'no credential for the replay');
  });

  it('writes no database row for POST /nonce, however many', async () => {
    const rows = async () => Number((await issuer.ds.query('SELECT COUNT(*) AS n FROM maskid_grant'))[0].n);
    const before = await rows();
    for (let i = 0; i < 200; i++) await request(app).post('/nonce').expect(200);
    assert.equal(await rows(), before);
  });

  it('rate-limits the token endpoint', async () => {
    const limited = createIssuerApp(issuer, { tokenRequestsPerMinute: 3 });
    const k = await newHolder();
    const codes: number[] = [];
    for (let i = 0; i < 5; i++)
      codes.push(
        (
          await request(limited)
            .post('/token')
            .type('form')
            .set('DPoP', await dpopProof(k, 'POST', `${URL_}/token`))
            .send({ grant_type: 'x' })
        ).status,
      );
    assert.deepEqual(codes, [400, 400, 400, 429, 429]);
  });

  it("rate-limits per grant (one client cannot use up another's refreshes) and per client address, which trust proxy takes from X-Forwarded-For", async () => {
    const k = await newHolder();
    const post = async (a: typeof app, body: Record<string, string>, forwardedFor?: string) => {
      const r = request(a)
        .post('/token')
        .type('form')
        .set('DPoP', await dpopProof(k, 'POST', `${URL_}/token`));
      if (forwardedFor) r.set('X-Forwarded-For', forwardedFor);
      return (await r.send(body)).status;
    };
    const perGrant = createIssuerApp(issuer, { tokenRequestsPerMinute: 2, tokenRequestsPerMinutePerClient: 1000 });
    const spent = [];
    for (let i = 0; i < 3; i++) spent.push(await post(perGrant, { grant_type: 'refresh_token', refresh_token: 'grant-of-mallory-000000000000' }));
    assert.deepEqual(spent, [400, 400, 429], 'one grant is limited');
    assert.equal(await post(perGrant, { grant_type: 'refresh_token', refresh_token: 'grant-of-alice-00000000000000' }), 400, 'another grant is not');
    // Behind a proxy: without `trust proxy` every client looks like the proxy; with it, each X-Forwarded-For address has its own quota.
    const behind = createIssuerApp(issuer, { tokenRequestsPerMinute: 1000, tokenRequestsPerMinutePerClient: 2, trustProxy: 'loopback' });
    const a = [
      await post(behind, { grant_type: 'x' }, '203.0.113.1'),
      await post(behind, { grant_type: 'x' }, '203.0.113.1'),
      await post(behind, { grant_type: 'x' }, '203.0.113.1'),
    ];
    assert.deepEqual(a, [400, 400, 429]);
    assert.equal(await post(behind, { grant_type: 'x' }, '203.0.113.2'), 400, 'another client behind the same proxy');
  });

  it('refuses a credential request whose JSON names a member twice', async () => {
    const k = await newHolder();
    const o = await offer();
    const access = (await expectStatus(await token(k, preAuth(o.code, o.txCode)), 200)).body.access_token as string;
    const proof = await keyProof(await newHolder(), await nonce());
    const body = `{"credential_identifier":"forum","credential_identifier":"video","proofs":{"jwt":[${JSON.stringify(proof)}]}}`;
    const r = await request(app)
      .post('/credential')
      .set('Authorization', `DPoP ${access}`)
      .set('Content-Type', 'application/json')
      .set('DPoP', await dpopProof(k, 'POST', `${URL_}/credential`, { ath: await ath(access) }))
      .send(body);
    assert.equal(r.status, 400);
    assert.equal(r.body.error, 'invalid_credential_request');
    assert.match(r.body.error_description, /twice/);
  });

  it('keeps the previous key in the key list and DID document after a rotation, so earlier credentials still verify', async () => {
    const holder = await newHolder();
    const nn = await enrollPerson(issuer);
    const before = await new CredentialService(issuer).issue({ networkNumber: nn, platformId: 'forum', holder: holder.did });
    const r = await new KeyService(issuer).rotate(await issuer.devRootKey(), { leadSeconds: 0 });
    issuer.forgetSettings();
    const after = await new CredentialService(issuer).issue({ networkNumber: nn, platformId: 'forum', holder: holder.did });
    const doc = (await request(app).get('/.well-known/did.json')).body as { verificationMethod: { id: string; publicKeyJwk: Jwk }[]; assertionMethod: string[] };
    assert.deepEqual(doc.assertionMethod.sort(), [r.previous, r.kid].sort());
    for (const c of [before, after]) {
      const kid = JSON.parse(Buffer.from(c.sdJwt.split('.')[0]!, 'base64url').toString()).kid as string;
      const p = await presentInternetIdCredential(c.sdJwt, { claims: ['ageOver18'], kbSigner: holder.signer, nonce: 'n-0123456789abcdef', aud: 'origin:x' });
      const v = await verifyInternetIdPresentation(p, {
        issuerKey: (_iss, k) => {
          const m = doc.verificationMethod.find((x) => x.id === k && doc.assertionMethod.includes(k));
          if (!m) throw new Error('unknown');
          return m.publicKeyJwk;
        },
        nonce: 'n-0123456789abcdef',
        audiences: ['origin:x'],
        platform: 'forum',
        requestedClaims: ['ageOver18'],
      });
      assert.equal(v.verified, true, kid);
    }
    assert.notEqual(
      JSON.parse(Buffer.from(before.sdJwt.split('.')[0]!, 'base64url').toString()).kid,
      JSON.parse(Buffer.from(after.sdJwt.split('.')[0]!, 'base64url').toString()).kid,
    );
  });
});

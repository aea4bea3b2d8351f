/**
 * An outside OpenID4VCI 1.0 client onboards: `@openid4vc/openid4vci` (the OpenWallet Foundation's
 * oid4vc-ts, used by Credo) runs against the real `maskid-issuer serve` with nothing hand-built —
 * offer by reference, metadata, pre-authorized code + PIN with DPoP, nonce, a key proof, and one
 * credential request per platform configuration id. The credential it receives is presented to the real
 * `maskid-verifier serve` and accepted, with the same masked ID maskid's own wallet gets for that person.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { HashAlgorithm, clientAuthenticationAnonymous, setGlobalConfig, type CallbackContext, type Jwk as OidJwk } from '@openid4vc/oauth2';
import { Openid4vciClient } from '@openid4vc/openid4vci';
import { parseSdJwt, presentInternetIdCredential, audienceForOrigin } from '@maskid/core';
import { MemoryStorage, WebCryptoKeyStore, Wallet } from '@maskid/holder';
import { TEST_DB_KIND, makeNationalId, tempDir } from '../helpers.js';
import { ISSUER_BIN, VERIFIER_BIN, issuerCli, startDaemon } from '../real-processes.js';
import { freePort } from '../issuer-server.js';

/** ES256 keys the outside client holds (jose), looked up by their public `x` when it asks for a signature. */
const keys = new Map<string, CryptoKey>();
async function es256Key(): Promise<{ publicJwk: JWK; privateKey: CryptoKey }> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const { kty, crv, x, y } = await exportJWK(publicKey);
  keys.set(String(x), privateKey);
  return { publicJwk: { kty: kty!, crv: crv!, x: x!, y: y! }, privateKey };
}

/** The callbacks oid4vc-ts asks a wallet for: hashing, randomness, JWT signing (jose), fetch, no client authentication. */
const callbacks: Omit<CallbackContext, 'verifyJwt' | 'decryptJwe' | 'encryptJwe'> = {
  fetch: globalThis.fetch,
  hash: (data, alg) => {
    assert.equal(alg, HashAlgorithm.Sha256);
    return new Uint8Array(createHash('sha256').update(data).digest());
  },
  generateRandom: (n) => new Uint8Array(randomBytes(n)),
  clientAuthentication: clientAuthenticationAnonymous(),
  signJwt: async (signer, { header, payload }) => {
    assert.equal(signer.method, 'jwk');
    const publicJwk = (signer as { publicJwk: OidJwk }).publicJwk;
    const key = keys.get(String(publicJwk.x));
    assert.ok(key, 'a key this client made');
    const jwt = await new SignJWT(payload as Record<string, unknown>).setProtectedHeader(header as { alg: string }).sign(key);
    return { jwt, signerJwk: publicJwk };
  },
};

describe('an outside OpenID4VCI client (@openid4vc/openid4vci) onboards against maskid-issuer serve', {
  skip: TEST_DB_KIND === 'postgres' && 'runs the binaries on their default SQLite database',
}, () => {
  let dir: string;
  let cleanup: () => void;
  const children: ChildProcess[] = [];
  let url = '';
  let rootThumbprint = '';
  let verifierUrl = '';
  let origin = '';
  let networkNumber = '';
  const cli = (args: string[]) => issuerCli(join(dir, 'data'), args);

  before(async () => {
    // The test serves plain HTTP on 127.0.0.1 (as `--dev` allows); the library refuses http:// URLs unless told.
    setGlobalConfig({ allowInsecureUrls: true });
    ({ dir, cleanup } = tempDir('maskid-oid4vci-clients-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    rootThumbprint = cli(['root-key', 'create', '--out', join(dir, 'root.jwk')])['rootThumbprint'] as string;
    cli(['init', '--url', url, '--root-key', join(dir, 'root.jwk')]);
    origin = `http://localhost:${await freePort()}`;
    cli(['platform', 'add', '--id', 'p1', '--name', 'Forum', '--origin', origin, '--claims', 'ageOver18']);
    cli(['platform', 'add', '--id', 'p2', '--name', 'Video', '--origin', `http://localhost:${await freePort()}`, '--claims', 'ageOver18']);
    networkNumber = cli(['enroll', '--national-id', makeNationalId('1990-01-01', '11', 7), '--name', 'Li Wei', '--birth-date', '1990-01-01', '--gender', 'F', '--region', '11'])[
      'networkNumber'
    ] as string;
    await startDaemon(children, ISSUER_BIN, ['--dev', '--data-dir', join(dir, 'data'), 'serve', '--port', String(port)], /serving/);
    const vport = await freePort();
    const config = join(dir, 'p1.json');
    writeFileSync(config, JSON.stringify({ platform: 'p1', origins: [origin], trustedIssuers: [{ url, rootThumbprint }], allowedClaims: ['ageOver18'], dev: true, port: vport }));
    await startDaemon(children, VERIFIER_BIN, ['serve', '--config', config], /listening/);
    verifierUrl = `http://127.0.0.1:${vport}`;
  });
  after(() => {
    for (const c of children) c.kill('SIGTERM');
    cleanup();
  });

  /** Presents `sdJwt` (bound to `holder`) to the p1 verifier, as a DC API answer to a request for `format`; the verifier's status and body. */
  async function signIn(sdJwt: string, holder: CryptoKey, format = 'vc+sd-jwt'): Promise<{ status: number; body: Record<string, unknown> }> {
    const created = (await (
      await fetch(`${verifierUrl}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: ['ageOver18'], format }) })
    ).json()) as { requestId: string; request: { data: { nonce: string } } };
    const kbSigner = {
      alg: 'ES256' as const,
      sign: async (data: Uint8Array) => new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, holder, new Uint8Array(data))),
    };
    const vp = await presentInternetIdCredential(sdJwt, { claims: ['ageOver18'], kbSigner, nonce: created.request.data.nonce, aud: audienceForOrigin(origin) });
    const r = await fetch(`${verifierUrl}/v1/presentations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestId: created.requestId, origin, vp_token: { internet_id: [vp] } }),
    });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  }

  it('offer by reference, metadata, token (PIN + DPoP), nonce and a credential per configuration id, in both forms; the verifier accepts them', { timeout: 120_000 }, async () => {
    const offer = cli(['offer', '--network-number', networkNumber]) as { uri: string; txCode: string };
    assert.match(offer.uri, /credential_offer_uri=/);
    const client = new Openid4vciClient({ callbacks });
    const credentialOffer = await client.resolveCredentialOffer(offer.uri);
    assert.deepEqual(credentialOffer.credential_configuration_ids, [
      'InternetIdCredential',
      'InternetIdCredentialVCLD',
      'InternetIdCredential.p1',
      'InternetIdCredential.p1.vcld',
      'InternetIdCredential.p2',
      'InternetIdCredential.p2.vcld',
    ]);
    const issuerMetadata = await client.resolveIssuerMetadata(credentialOffer.credential_issuer);
    const dpopKey = await es256Key();
    const { accessTokenResponse, dpop } = await client.retrievePreAuthorizedCodeAccessTokenFromOffer({
      credentialOffer,
      issuerMetadata,
      txCode: offer.txCode,
      dpop: { signer: { method: 'jwk', alg: 'ES256', publicJwk: dpopKey.publicJwk as OidJwk } },
    });
    assert.equal(accessTokenResponse.token_type, 'DPoP');
    assert.equal(accessTokenResponse.authorization_details, undefined, 'a standard client did not ask for authorization_details');

    const received: Record<string, { sdJwt: string; key: CryptoKey }> = {};
    for (const credentialConfigurationId of ['InternetIdCredential.p1', 'InternetIdCredential.p2', 'InternetIdCredential.p1.vcld']) {
      const holderKey = await es256Key();
      const { c_nonce } = await client.requestNonce({ issuerMetadata });
      const proof = await client.createCredentialRequestJwtProof({
        issuerMetadata,
        credentialConfigurationId,
        signer: { method: 'jwk', alg: 'ES256', publicJwk: holderKey.publicJwk as OidJwk },
        nonce: c_nonce,
      });
      const r = await client.retrieveCredentials({
        issuerMetadata,
        accessToken: accessTokenResponse.access_token,
        credentialConfigurationId,
        proofs: { jwt: [proof.jwt] },
        ...(dpop ? { dpop } : {}),
      });
      const credential = (r.credentialResponse.credentials as { credential: string }[] | undefined)?.[0]?.credential;
      assert.equal(typeof credential, 'string', credentialConfigurationId);
      received[credentialConfigurationId] = { sdJwt: credential!, key: holderKey.privateKey };
    }
    // Either form: the VCLD form keeps the subject under `ld`.
    const masked = (c: string) => {
      const payload = parseSdJwt(c).jwt.payload;
      const vc = (payload['ld'] as Record<string, unknown> | undefined) ?? payload;
      return (vc['credentialSubject'] as Record<string, unknown>)['maskedId'];
    };
    const p1 = received['InternetIdCredential.p1']!;
    assert.notEqual(masked(p1.sdJwt), masked(received['InternetIdCredential.p2']!.sdJwt), 'each platform its own masked ID');

    // The verifier waits for the first published epoch (serve publishes at start-up); then it accepts.
    let answer = await signIn(p1.sdJwt, p1.key);
    for (let i = 0; i < 120 && answer.status === 503; i++) {
      await sleep(250);
      answer = await signIn(p1.sdJwt, p1.key);
    }
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.body['maskedId'], masked(p1.sdJwt));
    // The SD-JWT VCLD form of p1 (dc+sd-jwt, requested by its configuration id): the same masked ID, accepted too.
    const vcld = received['InternetIdCredential.p1.vcld']!;
    assert.equal(parseSdJwt(vcld.sdJwt).jwt.header['typ'], 'dc+sd-jwt');
    assert.equal(issuerMetadata.credentialIssuer.credential_configurations_supported['InternetIdCredential.p1.vcld']?.format, 'dc+sd-jwt');
    assert.equal(masked(vcld.sdJwt), masked(p1.sdJwt));
    const vcldAnswer = await signIn(vcld.sdJwt, vcld.key, 'dc+sd-jwt');
    assert.equal(vcldAnswer.status, 200, JSON.stringify(vcldAnswer.body));
    assert.equal(vcldAnswer.body['maskedId'], masked(p1.sdJwt));
    // A credential of another platform is refused there (its own masked ID is for p2 only).
    const p2 = received['InternetIdCredential.p2']!;
    assert.notEqual((await signIn(p2.sdJwt, p2.key)).status, 200);

    // maskid's own wallet, onboarding with a second offer (by reference too), holds the same masked ID for p1.
    const storage = new MemoryStorage();
    const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [{ url, rootThumbprint }] });
    const second = cli(['offer', '--network-number', networkNumber]) as { uri: string; txCode: string };
    const held = await wallet.acceptOffer(second.uri, { pin: second.txCode });
    assert.equal(held.find((c) => c.platform === 'p1')?.maskedId, masked(p1.sdJwt));
    // A spent offer cannot be resolved again, by the outside client either.
    await assert.rejects(client.resolveCredentialOffer(second.uri));
  });
});

/**
 * An untrusted network between the verifier or wallet and the issuer (the CDN that SECURITY.md trusts
 * for availability only), played by an in-process tampering `fetch`: it replays older signed
 * manifests, lists, key lists and registries, answers 304 forever, serves a new manifest with the old
 * bytes of the one list that changed, serves old data to a freshly started verifier, and substitutes a
 * DID document and a registry signed by an attacker's key. Nothing it does makes a revoked or forged
 * credential acceptable, and the verifier fails closed exactly when the signed-time rules say so.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CredentialService, KeyService, PlatformService, StatusService, rootKeyFromJwk } from '@maskid/issuer';
import {
  CHANGE_WINDOW_EPOCHS,
  KEY_LIST_PATH,
  TYP_KEY_LIST,
  decodeListEpochs,
  TYP_VC_JWT,
  VC_CONTEXT_V2,
  buildDcApiRequest,
  jwkThumbprint,
  presentInternetIdCredential,
  signJwt,
  webCryptoSigner,
  type Jwk,
} from '@maskid/core';
import { MemoryStorage, Wallet, WebCryptoKeyStore } from '@maskid/holder';
import { VerifierService, parseConfig } from '@maskid/verifier';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, forgeFrom, newHolder, type Holder } from '../helpers.js';

const payloadOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** A `fetch` that goes to the real issuer unless a rule answers instead; it records every URL. */
class TamperingNetwork {
  readonly requests: string[] = [];
  rules: ((url: string, init?: RequestInit) => Response | undefined | Promise<Response | undefined>)[] = [];
  /** Last body seen per URL path, as the network could capture it. */
  readonly captured = new Map<string, string>();

  fetch: typeof fetch = async (input, init) => {
    const url = String(input);
    this.requests.push(new URL(url).pathname);
    for (const rule of this.rules) {
      const r = await rule(url, init);
      if (r) return r;
    }
    const res = await fetch(input, init);
    if (res.status !== 200) return res;
    const body = await res.text();
    this.captured.set(new URL(url).pathname, body);
    return new Response(body, { status: 200, headers: res.headers });
  };

  /** Serves `body` for requests whose path ends with `suffix`. */
  serve(suffix: string, body: string | (() => string)): void {
    this.rules.push((url) => (new URL(url).pathname.endsWith(suffix) ? new Response(typeof body === 'function' ? body() : body, { status: 200 }) : undefined));
  }

  reset(): void {
    this.rules = [];
  }
}

describe('an untrusted network cannot un-revoke, forge or substitute', () => {
  let server: RunningIssuer;
  let origin: string;
  let net: TamperingNetwork;
  const services: VerifierService[] = [];

  const verifier = async (config: Record<string, unknown> = {}, now?: () => number) => {
    const s = await VerifierService.create(
      parseConfig({
        platform: 'forum',
        origins: [origin],
        trustedIssuers: [server.anchor],
        allowedClaims: ['ageOver18'],
        dev: true,
        ...config,
      }),
      { fetch: net.fetch, ...(now ? { now } : {}) },
    );
    await s.start();
    services.push(s);
    return s;
  };
  const issue = async (networkNumber?: string) => {
    const nn = networkNumber ?? (await enrollPerson(server.issuer));
    const holder = await newHolder();
    const c = await new CredentialService(server.issuer).issue({ networkNumber: nn, platformId: 'forum', holder: holder.did });
    return { sdJwt: c.sdJwt, holder, networkNumber: nn };
  };
  let n = 0;
  const login = async (s: VerifierService, c: { sdJwt: string; holder: Holder }, iat?: number) => {
    const nonce = `nonce-untrusted-${String(n++).padStart(8, '0')}`;
    const vp = await presentInternetIdCredential(c.sdJwt, { claims: ['ageOver18'], kbSigner: c.holder.signer, nonce, aud: `origin:${origin}`, ...(iat ? { iat } : {}) });
    const r = s.engine.verifyWith(vp, nonce, ['ageOver18']);
    return r.verified ? 'ok' : r.error.code;
  };
  const publish = () => new StatusService(server.issuer).publish({});

  before(async () => {
    server = await startIssuer({ platforms: [{ id: 'forum', claims: ['ageOver18'] }] });
    origin = (await new PlatformService(server.issuer).get('forum')).origins[0]!;
    net = new TamperingNetwork();
  });
  after(async () => {
    for (const s of services) await s.stop();
    await server.close();
  });

  it('a rolled-back manifest and list (captured before a revocation) are refused; the revoked person stays refused', async () => {
    net.reset();
    const c = await issue();
    await publish();
    const v = await verifier();
    const oldManifest = net.captured.get('/status/forum/manifest')!;
    await new StatusService(server.issuer).revoke({ networkNumber: c.networkNumber, platformId: 'forum' });
    await publish();
    await v.status.refresh();
    assert.equal(await login(v, c), 'ERR_STATUS_REVOKED');
    const errors = v.status.errors.count;
    net.serve('/status/forum/manifest', oldManifest);
    await v.status.refresh();
    assert.equal(v.status.errors.count, errors + 1, 'the older manifest is refused and counted');
    assert.equal(await login(v, c), 'ERR_STATUS_REVOKED', 'still revoked');
  });

  it("a 304 forever (or the same old manifest) freezes nothing past the bound: lookups fail closed from the manifest's signed iat", async () => {
    net.reset();
    let now = Date.now();
    const c = await issue();
    await publish();
    const v = await verifier({}, () => now);
    assert.equal(await login(v, c), 'ok');
    net.rules.push((_url, init) => (new Headers(init?.headers).has('If-None-Match') ? new Response(null, { status: 304 }) : undefined));
    await new StatusService(server.issuer).suspend({ networkNumber: c.networkNumber, platformId: 'forum' });
    await publish();
    const m = JSON.parse(Buffer.from(net.captured.get('/status/forum/manifest')!.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    now = m.iat * 1000 + (m.exp - m.iat) * 1000 - 30_000;
    await v.status.refresh();
    assert.equal(await login(v, c, Math.floor(now / 1000)), 'ok', 'within the bound the held (older) status is used: the documented window');
    now += 60_000;
    await v.status.refresh();
    assert.equal(await login(v, c, Math.floor(now / 1000)), 'ERR_STATUS_UNAVAILABLE', 'past the bound: fail closed, however many 304s');
    assert.equal(v.health().status, 'degraded');
    net.reset();
    await new StatusService(server.issuer).resume({ networkNumber: c.networkNumber, platformId: 'forum' });
  });

  it("a verifier within the change window catches up from the manifest alone: one request per poll, the manifest's signed changes refuse a revoked person at once", async () => {
    net.reset();
    const status = new StatusService(server.issuer);
    const c = await issue();
    const d = await issue();
    await publish();
    const v = await verifier();
    assert.equal(await login(v, c), 'ok');
    await status.revoke({ networkNumber: c.networkNumber, platformId: 'forum' });
    await status.suspend({ networkNumber: d.networkNumber, platformId: 'forum' });
    await publish();
    await publish();
    const from = net.requests.length;
    // A withheld list changes nothing: the verifier does not need it.
    net.rules.push((url) => (/\.e\d+$/.test(url) ? new Response(null, { status: 503 }) : undefined));
    await v.status.refresh();
    assert.deepEqual(net.requests.slice(from), ['/status/forum/manifest'], 'only the manifest was requested');
    assert.equal(v.status.stats().staleLists, 0);
    assert.equal(await login(v, c), 'ERR_STATUS_REVOKED');
    assert.equal(await login(v, d), 'ERR_STATUS_SUSPENDED');
    await status.resume({ networkNumber: d.networkNumber, platformId: 'forum' });
    await publish();
    await v.status.refresh();
    assert.equal(await login(v, d), 'ok', 'a resume arrives the same way');
    net.reset();
  });

  it('a verifier more than the change window behind, given the new manifest and the old bytes of the one list that changed: that list fails closed, nothing else does', async () => {
    net.reset();
    // c's revocation list must be one that never changed (so the verifier holds no version of it):
    // earlier tests in this file changed some lists of the same platform.
    const unchanged = async () => {
      const m = payloadOf(await (await fetch(`${server.url}/status/forum/manifest`)).text());
      const lists = m['lists'] as { count: number; revocation: string };
      return decodeListEpochs(lists.revocation, lists.count);
    };
    const epochs = await unchanged();
    let c = await issue();
    const listNo = (x: { sdJwt: string }) =>
      Number(/-(\d+)$/.exec(JSON.parse(Buffer.from(x.sdJwt.split('.')[1]!, 'base64url').toString()).credentialStatus[0].statusListCredential as string)![1]);
    for (let i = 0; i < 200 && epochs[listNo(c)] !== 0; i++) c = await issue();
    assert.equal(epochs[listNo(c)], 0, 'a person in a list that never changed');
    const other = await issue();
    await publish();
    const v = await verifier();
    assert.equal(await login(v, c), 'ok');
    await new StatusService(server.issuer).revoke({ networkNumber: c.networkNumber, platformId: 'forum' });
    // More epochs than a manifest's changes span: the verifier cannot catch up from the manifest and must fetch the list.
    for (let i = 0; i <= CHANGE_WINDOW_EPOCHS; i++) await publish();
    // The list c's bit lives in, as it was before (any old version the network kept).
    const listUrl = JSON.parse(Buffer.from(c.sdJwt.split('.')[1]!, 'base64url').toString()).credentialStatus[0].statusListCredential as string;
    const oldList = await (await fetch(listUrl.replace(/$/, '.e0'))).text();
    net.rules.push((url) => (/\.e\d+$/.test(url) && url.startsWith(listUrl) ? new Response(oldList, { status: 200 }) : undefined));
    const errors = v.status.errors.count;
    await v.status.refresh();
    assert.ok(v.status.errors.count > errors, 'the old bytes are refused (wrong epoch)');
    assert.equal(await login(v, c), 'ERR_STATUS_UNAVAILABLE', 'the revoked person is not accepted');
    const otherList = JSON.parse(Buffer.from(other.sdJwt.split('.')[1]!, 'base64url').toString()).credentialStatus[0].statusListCredential as string;
    if (otherList !== listUrl) assert.equal(await login(v, other), 'ok', 'credentials in other lists still verify');
  });

  it("a verifier more than the change window behind, fresh manifests keep coming but the changed list's new version is withheld: the held list is used until the bound from the first manifest that named a newer version, then fails closed", async () => {
    net.reset();
    let now = Date.now();
    const status = new StatusService(server.issuer);
    const c = await issue();
    const revocationList = (x: { sdJwt: string }) => JSON.parse(Buffer.from(x.sdJwt.split('.')[1]!, 'base64url').toString()).credentialStatus[0].statusListCredential as string;
    // c's revocation list has changed once, so the verifier holds a version of it: revoke a neighbour in the same list.
    let neighbour = await issue();
    for (let i = 0; i < 200 && revocationList(neighbour) !== revocationList(c); i++) neighbour = await issue();
    assert.equal(revocationList(neighbour), revocationList(c));
    await status.revoke({ networkNumber: neighbour.networkNumber, platformId: 'forum' });
    await status.publish({ now });
    const v = await verifier({}, () => now);
    assert.equal(await login(v, c, Math.floor(now / 1000)), 'ok');
    const listUrl = revocationList(c);
    assert.equal(v.status.stats().staleLists, 0);
    assert.equal(await login(v, neighbour, Math.floor(now / 1000)), 'ERR_STATUS_REVOKED', 'the list is held');
    await status.revoke({ networkNumber: c.networkNumber, platformId: 'forum' });
    net.rules.push((url) => (url.startsWith(`${listUrl}.e`) ? new Response(null, { status: 503 }) : undefined));
    const firstNamed = now;
    for (let i = 0; i <= CHANGE_WINDOW_EPOCHS; i++) await status.publish({ now });
    await v.status.refresh();
    assert.equal(v.status.stats().staleLists, 1);
    const m = JSON.parse(Buffer.from((await (await fetch(`${server.url}/status/forum/manifest`)).text()).split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    const bound = (m.exp - m.iat) * 1000;
    now = firstNamed + bound - 60_000;
    await status.publish({ now });
    await v.status.refresh();
    assert.equal(await login(v, c, Math.floor(now / 1000)), 'ok', 'inside the bound: the held version (the documented window)');
    now = firstNamed + bound + 60_000;
    await status.publish({ now });
    await v.status.refresh();
    assert.equal(v.status.stats().manifestAgeSeconds < 120, true, 'the manifest itself is fresh');
    assert.equal(await login(v, c, Math.floor(now / 1000)), 'ERR_STATUS_UNAVAILABLE', 'past the bound from the first manifest naming the new version');
    net.reset();
    await v.status.refresh();
    assert.equal(await login(v, c, Math.floor(now / 1000)), 'ERR_STATUS_REVOKED', 'once the version arrives');
  });

  it('a freshly started verifier given old data accepts no manifest older than the staleness bound', async () => {
    net.reset();
    await publish();
    const old = net.captured.get('/status/forum/manifest') ?? (await (await fetch(`${server.url}/status/forum/manifest`)).text());
    const m = JSON.parse(Buffer.from(old.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    net.serve('/status/forum/manifest', old);
    const later = m.exp * 1000 + 1000; // after the manifest's lifetime
    const v = await verifier({}, () => later);
    const c = await issue();
    assert.equal(v.status.stats().epoch, 0, 'the old manifest was refused');
    assert.equal(await login(v, c, Math.floor(later / 1000)), 'ERR_STATUS_UNAVAILABLE');
    assert.equal(v.health().status, 'degraded');
  });

  it('a DID document with an extra attacker key changes nothing; a credential forged under that key is refused without any fetch', async () => {
    net.reset();
    const attacker = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const attackerJwk = (await crypto.subtle.exportKey('jwk', attacker.publicKey)) as Jwk;
    const did = (await server.issuer.settings()).did;
    const evilKid = `${did}#attacker`;
    const doc = await new KeyService(server.issuer).didDocument();
    const poisoned = {
      ...doc,
      verificationMethod: [...(doc['verificationMethod'] as object[]), { id: evilKid, type: 'JsonWebKey2020', controller: did, publicKeyJwk: attackerJwk }],
      assertionMethod: [...(doc['assertionMethod'] as string[]), evilKid],
    };
    net.serve('/.well-known/did.json', JSON.stringify(poisoned));
    await publish();
    const v = await verifier({ keyRefreshMs: 1000 });
    // A whole credential forged by the attacker: any masked ID, over 18.
    const genuine = await issue();
    const holder = await newHolder();
    const forged = await forgeFrom(genuine.sdJwt, { issuer: did, kid: () => evilKid, holder, maskedId: 'm1' + 'a'.repeat(26), platform: 'forum', key: attacker.privateKey });
    const before = net.requests.length;
    for (let i = 0; i < 5; i++) assert.equal(await login(v, { sdJwt: forged, holder }), 'ERR_KEY_UNKNOWN');
    assert.equal(net.requests.length, before, 'an unknown kid never causes a request');
    await v.keys.refresh();
    assert.equal(await login(v, { sdJwt: forged, holder }), 'ERR_KEY_UNKNOWN', 'a key-list refresh does not take keys from the DID document');
    assert.equal(await login(v, genuine), 'ok');
  });

  it('a key list signed by another root, or an older key list version, is refused and the held keys kept', async () => {
    net.reset();
    const v = await verifier();
    const heldVersion = v.keys.version((await server.issuer.settings()).did);
    // The attacker's own root signs a list naming the attacker's key.
    const fakeRoot = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const rootJwk = (await crypto.subtle.exportKey('jwk', fakeRoot.publicKey)) as Jwk;
    const did = (await server.issuer.settings()).did;
    const fake = await signJwt(
      { typ: TYP_KEY_LIST, jwk: { kty: 'EC', crv: 'P-256', x: rootJwk.x, y: rootJwk.y } },
      {
        iss: did,
        version: 1000,
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 3600,
        keys: [{ kid: `${did}#attacker`, jwk: { kty: 'EC', crv: 'P-256', x: rootJwk.x, y: rootJwk.y }, signFrom: 0 }],
      },
      webCryptoSigner(fakeRoot.privateKey, 'ES256'),
    );
    net.serve(KEY_LIST_PATH, fake);
    const errors = v.keys.errors.count;
    await v.keys.refresh();
    assert.equal(v.keys.errors.count, errors + 1);
    assert.match(v.keys.errors.last!, /another root key/);
    assert.equal(v.keys.version(did), heldVersion);
    // An older version, genuinely signed by the root: captured, then the issuer moves on.
    net.reset();
    const older = await (await fetch(`${server.url}${KEY_LIST_PATH}`)).text();
    await new KeyService(server.issuer).resign(await server.issuer.devRootKey());
    await v.keys.refresh();
    assert.equal(v.keys.version(did), heldVersion! + 1);
    net.serve(KEY_LIST_PATH, older);
    await v.keys.refresh();
    assert.equal(v.keys.version(did), heldVersion! + 1, 'the older version is refused');
    assert.match(v.keys.errors.last!, /older than the held version/);
  });

  it('the wallet refuses a registry signed by a key outside the anchored key list, and an older registry version, keeping what it holds', async () => {
    net.reset();
    const storage = new MemoryStorage();
    const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor], fetch: net.fetch });
    const nn = await enrollPerson(server.issuer);
    const offer = await server.offer(nn);
    await wallet.acceptOffer(offer.uri, { pin: offer.txCode });
    const held = await wallet.platforms();
    const genuine = net.captured.get('/platforms')!;
    // A poisoned DID document plus a registry signed by the attacker key, mapping evil.example to forum.
    const attacker = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const attackerJwk = (await crypto.subtle.exportKey('jwk', attacker.publicKey)) as Jwk;
    const did = (await server.issuer.settings()).did;
    const evilKid = `${did}#attacker`;
    const doc = await new KeyService(server.issuer).didDocument();
    net.serve(
      '/.well-known/did.json',
      JSON.stringify({
        ...doc,
        verificationMethod: [...(doc['verificationMethod'] as object[]), { id: evilKid, type: 'JsonWebKey2020', controller: did, publicKeyJwk: attackerJwk }],
        assertionMethod: [...(doc['assertionMethod'] as string[]), evilKid],
      }),
    );
    const payload = JSON.parse(Buffer.from(genuine.split('.')[1]!, 'base64url').toString()) as { credentialSubject: { version: number; platforms: { origins: string[] }[] } };
    payload.credentialSubject.version += 10;
    payload.credentialSubject.platforms[0]!.origins.push('https://evil.example');
    const evil = await signJwt({ typ: TYP_VC_JWT, cty: 'vc', kid: evilKid }, payload as never, webCryptoSigner(attacker.privateKey, 'ES256'));
    net.serve('/platforms', evil);
    await assert.rejects(wallet.refresh(), (e: { code?: string }) => e.code === 'ERR_KEY_UNKNOWN');
    assert.deepEqual(await wallet.platforms(), held, 'the held registry is kept');
    await assert.rejects(
      wallet.present(buildDcApiRequest('n'.repeat(20), ['ageOver18']), { origin: 'https://evil.example' }),
      (e: { code?: string }) => e.code === 'ERR_PLATFORM_MISMATCH',
    );
    // The genuine registry of an older version (a platform added since): refused.
    net.reset();
    await new PlatformService(server.issuer).add({ id: 'newer', name: 'Newer', origins: ['http://localhost:1'], claims: ['ageOver18'] });
    await new Promise((r) => setTimeout(r, 2100)); // the issuer's platform lookup cache
    await wallet.refresh();
    assert.ok((await wallet.platforms()).some((p) => p.id === 'newer'));
    net.serve('/platforms', genuine);
    await assert.rejects(wallet.refresh(), (e: { code?: string }) => e.code === 'ERR_ROLLBACK');
    assert.ok(
      (await wallet.platforms()).some((p) => p.id === 'newer'),
      'the newer registry is kept',
    );
    void VC_CONTEXT_V2;
  });

  it('the root thumbprint is the anchor: it comes from configuration, and a wallet or verifier without one refuses to start', async () => {
    assert.throws(
      () => new Wallet({ storage: new MemoryStorage(), keys: new WebCryptoKeyStore(new MemoryStorage()), trustedIssuers: [{ url: server.url } as never] }),
      /rootThumbprint/,
    );
    assert.throws(
      () => parseConfig({ platform: 'forum', origins: [origin], trustedIssuers: [{ url: server.url }], allowedClaims: ['ageOver18'], dev: true }),
      /rootThumbprint is required/,
    );
    const root = await rootKeyFromJwk(JSON.parse(JSON.stringify((await server.issuer.devRootKey()).jwk)) as never).catch(() => undefined);
    assert.equal(root, undefined, 'a public JWK is not a root key');
    assert.equal(server.anchor.rootThumbprint, await jwkThumbprint((await server.issuer.devRootKey()).jwk));
  });
  it('replicas that poll at different times converge to the same epoch and the same status', async () => {
    net.reset();
    const people = [];
    for (let i = 0; i < 4; i++) people.push(await issue());
    await publish();
    const replicas = [await verifier(), await verifier(), await verifier()];
    for (const [round, c] of people.entries()) {
      await new StatusService(server.issuer).revoke({ networkNumber: c.networkNumber, platformId: 'forum' });
      await publish();
      // Replica 0 polls every round, replica 1 every other round, replica 2 only at the end.
      await replicas[0]!.status.refresh();
      if (round % 2 === 1) await replicas[1]!.status.refresh();
      for (const r of replicas) assert.equal(r.status.stats().staleLists, 0, 'what a replica holds is exactly what its manifest names');
    }
    for (const r of replicas) await r.status.refresh();
    const stats = replicas.map((r) => r.status.stats());
    assert.deepEqual(new Set(stats.map((x) => x.fingerprint)).size, 1, 'one epoch everywhere');
    assert.deepEqual(
      stats.map((x) => x.staleLists),
      [0, 0, 0],
    );
    for (const r of replicas) for (const c of people) assert.equal(await login(r, c), 'ERR_STATUS_REVOKED');
  });

  it('a verifier started while an epoch is published holds the lists of the manifest it read, never a mix, then moves forward', async () => {
    net.reset();
    const c = await issue();
    await new StatusService(server.issuer).suspend({ networkNumber: c.networkNumber, platformId: 'forum' });
    const before = await publish();
    let published = false;
    // The verifier's first manifest fetch: the body is read, then the issuer publishes the next epoch (the
    // suspension list changes again) before the verifier fetches the list versions that manifest names.
    net.rules.push(async (url) => {
      if (published || !new URL(url).pathname.endsWith('/status/forum/manifest')) return undefined;
      published = true;
      const body = await (await fetch(url)).text();
      await new StatusService(server.issuer).resume({ networkNumber: c.networkNumber, platformId: 'forum' });
      await publish();
      return new Response(body, { status: 200 });
    });
    const from = net.requests.length;
    const v = await verifier();
    assert.ok(published);
    assert.ok(
      net.requests.slice(from).some((p) => new RegExp(`/suspension-\\d+\\.e${before.epoch}$`).test(p)),
      "it fetched the suspension list's version named by the manifest it read (now the previous version)",
    );
    assert.equal(v.status.errors.count, 0, "the older manifest's list versions are still served");
    assert.equal(v.status.stats().staleLists, 0, 'every list held at the epoch its manifest names');
    assert.equal(await login(v, c), 'ERR_STATUS_SUSPENDED', 'the status of the epoch it read (the resume came one epoch later)');
    await v.status.refresh();
    assert.equal(v.status.stats().staleLists, 0);
    assert.equal(await login(v, c), 'ok', 'the next poll moves it to the new epoch');
  });
});

/** The wallet behaviour suite in Node (memory storage, file storage) against a running issuer. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  MemoryStorage,
  SealedJwkKeyStore,
  Wallet,
  WebCryptoKeyStore,
  checkRenewalPolicy,
  fetchTrustedRegistry,
  dueForRenewal,
  nextRefreshDelay,
  renewalTimeFor,
  scheduleRefresh,
  DEFAULT_RENEWAL,
  type HeldCredential,
} from '@maskid/holder';
import { MAX_REGISTRY_LENGTH, MAX_TOKEN_LENGTH, PLATFORM_REGISTRY_PATH, birthdayAt, buildDcApiRequest, type MaskidError } from '@maskid/core';
import { FileStorage } from '@maskid/holder/file-storage';
import { scenarios, type SuiteEnv } from './wallet-suite.js';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, seededRandom, tempDir } from '../helpers.js';
import { PlatformService, StatusService } from '@maskid/issuer';
import { VerifierService, parseConfig } from '@maskid/verifier';

const DAY = 86_400_000;
const PLATFORMS = [
  { id: 'forum', claims: ['ageOver18'], formats: ['vc+sd-jwt', 'dc+sd-jwt'] },
  { id: 'video', claims: ['ageOver18', 'region'], formats: ['dc+sd-jwt', 'vc+sd-jwt'] },
  // The registry's default: the VCDM form only.
  { id: 'shop', claims: ['ageOver18', 'region'] },
];

/** As if the wallet's last issuer contact were `days` ago (routine renewals are gathered for a day after a contact). */
async function contactedDaysAgo(storage: MemoryStorage, days: number): Promise<void> {
  const state = (await storage.get<Record<string, unknown>>('wallet:state'))!;
  await storage.set('wallet:state', { ...state, lastContact: new Date(Date.now() - days * DAY).toISOString() });
}

describe('wallet behaviour suite (Node)', () => {
  let server: RunningIssuer;
  let env: SuiteEnv;
  before(async () => {
    server = await startIssuer({ platforms: PLATFORMS });
    const registry = (await server.issuer.ds.query('SELECT id, origins FROM maskid_platform')) as { id: string; origins: string }[];
    env = {
      issuerUrl: server.url,
      origins: Object.fromEntries(registry.map((p) => [p.id, (JSON.parse(p.origins) as string[])[0]!])),
      newWallet: async () => {
        const storage = new MemoryStorage();
        return new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor] });
      },
      offer: async () => server.offer(await enrollPerson(server.issuer)),
      addPlatform: async (id) => {
        await new PlatformService(server.issuer).add({ id, name: `Platform ${id}`, origins: [`https://${id}.example`], claims: ['ageOver18'] });
      },
      requestLog: async () => [...server.requests],
      resetLog: async () => {
        server.requests.length = 0;
      },
    };
  });
  after(() => server.close());

  for (const [name, scenario] of Object.entries(scenarios)) it(name, () => scenario(env));

  it('learns its grant state from the issuer (suspended, revoked with its date, replaced), stops offering what it knows fails; reset removes everything', async () => {
    // Its own issuer: platforms are added here to make a renewal due (a wake-up with nothing due asks nobody).
    const own = await startIssuer({ platforms: [{ id: 'forum', claims: ['ageOver18'], origin: 'https://forum.example' }] });
    try {
      const newWallet = () => {
        const storage = new MemoryStorage();
        return { storage, wallet: new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [own.anchor] }) };
      };
      const { storage, wallet } = newWallet();
      const nn = await enrollPerson(own.issuer);
      const o = await own.offer(nn);
      await wallet.acceptOffer(o.uri, { pin: o.txCode });
      assert.equal(await wallet.grantState(), undefined);
      const origin = 'https://forum.example';
      const ask = () => wallet.present(buildDcApiRequest(`nonce-${crypto.randomUUID()}`, ['ageOver18']), { origin });
      const due = async (id: string) => {
        await new PlatformService(own.issuer).add({ id, name: id, origins: [`https://${id}.example`], claims: ['ageOver18'] });
      };
      const code = (e: unknown) => (e as { code?: string }).code;
      const status = new StatusService(own.issuer);

      await status.suspend({ networkNumber: nn });
      await due('later-a');
      await wallet.refresh();
      assert.equal((await wallet.grantState())?.state, 'suspended', 'told at the renewal');
      await assert.rejects(ask(), (e) => code(e) === 'ERR_STATUS_SUSPENDED');
      await status.resume({ networkNumber: nn });
      await due('later-b');
      await wallet.refresh();
      assert.equal(await wallet.grantState(), undefined, 'resumed: nothing to say');
      await ask();

      await status.revoke({ networkNumber: nn });
      await due('later-c');
      await assert.rejects(wallet.refresh(), (e) => code(e) === 'ERR_STATUS_REVOKED' && typeof (e as { details?: { since?: string } }).details?.since === 'string');
      const revoked = await wallet.grantState();
      assert.equal(revoked?.state, 'revoked');
      assert.ok(Math.abs(Date.parse(revoked!.since!) - Date.now()) < 60_000);
      await assert.rejects(ask(), (e) => code(e) === 'ERR_STATUS_REVOKED', 'no Share for a revoked Internet ID');

      // A second person whose first wallet is replaced by a new offer accepted elsewhere (lost device).
      const other = await enrollPerson(own.issuer);
      const first = newWallet();
      const o1 = await own.offer(other);
      await first.wallet.acceptOffer(o1.uri, { pin: o1.txCode });
      await status.reissue({ networkNumber: other });
      const o2 = await own.offer(other);
      await newWallet().wallet.acceptOffer(o2.uri, { pin: o2.txCode });
      await due('later-d');
      await assert.rejects(first.wallet.refresh(), (e) => (e as { details?: { reason?: string } }).details?.reason === 'replaced');
      assert.equal((await first.wallet.grantState())?.state, 'replaced');

      // Reset: nothing left (keys included); the wallet onboards again.
      assert.ok((await storage.keys('key:')).length > 0);
      await wallet.reset();
      assert.deepEqual(await storage.keys(), []);
      assert.deepEqual(await wallet.credentials(), []);
      assert.equal(await wallet.grantState(), undefined);
      const again = await own.offer(await enrollPerson(own.issuer));
      assert.ok((await wallet.acceptOffer(again.uri, { pin: again.txCode })).length > 0);
    } finally {
      await own.close();
    }
  });

  it('keeps keys encrypted in a file wallet and reopens it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'wallet.json');
      const open = (passphrase: string) => {
        const storage = new FileStorage(file);
        return new Wallet({ storage, keys: new SealedJwkKeyStore(storage, passphrase, 1000), trustedIssuers: [server.anchor] });
      };
      const w = open('correct horse battery');
      const o = await env.offer();
      await w.acceptOffer(o.uri, { pin: o.txCode });
      const raw = (await import('node:fs')).readFileSync(file, 'utf8');
      assert.ok(!/"d":"/.test(raw), 'no private key member in clear');
      const reopened = open('correct horse battery');
      assert.equal((await reopened.credentials()).length, (await reopened.platforms()).length);
      assert.ok((await reopened.credentials()).length >= PLATFORMS.length);
      const { buildDcApiRequest } = await import('@maskid/core');
      const origin = env.origins['forum']!;
      await reopened.present(buildDcApiRequest('nonce-abcdefghijklmnop', ['ageOver18']), { origin });
      await assert.rejects(
        open('wrong passphrase!!').present(buildDcApiRequest('nonce-abcdefghijklmnop', ['ageOver18']), { origin }),
        (e: { code?: string }) => e.code === 'ERR_KEK_INVALID',
      );
    } finally {
      cleanup();
    }
  });

  it('a wake-up fetches only what is due, in registry order, under one token refresh and one batch request; a page never causes an issuer request', async () => {
    const storage = new MemoryStorage();
    const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor] });
    const o = await env.offer();
    await wallet.acceptOffer(o.uri, { pin: o.txCode });
    const issuerCalls = () => server.requests.filter((r) => /\/(token|nonce|credential|batch-credential)$/.test(r));
    for (const c of await wallet.credentials()) {
      const renewAt = Date.parse(c.renewAt!);
      const until = Date.parse(c.validUntil);
      assert.ok(renewAt <= until - 3 * DAY && renewAt >= until - 6 * DAY, `${c.platform}: renewal window closes 3 days before validUntil`);
    }
    server.requests.length = 0;
    assert.deepEqual(await wallet.refresh(), [], 'right after onboarding nothing is due');
    assert.deepEqual(issuerCalls(), [], 'and no token, nonce or credential request is made');

    const registry = (await wallet.platforms()).map((p) => p.id);
    const [first, second, third] = registry;
    // `second` expired, `third` reached its renewal moment, `first` was never fetched (e.g. a new platform).
    const edit = async (id: string, change: Partial<HeldCredential>) => storage.set(`cred:${id}`, { ...(await storage.get<HeldCredential>(`cred:${id}`))!, ...change });
    await edit(second!, { validUntil: new Date(Date.now() - DAY).toISOString() });
    await edit(third!, { renewAt: new Date(Date.now() - 1000).toISOString() });
    await storage.delete(`cred:${first}`);
    const origin = (await wallet.platforms()).find((p) => p.id === second)!.origins[0]!;
    server.requests.length = 0;
    await assert.rejects(wallet.present(buildDcApiRequest('nonce-abcdefghijklmnop', ['ageOver18']), { origin }), (e: { code?: string }) => e.code === 'ERR_CREDENTIAL_EXPIRED');
    assert.deepEqual(server.requests, [], 'a sign-in with an expired credential makes 0 issuer requests');
    assert.deepEqual(await wallet.due(), [first, second, third]);
    const got = await wallet.refresh();
    assert.deepEqual(
      got.map((c) => c.platform),
      [first, second, third],
      'exactly the due set, in registry order',
    );
    assert.deepEqual(issuerCalls(), ['POST /token', 'POST /nonce', 'POST /batch-credential'], 'one token refresh, one c_nonce, one batch request');
    assert.deepEqual(await wallet.due(), []);
    await wallet.present(buildDcApiRequest('nonce-abcdefghijklmnop', ['ageOver18']), { origin });
  });

  it('holds both forms when asked: every platform in each form its registry entry names, on one schedule; answers a request for either, and a verifier accepts both', async () => {
    const storage = new MemoryStorage();
    const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor], forms: ['dc+sd-jwt', 'vc+sd-jwt'] });
    const o = await env.offer();
    server.requests.length = 0;
    const held = await wallet.acceptOffer(o.uri, { pin: o.txCode });
    const registry = (await wallet.platforms()).map((p) => p.id);
    // In registry order, each platform's VCDM form then its VCLD form (whatever order the forms were given in), and only
    // the forms the platform's registry entry names (shop: the VCDM form only); one batch request.
    assert.deepEqual(
      held.map((c) => `${c.platform}/${c.format ?? 'vc+sd-jwt'}`),
      (await wallet.platforms()).flatMap((p) => (p.formats?.includes('dc+sd-jwt') ? [`${p.id}/vc+sd-jwt`, `${p.id}/dc+sd-jwt`] : [`${p.id}/vc+sd-jwt`])),
    );
    const shop = (await wallet.platforms()).find((p) => p.id === 'shop')!;
    await assert.rejects(
      wallet.preview(buildDcApiRequest('nonce-shop-vcld-000000001', ['ageOver18'], [server.url], 'dc+sd-jwt'), { origin: shop.origins[0]! }),
      (e: MaskidError) => e.code === 'ERR_DCQL_INVALID' && e.details?.['reason'] === 'form',
      'a form the platform is not registered for is refused',
    );
    assert.deepEqual(
      server.requests.filter((r) => /\/(credential|batch-credential)$/.test(r)),
      ['POST /batch-credential'],
    );
    for (const id of ['forum', 'video']) {
      const [vcdm, vcld] = [held.find((c) => c.platform === id && !c.format)!, held.find((c) => c.platform === id && c.format === 'dc+sd-jwt')!];
      assert.equal(vcld.maskedId, vcdm.maskedId, `${id}: one masked ID in both forms`);
      assert.notEqual(vcld.keyId, vcdm.keyId, `${id}: each credential its own key`);
    }
    assert.deepEqual(await wallet.due(), [], 'nothing is due right after onboarding');
    // A wake-up renews what is due by identifier: here the VCLD form of one platform only.
    await storage.set('cred:video.vcld', { ...(await storage.get<HeldCredential>('cred:video.vcld'))!, renewAt: new Date(Date.now() - 1000).toISOString() });
    assert.deepEqual(await wallet.due(), [], 'a routine renewal waits a day after the last issuer contact');
    await contactedDaysAgo(storage, 2);
    assert.deepEqual(await wallet.due(), ['video.vcld']);
    assert.deepEqual(
      (await wallet.refresh()).map((c) => [c.platform, c.format]),
      [['video', 'dc+sd-jwt']],
    );

    // A verifier for the first platform asks for each form in turn; the wallet answers with that form, and it verifies.
    const platform = (await wallet.platforms()).find((p) => p.id === 'forum')!;
    const service = await VerifierService.create(
      parseConfig({ platform: platform.id, origins: platform.origins, trustedIssuers: [server.anchor], allowedClaims: platform.claims, dev: true }),
    );
    await service.start();
    try {
      await new StatusService(server.issuer).publish({});
      await service.status.refresh();
      for (const format of ['vc+sd-jwt', 'dc+sd-jwt'] as const) {
        const { requestId, request } = await service.engine.createRequest(['ageOver18'], format);
        const response = await wallet.present(request, { origin: platform.origins[0]! });
        const vp = response.data.vp_token.internet_id[0];
        assert.equal(JSON.parse(Buffer.from(vp.split('.')[0]!, 'base64url').toString()).typ, format);
        const r = await service.engine.verify(vp, { requestId, origin: platform.origins[0]! });
        assert.ok(r.verified, `${format}: ${JSON.stringify(r)}`);
      }
      // A wallet that holds the VCDM form only says so for a VCLD request, and nothing is shared.
      const other = new MemoryStorage();
      const vcdmOnly = new Wallet({ storage: other, keys: new WebCryptoKeyStore(other), trustedIssuers: [server.anchor] });
      const o2 = await env.offer();
      await vcdmOnly.acceptOffer(o2.uri, { pin: o2.txCode });
      const { request } = await service.engine.createRequest(['ageOver18'], 'dc+sd-jwt');
      await assert.rejects(
        vcdmOnly.present(request, { origin: platform.origins[0]! }),
        (e: { code?: string; details?: { reason?: string } }) => e.code === 'ERR_DCQL_INVALID' && e.details?.reason === 'form',
      );
      assert.equal((await vcdmOnly.credentials()).filter((c) => c.format).length, 0);
    } finally {
      await service.stop();
    }
    // Built again for the VCDM form only, the wallet drops its VCLD credentials (and their keys) at the next wake-up.
    const vcldKeys = (await wallet.credentials()).filter((c) => c.format === 'dc+sd-jwt').map((c) => c.keyId);
    assert.ok(vcldKeys.length > 0 && (await storage.get(`key:${vcldKeys[0]}`)) !== undefined);
    const narrowed = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor] });
    await narrowed.refresh();
    for (const k of vcldKeys) assert.equal(await storage.get(`key:${k}`), undefined, 'the dropped credentials’ keys are gone');
    assert.deepEqual(
      (await narrowed.credentials()).map((c) => c.format ?? 'vc+sd-jwt').sort(),
      registry.map(() => 'vc+sd-jwt'),
    );
    assert.throws(() => new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor], forms: [] }), /forms must list/);
  });

  it('a wake-up whose token answer is lost retries with the same refresh token at the next wake-up and succeeds', async () => {
    let drop = false;
    const lossy: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (drop && new URL(String(input)).pathname === '/token') {
        drop = false;
        throw new TypeError('fetch failed: the connection was cut after the issuer answered');
      }
      return res;
    };
    const storage = new MemoryStorage();
    const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor], fetch: lossy });
    const o = await env.offer();
    await wallet.acceptOffer(o.uri, { pin: o.txCode });
    const platform = (await wallet.platforms())[0]!.id;
    const expire = async () => {
      const held = (await storage.get<HeldCredential>(`cred:${platform}`))!;
      await storage.set(`cred:${platform}`, { ...held, renewAt: new Date(Date.now() - 1000).toISOString() });
      await contactedDaysAgo(storage, 2);
    };
    await expire();
    drop = true;
    await assert.rejects(wallet.refresh(), 'the answer never reached the wallet (the issuer spent the refresh token)');
    const renewed = await wallet.refresh();
    assert.deepEqual(
      renewed.map((c) => c.platform),
      [platform],
      'the spent token still works within its grace window',
    );
    await expire();
    assert.equal((await wallet.refresh()).length, 1, 'and the new lineage keeps working');
  });

  it('two wallets with the same random source and different visit histories make the same issuer requests', async () => {
    const make = async () => {
      const storage = new MemoryStorage();
      const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor], random: seededRandom(42) });
      const o = await env.offer();
      await wallet.acceptOffer(o.uri, { pin: o.txCode });
      return { wallet, storage };
    };
    const a = await make();
    const b = await make();
    // The issuer drew each credential's validUntil independently; give b the dates a holds, so the two differ only in history.
    for (const c of await a.wallet.credentials()) {
      const held = (await b.storage.get<HeldCredential>(`cred:${c.platform}`))!;
      await b.storage.set(`cred:${c.platform}`, { ...held, validUntil: c.validUntil, renewAt: c.renewAt });
    }
    // a signs in at two sites, many times; b never signs in anywhere.
    const sites = (await a.wallet.platforms()).slice(0, 2);
    for (let i = 0; i < 5; i++) {
      for (const p of sites) await a.wallet.present(buildDcApiRequest(`nonce-history-${i}-${p.id}-padding`, ['ageOver18']), { origin: p.origins[0]! });
    }
    const wakeUp = async (w: { wallet: Wallet; storage: MemoryStorage }, due: string[]) => {
      for (const id of due) {
        const held = (await w.storage.get<HeldCredential>(`cred:${id}`))!;
        await w.storage.set(`cred:${id}`, { ...held, renewAt: new Date(Date.now() - 1000).toISOString() });
      }
      await contactedDaysAgo(w.storage, 2);
      server.requests.length = 0;
      const renewed = (await w.wallet.refresh()).map((c) => c.platform);
      return { renewed, requests: [...server.requests], next: (await w.wallet.credentials()).map((c) => [c.platform, c.renewAt]) };
    };
    const registry = (await a.wallet.platforms()).map((p) => p.id);
    // The same wake-ups for both: one with a site a visited and one it never did, then one with nothing due.
    for (const due of [[registry[0]!, registry[2]!], [registry[1]!], []]) {
      const ra = await wakeUp(a, due);
      const rb = await wakeUp(b, due);
      assert.deepEqual(ra.renewed, due);
      assert.deepEqual(rb.requests, ra.requests, 'the same issuer requests, whatever the history');
      assert.deepEqual(rb.renewed, ra.renewed);
      assert.deepEqual(
        rb.next.map(([id]) => id),
        ra.next.map(([id]) => id),
      );
    }
    // The issuer drew new validUntil dates for the renewed ones; the wallets' own draws (how long before validUntil) are the same.
    const lead = async (w: Wallet) => (await w.credentials()).map((c) => Date.parse(c.validUntil) - Date.parse(c.renewAt!));
    assert.deepEqual(await lead(b.wallet), await lead(a.wallet), 'with the same random source, the same renewal moments relative to validUntil');
  });

  it('renewal policy: one moment per credential inside its window, an age boundary renewed within the delay after the birthday, never all at once', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
    };
    const validUntil = Date.UTC(2027, 0, 31);
    const adult = { birthDate: '1990-01-01', ageOver14: true, ageOver16: true, ageOver18: true };
    const moments = Array.from({ length: 400 }, () => renewalTimeFor({ validUntil, claims: adult }, random));
    assert.ok(moments.every((t) => t >= validUntil - 6 * DAY && t <= validUntil - 3 * DAY));
    assert.equal(new Set(moments).size, 400, "a batch's credentials renew at different moments");
    const birthDate = '2009-01-10';
    const eighteen = birthdayAt(birthDate, 18);
    const teen = { birthDate, ageOver14: true, ageOver16: true, ageOver18: false };
    const teenMoments = Array.from({ length: 400 }, () => renewalTimeFor({ validUntil, claims: teen }, random));
    assert.ok(teenMoments.every((t) => t >= eighteen && t <= eighteen + DEFAULT_RENEWAL.ageDelayDays * DAY));
    assert.ok(Math.max(...teenMoments) - Math.min(...teenMoments) > 5 * DAY, 'spread over the delay, not on the birthday');
    // Draws per credential are constant, so the random stream never depends on which claims a credential has.
    let draws = 0;
    renewalTimeFor({ validUntil, claims: {} }, () => {
      draws++;
      return 0.5;
    });
    renewalTimeFor({ validUntil, claims: teen }, () => {
      draws++;
      return 0.5;
    });
    assert.equal(draws, 4);
    const held = new Map([
      ['a', { validUntil: new Date(validUntil).toISOString(), renewAt: new Date(validUntil - 4 * DAY).toISOString() }],
      ['b', { validUntil: new Date(validUntil).toISOString() }],
    ]);
    assert.deepEqual(dueForRenewal(['c', 'b', 'a'], held, validUntil - 5 * DAY), ['c']);
    assert.deepEqual(dueForRenewal(['c', 'b', 'a'], held, validUntil - 3.5 * DAY), ['c', 'a']);
    assert.deepEqual(dueForRenewal(['c', 'b', 'a'], held, validUntil - 2 * DAY), ['c', 'b', 'a'], 'an older credential without renewAt renews as its window closes');
    // Routine renewals are gathered: none while the last contact is less than a day old, unless something else is due.
    const routine = new Map([['a', { validUntil: new Date(validUntil).toISOString(), renewAt: new Date(validUntil - 4 * DAY).toISOString() }]]);
    const at = validUntil - 3.5 * DAY;
    assert.deepEqual(
      dueForRenewal(
        ['a', 'b'],
        new Map([...routine, ['b', { validUntil: new Date(validUntil).toISOString(), renewAt: new Date(validUntil - DAY).toISOString() }]]),
        at,
        DEFAULT_RENEWAL,
        new Set(),
        at - 0.5 * DAY,
      ),
      [],
    );
    assert.deepEqual(dueForRenewal(['a'], routine, at, DEFAULT_RENEWAL, new Set(), at - 1.01 * DAY), ['a'], 'a day after the last contact');
    assert.deepEqual(
      dueForRenewal(['c', 'a'], routine, at, DEFAULT_RENEWAL, new Set(), at - 0.5 * DAY),
      ['c', 'a'],
      'a missing credential does not wait, and takes the routine one along',
    );
    assert.deepEqual(dueForRenewal(['a'], routine, at, DEFAULT_RENEWAL, new Set(['a']), at - 0.5 * DAY), ['a'], 'nor does a distrusted one');
    assert.deepEqual(dueForRenewal(['a'], routine, at, { ...DEFAULT_RENEWAL, gatherDays: 0 }, new Set(), at - 0.5 * DAY), ['a'], 'gatherDays 0: at the next wake-up');
    assert.throws(() => checkRenewalPolicy({ gatherDays: 2.5 }), RangeError, 'gathering must leave a day before validUntil');
    assert.throws(() => checkRenewalPolicy({ closeDays: 3, windowDays: 5, ageDelayDays: 4 }), RangeError);
    assert.throws(() => checkRenewalPolicy({ closeDays: 0, windowDays: 5, ageDelayDays: 5 }), RangeError);
  });

  it('schedules refreshes with jitter, independent of presentations', async () => {
    const timers: number[] = [];
    let calls = 0;
    const stop = scheduleRefresh(
      {
        refresh: async () => {
          calls++;
          return [];
        },
      },
      {
        everyMs: 1000,
        jitterMs: 500,
        random: () => 0.5,
        setTimer: (fn, ms) => {
          timers.push(ms);
          if (timers.length < 3) queueMicrotask(fn);
          return timers.length;
        },
        clearTimer: () => {},
      },
    );
    await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.deepEqual(timers, [1250, 1250, 1250]);
    assert.equal(calls, 2);
  });

  it('computes the next refresh: period plus jitter after success, a tenth of the period after failure', () => {
    assert.equal(nextRefreshDelay(true, { everyMs: 1000, jitterMs: 500, random: () => 0 }), 1000);
    assert.equal(nextRefreshDelay(true, { everyMs: 1000, jitterMs: 500, random: () => 0.999 }), 1499.5);
    assert.equal(nextRefreshDelay(false, { everyMs: 1000, jitterMs: 500, random: () => 0.999 }), 100);
    const defaults = Array.from({ length: 200 }, () => nextRefreshDelay(true));
    assert.ok(
      defaults.every((d) => d >= 12 * 3600_000 && d < 18 * 3600_000),
      'default: 12 h + [0, 6 h)',
    );
    assert.ok(new Set(defaults).size > 190, 'jittered');
  });
});

describe('a registry of hundreds of platforms', () => {
  it('is read by the wallet (its signed registry is longer than the 64 KiB other JWTs are held to), and one past the registry limit is refused', async () => {
    const server = await startIssuer({ platforms: Array.from({ length: 400 }, (_, i) => ({ id: `platform-${String(i).padStart(3, '0')}`, claims: ['ageOver18'] })) });
    try {
      const jwt = await (await fetch(`${server.url}${PLATFORM_REGISTRY_PATH}`)).text();
      assert.ok(jwt.length > MAX_TOKEN_LENGTH, `the registry of 400 platforms is ${jwt.length} characters`);
      const { registry } = await fetchTrustedRegistry(fetch, server.anchor, {}, Date.now);
      assert.equal(registry.platforms.length, 400);
      // The same registry padded past the limit (a hostile or broken server): refused before any parsing.
      const padded: typeof fetch = async (input, init) =>
        String(input).endsWith(PLATFORM_REGISTRY_PATH) ? new Response(jwt + 'A'.repeat(MAX_REGISTRY_LENGTH)) : fetch(input, init);
      await assert.rejects(fetchTrustedRegistry(padded, server.anchor, {}, Date.now), (e: { code?: string }) => e.code === 'ERR_TOKEN_TOO_LARGE');
    } finally {
      await server.close();
    }
  });
});

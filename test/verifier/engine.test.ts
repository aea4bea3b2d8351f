/** The hot-path engine against @maskid/core's reference verifier on the same cases, and its offline behaviour. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { CHANGE_WINDOW_EPOCHS, base64urlText, signJwt, sha256, base64url, utf8, type ClaimName } from '@maskid/core';
import { StatusService } from '@maskid/issuer';
import { codeOf, referenceVerify, verifierFixture, type VerifierFixture } from './fixture.js';
import { newHolder } from '../helpers.js';

describe('verifier engine', () => {
  let f: VerifierFixture;
  before(async () => {
    f = await verifierFixture();
  });
  after(() => f.close());

  it('agrees with the core reference verifier on valid and forged presentations', async () => {
    const svc = await f.service();
    const c = await f.issue();
    const nonce = 'nonce-engine-vs-core-0001';
    const valid = await f.present(c, nonce);
    const cut = (p: string) => p.slice(0, p.lastIndexOf('~') + 1);
    const otherKb = await newHolder();
    const cases: Record<string, string> = {
      valid,
      'no kb': cut(valid),
      'kb by another key': await f.present({ sdJwt: c.sdJwt, holder: otherKb }, nonce),
      'wrong aud': await f.present(c, nonce, ['ageOver18'], { aud: 'origin:https://evil.example' }),
      'stale iat': await f.present(c, nonce, ['ageOver18'], { iat: Math.floor(Date.now() / 1000) - 7200 }),
      'wrong nonce': await f.present(c, 'another-nonce-0000000'),
      'extra claim': await f.present(c, nonce, ['ageOver18', 'region']),
      'tampered payload': valid.replace(/^([^.]+)\.([^.]+)/, (_m, h, p) => `${h}.${base64urlText(Buffer.from(p, 'base64url').toString().replace('"forum"', '"video"'))}`),
      garbage: 'a.b.c~d~',
      'unreferenced disclosure': await (async () => {
        const sd = cut(valid) + base64urlText(JSON.stringify(['c2FsdHNhbHRzYWx0c2FsdA', 'ageOver18', false])) + '~';
        const kb = await signJwt(
          { typ: 'kb+jwt' },
          { iat: Math.floor(Date.now() / 1000), aud: `origin:${f.origin}`, nonce, sd_hash: base64url(await sha256(utf8(sd))) },
          c.holder.signer,
        );
        return sd + kb;
      })(),
    };
    for (const [name, p] of Object.entries(cases)) {
      const engine = svc.engine.verifyWith(p, nonce, ['ageOver18'] as ClaimName[]);
      const core = await referenceVerify(f, svc, p, nonce);
      assert.equal(codeOf(engine), codeOf(core), `${name}: engine ${codeOf(engine)} vs core ${codeOf(core)}`);
      assert.equal(codeOf(engine) === 'ok', name === 'valid', name);
    }
  });

  it('lists the checks that passed: all of them on success, up to the failing one otherwise', async () => {
    const svc = await f.service();
    const c = await f.issue();
    const { requestId, request } = await svc.engine.createRequest(['ageOver18']);
    const ok = await svc.verify(await f.present(c, request.data.nonce), { requestId, origin: f.origin });
    assert.deepEqual(
      ok.checks.map((x) => x.check),
      [
        'request',
        'structure',
        'typ',
        'alg',
        'issuer',
        'signature',
        'disclosures',
        'profile',
        'validity',
        'platform',
        'kb.signature',
        'kb.nonce',
        'kb.aud',
        'kb.iat',
        'kb.sd_hash',
        'claims',
        'status',
      ],
    );
    const second = await svc.engine.createRequest(['ageOver18']);
    const bad = await svc.verify(await f.present(c, 'not-the-nonce-000000'), { requestId: second.requestId, origin: f.origin });
    assert.equal(!bad.verified && bad.error.code, 'ERR_KB_NONCE_INVALID');
    assert.equal(bad.checks.at(-1)?.check, 'kb.signature');
    const unknown = await svc.verify('x~', { requestId: 'never-issued' });
    assert.deepEqual(unknown.checks, []);
  });

  it('verifies N logins with 0 requests to the issuer, and consumes each request once', async () => {
    const contacts: string[] = [];
    const svc = await f.service({}, { onIssuerRequest: (u) => contacts.push(u) });
    const atStart = contacts.length;
    assert.ok(atStart > 0, 'prefetch at start');
    const c = await f.issue();
    for (let i = 0; i < 25; i++) {
      const { requestId, request } = await svc.engine.createRequest(['ageOver18']);
      const r = await svc.verify(await f.present(c, request.data.nonce), { requestId, origin: f.origin });
      assert.equal(r.verified, true, JSON.stringify(!r.verified && r.error));
      if (i === 0) {
        const replay = await svc.verify(await f.present(c, request.data.nonce), { requestId, origin: f.origin });
        assert.equal(!replay.verified && replay.error.code, 'ERR_NONCE_REPLAYED');
      }
    }
    assert.equal(contacts.length, atStart, 'no issuer request during logins');
  });

  it('refuses an untrusted issuer, and every key of an issuer configured with another root thumbprint', async () => {
    const c = await f.issue();
    const other = await f.service({ trustedIssuers: [{ url: 'http://localhost:9', rootThumbprint: 'A'.repeat(43) }] });
    const r1 = other.engine.verifyWith(await f.present(c, 'nonce-untrusted-000001'), 'nonce-untrusted-000001', ['ageOver18']);
    assert.equal(!r1.verified && r1.error.code, 'ERR_ISSUER_UNTRUSTED');
    const wrongRoot = await f.service({ trustedIssuers: [{ url: f.server.url, rootThumbprint: 'A'.repeat(43) }] });
    assert.equal(wrongRoot.keys.size, 0, 'a key list under another root is refused');
    assert.match(String(wrongRoot.keys.errors.last), /another root key/);
    const r2 = wrongRoot.engine.verifyWith(await f.present(c, 'nonce-pinned-00000001'), 'nonce-pinned-00000001', ['ageOver18']);
    assert.equal(!r2.verified && r2.error.code, 'ERR_KEY_UNKNOWN');
    const right = await f.service();
    assert.equal(right.engine.verifyWith(await f.present(c, 'nonce-pinned-00000002'), 'nonce-pinned-00000002', ['ageOver18']).verified, true);
  });

  it('sees a revocation after the next manifest poll, not before', async () => {
    const svc = await f.service();
    const c = await f.issue();
    const check = async () => svc.engine.verifyWith(await f.present(c, 'nonce-revocation-00001'), 'nonce-revocation-00001', ['ageOver18']);
    assert.equal((await check()).verified, true);
    await new StatusService(f.server.issuer).revoke({ networkNumber: c.networkNumber, platformId: 'forum' });
    await f.publish();
    assert.equal((await check()).verified, true, 'held status until the next poll (no per-login contact)');
    await svc.status.refresh();
    const r = await check();
    assert.equal(!r.verified && r.error.code, 'ERR_STATUS_REVOKED');
  });

  it("keeps verifying while the issuer is down until the staleness bound (from the manifest's signed iat), then fails closed", async () => {
    let now = Date.now();
    await f.publish();
    const svc = await f.service({}, { now: () => now });
    const c = await f.issue();
    const { setDown } = downSwitch(svc);
    setDown(true);
    const lifetimeMs = JSON.parse(Buffer.from((await (await fetch(`${f.server.url}/status/forum/manifest`)).text()).split('.')[1]!, 'base64url').toString()).epochSeconds * 3000;
    const iat = () => Math.floor(now / 1000);
    now += lifetimeMs - 120_000; // refreshes fail; the held manifest is still within its lifetime
    await svc.status.refresh();
    const r1 = svc.engine.verifyWith(await f.present(c, 'nonce-stale-0000000001', ['ageOver18'], { iat: iat() }), 'nonce-stale-0000000001', ['ageOver18']);
    assert.equal(r1.verified, true, JSON.stringify(!r1.verified && r1.error));
    now += 180_000; // past the manifest's lifetime (the default bound)
    const r2 = svc.engine.verifyWith(await f.present(c, 'nonce-stale-0000000002', ['ageOver18'], { iat: iat() }), 'nonce-stale-0000000002', ['ageOver18']);
    assert.equal(!r2.verified && r2.error.code, 'ERR_STATUS_UNAVAILABLE');
    assert.equal(svc.health().status, 'degraded');
  });

  it('keeps the previous good list when a corrupt or wrongly signed version arrives, and counts the error', async () => {
    const svc = await f.service();
    const c = await f.issue();
    const status = new StatusService(f.server.issuer);
    // Touch c's suspension list (suspended in one epoch, resumed in the next: the bits end as they were),
    // then more epochs than a manifest's changes reach back: the verifier must fetch the new version.
    const touch = async () => {
      await status.suspend({ networkNumber: c.networkNumber, platformId: 'forum' });
      await f.publish();
      await status.resume({ networkNumber: c.networkNumber, platformId: 'forum' });
      for (let i = 0; i <= CHANGE_WINDOW_EPOCHS; i++) await f.publish();
    };
    await touch();
    await svc.status.refresh();
    assert.equal(svc.status.stats().staleLists, 0);
    await touch();
    const listUrl = JSON.parse(Buffer.from(c.sdJwt.split('.')[1]!, 'base64url').toString()).credentialStatus[1].statusListCredential as string;
    const good = await (await fetch(listUrl)).text();
    const bad = [
      good.slice(0, good.length - 10),
      good.replace(/\.([^.]+)\./, (_m, p) => `.${base64urlText(Buffer.from(p, 'base64url').toString().replace('"suspension"', '"revocation"'))}.`),
      await signJwt(
        { typ: 'vc+jwt', kid: JSON.parse(Buffer.from(good.split('.')[0]!, 'base64url').toString()).kid },
        JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString()),
        (await newHolder()).signer,
      ),
    ];
    const fetcher = (svc as unknown as { status: { fetcher: { fetchImpl: typeof fetch } } }).status.fetcher;
    const original = fetcher.fetchImpl;
    const errorsBefore = svc.status.errors.count;
    try {
      for (const body of bad) {
        fetcher.fetchImpl = (async (input: string | URL | Request, init?: RequestInit) =>
          /\.e\d+$/.test(String(input)) ? new Response(body, { status: 200 }) : original(input, init)) as typeof fetch;
        await svc.status.refresh();
        const r = svc.engine.verifyWith(await f.present(c, 'nonce-corrupt-00000001'), 'nonce-corrupt-00000001', ['ageOver18']);
        assert.equal(r.verified, true, 'the previous good list is still used');
        assert.equal(svc.status.stats().staleLists, 1);
      }
    } finally {
      fetcher.fetchImpl = original;
    }
    assert.equal(svc.status.errors.count, errorsBefore + bad.length);
    await svc.status.refresh();
    assert.equal(svc.status.stats().staleLists, 0, 'the good version is taken once it arrives');
  });
});

/** Makes the service's fetcher fail as if the issuer were down. */
function downSwitch(svc: { status: unknown }) {
  const fetcher = (svc.status as { fetcher: { fetchImpl: typeof fetch } }).fetcher;
  const original = fetcher.fetchImpl;
  return {
    setDown(down: boolean) {
      fetcher.fetchImpl = down
        ? ((async () => {
            throw new TypeError('fetch failed: ECONNREFUSED');
          }) as typeof fetch)
        : original;
    },
  };
}

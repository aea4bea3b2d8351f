/**
 * Key rotation end to end with the real binaries: `maskid-issuer serve` (epochs every 5 s) behind a
 * counting proxy, two `maskid-verifier serve` processes (one per platform) configured with the root
 * thumbprint, and two wallets that refresh at different times. Announce a key (`key rotate --lead`),
 * let it activate, retire the old one (`key retire`): every legitimate sign-in is accepted, a
 * credential under a key that was never listed is refused, every credential under the retired key is
 * refused once the verifiers read the new key list, and no sign-in causes a request to the issuer.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Jwk } from '@maskid/core';
import { MemoryStorage, WebCryptoKeyStore, Wallet } from '@maskid/holder';
import { TEST_DB_KIND, makeNationalId, forgeFrom, newHolder, tempDir } from '../helpers.js';
import { freePort } from '../issuer-server.js';
import { ISSUER_BIN, VERIFIER_BIN, issuerCli, startDaemon } from '../real-processes.js';

const KEY_REFRESH_MS = 1000;
const LEAD_SECONDS = 6;

interface Seen {
  at: number;
  path: string;
  client: string;
}

describe('key rotation with real processes: announce, activate, retire', { skip: TEST_DB_KIND === 'postgres' && 'runs the binaries on their default SQLite database' }, () => {
  let dir: string;
  let cleanup: () => void;
  const children: ChildProcess[] = [];
  let proxy: Server;
  let url: string;
  const seen: Seen[] = [];
  const origins = { p1: '', p2: '' };
  const verifierUrl: Record<string, string> = {};

  const cli = (args: string[]) => issuerCli(join(dir, 'data'), args);
  const daemon = (bin: string, args: string[], ready: RegExp) => startDaemon(children, bin, args, ready);
  /** The wallet's requests carry a marker header, so the proxy tells them from the verifiers'. */
  const walletFetch: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('x-test-client', 'wallet');
    return fetch(input, { ...init, headers });
  };
  /** A wallet; `renewsEveryWakeUp` draws every renewal moment long before validUntil, so each wake-up renews everything. */
  const wallet = (renewsEveryWakeUp = false) => {
    const storage = new MemoryStorage();
    return new Wallet({
      storage,
      keys: new WebCryptoKeyStore(storage),
      trustedIssuers: [{ url, rootThumbprint }],
      fetch: walletFetch,
      ...(renewsEveryWakeUp ? { random: () => 0, renewal: { closeDays: 3, windowDays: 365, ageDelayDays: 365, gatherDays: 0 } } : {}),
    });
  };
  let rootThumbprint = '';
  const signIn = async (w: Wallet, platform: 'p1' | 'p2') => {
    const req = (await (
      await fetch(`${verifierUrl[platform]}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: ['ageOver18'] }) })
    ).json()) as { requestId: string; request: unknown };
    const response = await w.present(req.request, { origin: origins[platform] });
    return postPresentation(platform, req.requestId, (response as { data: { vp_token: unknown } }).data.vp_token);
  };
  const postPresentation = async (platform: 'p1' | 'p2', requestId: string, vpToken: unknown) => {
    const r = await fetch(`${verifierUrl[platform]}/v1/presentations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ requestId, origin: origins[platform], vp_token: vpToken }),
    });
    const body = (await r.json()) as { code?: string };
    return r.status === 200 ? 'ok' : body.code;
  };
  const issuerKeys = async (platform: 'p1' | 'p2') => ((await (await fetch(`${verifierUrl[platform]}/healthz`)).json()) as { issuerKeys: number }).issuerKeys;
  const waitForKeys = async (n: number) => {
    for (let i = 0; i < 100; i++) {
      if ((await issuerKeys('p1')) === n && (await issuerKeys('p2')) === n) return;
      await sleep(KEY_REFRESH_MS / 2);
    }
    assert.fail(`the verifiers did not reach ${n} issuer keys`);
  };
  const kidOf = (sdJwt: string) => (JSON.parse(Buffer.from(sdJwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

  before(async () => {
    ({ dir, cleanup } = tempDir('maskid-rotation-'));
    const issuerPort = await freePort();
    const proxyPort = await freePort();
    url = `http://127.0.0.1:${proxyPort}`;
    proxy = createServer((req, res) => {
      seen.push({ at: Date.now(), path: req.url ?? '', client: String(req.headers['x-test-client'] ?? 'verifier') });
      const upstream = httpRequest({ host: '127.0.0.1', port: issuerPort, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      upstream.on('error', () => {
        res.writeHead(502).end();
      });
      req.pipe(upstream);
    });
    // Longer than the clients' idle connections (Node's 5 s default races a reused connection).
    proxy.keepAliveTimeout = 65_000;
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', () => r()));
    rootThumbprint = cli(['root-key', 'create', '--out', join(dir, 'root.jwk')])['rootThumbprint'] as string;
    cli(['init', '--url', url, '--root-key', join(dir, 'root.jwk')]);
    for (const p of ['p1', 'p2'] as const) {
      origins[p] = `http://localhost:${await freePort()}`;
      cli(['platform', 'add', '--id', p, '--name', p, '--origin', origins[p], '--claims', 'ageOver18']);
    }
    await daemon(ISSUER_BIN, ['--dev', '--data-dir', join(dir, 'data'), 'serve', '--port', String(issuerPort), '--epoch', '5'], /serving/);
    for (const p of ['p1', 'p2'] as const) {
      const port = await freePort();
      const config = join(dir, `${p}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          platform: p,
          origins: [origins[p]],
          trustedIssuers: [{ url, rootThumbprint }],
          allowedClaims: ['ageOver18'],
          dev: true,
          port,
          keyRefreshMs: KEY_REFRESH_MS,
          manifestPollMs: 1000,
        }),
      );
      await daemon(VERIFIER_BIN, ['serve', '--config', config], /listening/);
      verifierUrl[p] = `http://127.0.0.1:${port}`;
    }
  });
  after(async () => {
    for (const c of children) c.kill('SIGTERM');
    await new Promise<void>((r) => proxy.close(() => r()));
    cleanup();
  });

  it('keeps every legitimate sign-in working, refuses unlisted and retired keys, and no sign-in reaches the issuer', { timeout: 180_000 }, async () => {
    const person = (i: number) =>
      cli([
        'enroll',
        '--national-id',
        makeNationalId('1990-01-0' + (i + 1), '11', i),
        '--name',
        `Li Wei${i}`,
        '--birth-date',
        `1990-01-0${i + 1}`,
        '--gender',
        'F',
        '--region',
        '11',
      ])['networkNumber'] as string;
    const offer = (nn: string) => cli(['offer', '--network-number', nn]) as { uri: string; txCode: string };
    const [a, b] = [wallet(), wallet(true)];
    for (const [w, i] of [
      [a, 0],
      [b, 1],
    ] as const) {
      const o = offer(person(i));
      await w.acceptOffer(o.uri, { pin: o.txCode });
    }
    const oldKid = kidOf((await a.credentials())[0]!.sdJwt);
    await waitForKeys(1);

    /** Sign-ins at both platforms; the proxy's log for the same time span is what they caused. */
    const signInsEverywhere = async (w: Wallet) => {
      const from = Date.now();
      const results = [await signIn(w, 'p1'), await signIn(w, 'p2')];
      const during = seen.filter((s) => s.at >= from);
      assert.deepEqual(
        during.filter((s) => s.client === 'wallet'),
        [],
        'a sign-in makes the wallet contact nobody',
      );
      assert.deepEqual(
        during.filter((s) => !/^\/(keys|status\/p[12]\/manifest)$|\.e\d+$/.test(s.path)),
        [],
        'the verifiers fetch only their scheduled documents',
      );
      assert.ok(during.filter((s) => s.path === '/keys').length <= 2 * (1 + Math.ceil((Date.now() - from) / KEY_REFRESH_MS)), 'no key-list fetch beyond the schedule');
      return results;
    };
    assert.deepEqual(await signInsEverywhere(a), ['ok', 'ok']);
    assert.deepEqual(await signInsEverywhere(b), ['ok', 'ok']);

    // Announce: the new key is in the key list LEAD_SECONDS before it signs.
    const rotated = cli(['key', 'rotate', '--root-key', join(dir, 'root.jwk'), '--lead', String(LEAD_SECONDS / 3600)]) as { kid: string; signFrom: string };
    await waitForKeys(2);
    assert.ok(Date.now() < Date.parse(rotated.signFrom), 'the verifiers knew the key before it signed anything');
    await sleep(Math.max(0, Date.parse(rotated.signFrom) - Date.now()) + 6000); // activation, and the issuer's settings cache
    await b.refresh(); // b renews after activation, a does not
    assert.equal(kidOf((await b.credentials())[0]!.sdJwt), rotated.kid);
    assert.equal(kidOf((await a.credentials())[0]!.sdJwt), oldKid);
    assert.deepEqual(await signInsEverywhere(a), ['ok', 'ok'], 'old-key credentials still verify');
    assert.deepEqual(await signInsEverywhere(b), ['ok', 'ok'], 'new-key credentials verify');

    // A credential under a key that was never listed: refused at every platform.
    const attacker = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const held = (await b.credentials()).find((c) => c.platform === 'p1')!;
    const holder = await newHolder();
    const forged = await forgeFrom(held.sdJwt, { kid: (issuer) => `${issuer}#never-listed`, holder, maskedId: 'm1' + 'b'.repeat(26), platform: 'p1', key: attacker.privateKey });
    const req = (await (
      await fetch(`${verifierUrl['p1']}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: ['ageOver18'] }) })
    ).json()) as { requestId: string; request: { data: { nonce: string } } };
    const { presentInternetIdCredential } = await import('@maskid/core');
    const vp = await presentInternetIdCredential(forged, { claims: ['ageOver18'], kbSigner: holder.signer, nonce: req.request.data.nonce, aud: `origin:${origins.p1}` });
    assert.equal(await postPresentation('p1', req.requestId, { internet_id: [vp] }), 'ERR_KEY_UNKNOWN');
    void (null as unknown as Jwk);

    // Retire (distrust) the old key: once the verifiers read the new list, a's credentials are refused everywhere.
    cli(['key', 'retire', '--kid', oldKid, '--root-key', join(dir, 'root.jwk')]);
    await waitForKeys(1);
    assert.deepEqual(await signInsEverywhere(a), ['ERR_KEY_UNKNOWN', 'ERR_KEY_UNKNOWN'], 'every credential under the retired key is refused');
    assert.deepEqual(await signInsEverywhere(b), ['ok', 'ok']);
    assert.deepEqual((await a.due()).length, 0, 'nothing of a is due by its renewal policy before it reads the new key list');
    await a.refresh();
    assert.equal(kidOf((await a.credentials())[0]!.sdJwt), rotated.kid, 'its next wake-up renews every credential under the distrusted key');
    assert.deepEqual(await signInsEverywhere(a), ['ok', 'ok'], 'after its scheduled renewal the wallet signs in again');
    assert.equal(seen.filter((s) => s.path === '/.well-known/did.json').length, 0, 'nobody needed the DID document');
  });
});

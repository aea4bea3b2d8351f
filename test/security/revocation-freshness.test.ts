/**
 * Revocation freshness through a caching proxy, with the real binaries: `maskid-issuer serve` (epoch
 * E) behind a shared HTTP cache that honours the issuer's headers exactly as `http-cache-semantics`
 * (the cache logic of npm's own fetch) reads them, and a `maskid-verifier serve` polling the manifest
 * every Q through that cache. Suspend, resume and revoke each reach the verifier within
 * E + Q + one fetch (the manifest, which carries the changes), measured in the same run; the cache keeps
 * the immutable list versions and never answers the manifest without asking the issuer.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import CachePolicy from 'http-cache-semantics';
import { MemoryStorage, WebCryptoKeyStore, Wallet } from '@maskid/holder';
import { decodeListEpochs } from '@maskid/core';
import { TEST_DB_KIND, makeNationalId, tempDir } from '../helpers.js';
import { ISSUER_BIN, VERIFIER_BIN, issuerCli, startDaemon } from '../real-processes.js';
import { freePort } from '../issuer-server.js';

/** The issuer's epoch (s) and the verifier's manifest poll interval (ms). */
const EPOCH_S = 4;
const POLL_MS = 2000;

interface Cached {
  policy: CachePolicy;
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** What the cache did for each request. */
interface CacheEvent {
  path: string;
  /** 'hit': answered from the cache; 'revalidated': asked the issuer with a validator; 'miss': fetched whole. */
  how: 'hit' | 'revalidated' | 'miss';
  /** ms spent on the issuer (0 for a hit). */
  upstreamMs: number;
}

/** A shared HTTP cache in front of `port`, deciding freshness and revalidation with `http-cache-semantics`. */
function cachingProxy(upstreamPort: number, events: CacheEvent[]): Server {
  const store = new Map<string, Cached>();
  const upstream = (path: string, headers: IncomingHttpHeaders) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer; ms: number }>((resolve, reject) => {
      const t0 = performance.now();
      const r = httpRequest({ host: '127.0.0.1', port: upstreamPort, path, method: 'GET', headers: { ...headers, host: `127.0.0.1:${upstreamPort}` } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - t0 }));
      });
      r.on('error', reject);
      r.end();
    });
  const server = createServer((req, res) => {
    void (async () => {
      const path = req.url ?? '/';
      // Only what a verifier reads is cacheable here; the wallet's requests pass through.
      const request = { url: path, method: req.method ?? 'GET', headers: { ...req.headers } };
      // Like most CDNs, the cache ignores the client's own cache directives (Node's fetch sends
      // `Cache-Control: no-cache` with a conditional request): only the issuer's headers decide.
      for (const h of ['if-none-match', 'cache-control', 'pragma']) delete request.headers[h];
      const send = (c: { status: number; headers: IncomingHttpHeaders; body: Buffer }) => {
        res.writeHead(c.status, c.headers);
        res.end(c.body);
      };
      if (req.method !== 'GET' || !path.startsWith('/status/')) {
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const r = httpRequest({ host: '127.0.0.1', port: upstreamPort, path, method: req.method, headers: req.headers }, (u) => {
          res.writeHead(u.statusCode ?? 502, u.headers);
          u.pipe(res);
        });
        r.on('error', () => res.writeHead(502).end());
        r.end(Buffer.concat(chunks));
        return;
      }
      const held = store.get(path);
      if (held?.policy.satisfiesWithoutRevalidation(request)) {
        events.push({ path, how: 'hit', upstreamMs: 0 });
        return send({ status: held.status, headers: held.policy.responseHeaders() as IncomingHttpHeaders, body: held.body });
      }
      if (held) {
        const r = await upstream(path, held.policy.revalidationHeaders(request) as IncomingHttpHeaders);
        const { policy, modified } = held.policy.revalidatedPolicy(request, { status: r.status, headers: r.headers });
        const entry = { policy, status: modified ? r.status : held.status, headers: modified ? r.headers : held.headers, body: modified ? r.body : held.body };
        if (policy.storable()) store.set(path, entry);
        events.push({ path, how: 'revalidated', upstreamMs: r.ms });
        return send({ ...entry, headers: policy.responseHeaders() as IncomingHttpHeaders });
      }
      const r = await upstream(path, request.headers);
      const policy = new CachePolicy(request, { status: r.status, headers: r.headers }, { shared: true });
      if (policy.storable()) store.set(path, { policy, status: r.status, headers: r.headers, body: r.body });
      events.push({ path, how: 'miss', upstreamMs: r.ms });
      send(r);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  return server;
}

describe('revocation freshness through a caching proxy (real processes)', { skip: TEST_DB_KIND === 'postgres' && 'runs the binaries on their default SQLite database' }, () => {
  let dir: string;
  let cleanup: () => void;
  const children: ChildProcess[] = [];
  let proxy: Server;
  let url: string;
  let verifierUrl = '';
  let origin = '';
  let rootThumbprint = '';
  const events: CacheEvent[] = [];

  const cli = (args: string[]) => issuerCli(join(dir, 'data'), args);
  const daemon = (bin: string, args: string[], ready: RegExp) => startDaemon(children, bin, args, ready);

  before(async () => {
    ({ dir, cleanup } = tempDir('maskid-freshness-'));
    const issuerPort = await freePort();
    const proxyPort = await freePort();
    url = `http://127.0.0.1:${proxyPort}`;
    proxy = cachingProxy(issuerPort, events);
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', () => r()));
    rootThumbprint = cli(['root-key', 'create', '--out', join(dir, 'root.jwk')])['rootThumbprint'] as string;
    cli(['init', '--url', url, '--root-key', join(dir, 'root.jwk')]);
    origin = `http://localhost:${await freePort()}`;
    cli(['platform', 'add', '--id', 'p1', '--name', 'p1', '--origin', origin, '--claims', 'ageOver18']);
    await daemon(ISSUER_BIN, ['--dev', '--data-dir', join(dir, 'data'), 'serve', '--port', String(issuerPort), '--epoch', String(EPOCH_S)], /serving/);
    const port = await freePort();
    const config = join(dir, 'p1.json');
    writeFileSync(
      config,
      JSON.stringify({ platform: 'p1', origins: [origin], trustedIssuers: [{ url, rootThumbprint }], allowedClaims: ['ageOver18'], dev: true, port, manifestPollMs: POLL_MS }),
    );
    await daemon(VERIFIER_BIN, ['serve', '--config', config], /listening/);
    verifierUrl = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    for (const c of children) c.kill('SIGTERM');
    await new Promise<void>((r) => proxy.close(() => r()));
    cleanup();
  });

  it('suspend, resume and revoke each reach the verifier within E + Q + one fetch (no list is fetched); the cache revalidates every manifest and keeps list versions', {
    timeout: 240_000,
  }, async () => {
    const nn = cli(['enroll', '--national-id', makeNationalId('1990-01-01', '11', 1), '--name', 'Li Wei', '--birth-date', '1990-01-01', '--gender', 'F', '--region', '11'])[
      'networkNumber'
    ] as string;
    const storage = new MemoryStorage();
    const wallet = new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [{ url, rootThumbprint }] });
    const offer = cli(['offer', '--network-number', nn]) as { uri: string; txCode: string };
    await wallet.acceptOffer(offer.uri, { pin: offer.txCode });

    const signInMs: number[] = [];
    const signIn = async (): Promise<string> => {
      const t0 = performance.now();
      const req = (await (
        await fetch(`${verifierUrl}/v1/requests`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ claims: ['ageOver18'] }) })
      ).json()) as { requestId: string; request: unknown };
      const response = (await wallet.present(req.request, { origin })) as { data: { vp_token: unknown } };
      const r = await fetch(`${verifierUrl}/v1/presentations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requestId: req.requestId, origin, vp_token: response.data.vp_token }),
      });
      const body = (await r.json()) as { code?: string };
      signInMs.push(performance.now() - t0);
      return r.status === 200 ? 'ok' : String(body.code);
    };
    // The verifier starts with the first published epoch; wait until it answers.
    for (let i = 0; i < 120 && (await signIn()) !== 'ok'; i++) await sleep(250);
    assert.equal(await signIn(), 'ok');

    /** Runs `change` (a CLI call) and signs in until the answer is `want`; ms from the CLI's return. */
    const propagation = async (args: string[], want: string): Promise<number> => {
      cli(args);
      const from = performance.now();
      for (;;) {
        const got = await signIn();
        if (got === want) return performance.now() - from;
        assert.ok(performance.now() - from < 120_000, `${args[0]} did not reach the verifier in 2 minutes (last answer ${got})`);
        await sleep(200);
      }
    };
    const measured = {
      suspend: await propagation(['suspend', '--network-number', nn], 'ERR_STATUS_SUSPENDED'),
      resume: await propagation(['resume', '--network-number', nn], 'ok'),
      revoke: await propagation(['revoke', '--network-number', nn], 'ERR_STATUS_REVOKED'),
    };

    // The bound, from figures of this run: the scheduler publishes at most 1.25 E after the previous
    // epoch (it ticks every E/4), the verifier polls within Q, then one manifest fetch (the slowest the
    // cache saw the issuer take), plus the test's own sign-in cadence.
    const fetchMs = Math.max(...events.filter((e) => e.how !== 'hit').map((e) => e.upstreamMs));
    const cadenceMs = Math.max(...signInMs) + 200;
    const bound = 1.25 * EPOCH_S * 1000 + POLL_MS + fetchMs + cadenceMs;
    console.log(
      `# freshness: suspend ${Math.round(measured.suspend)} ms, resume ${Math.round(measured.resume)} ms, revoke ${Math.round(measured.revoke)} ms; ` +
        `bound ${Math.round(bound)} ms (E ${EPOCH_S} s, Q ${POLL_MS} ms, slowest fetch ${Math.round(fetchMs)} ms, sign-in cadence ${Math.round(cadenceMs)} ms)`,
    );
    // `npm run bench` runs this test and reports these figures (R1).
    if (process.env['MASKID_FRESHNESS_OUT']) {
      writeFileSync(
        process.env['MASKID_FRESHNESS_OUT'],
        JSON.stringify({
          epochSeconds: EPOCH_S,
          pollMs: POLL_MS,
          fetchMs,
          cadenceMs,
          boundMs: bound,
          suspendMs: measured.suspend,
          resumeMs: measured.resume,
          revokeMs: measured.revoke,
        }),
      );
    }
    for (const [what, ms] of Object.entries(measured)) assert.ok(ms <= bound, `${what} took ${Math.round(ms)} ms > ${Math.round(bound)} ms`);

    // The cache did what the headers say: every manifest answer was revalidated with the issuer (never
    // served from the cache alone), and a list version fetched twice came from the cache the second time.
    const manifests = events.filter((e) => e.path.endsWith('/manifest'));
    assert.ok(manifests.length >= 3);
    assert.deepEqual(
      manifests.filter((e) => e.how === 'hit'),
      [],
      'no manifest from the cache without asking',
    );
    assert.ok(
      manifests.some((e) => e.how === 'revalidated'),
      'manifests are kept and revalidated',
    );
    assert.deepEqual(
      events.filter((e) => /\.e\d+$/.test(e.path)),
      [],
      "the verifier fetched no list: each manifest's changes brought it the new bits",
    );
    // A list version (signed when first asked for) through the cache: the second answer is the cache's.
    const manifest = JSON.parse(Buffer.from((await (await fetch(`${url}/status/p1/manifest`)).text()).split('.')[1]!, 'base64url').toString()) as {
      lists: { count: number; revocation: string };
    };
    const epochs = decodeListEpochs(manifest.lists.revocation, manifest.lists.count);
    const n = epochs.findIndex((e) => e > 0);
    assert.ok(n >= 0, 'the revocation moved a list');
    const path = `/status/p1/revocation-${n}.e${epochs[n]}`;
    assert.equal((await fetch(`${url}${path}`)).status, 200);
    const first = await (await fetch(`${url}${path}`)).text();
    assert.equal(events.at(-1)!.how, 'hit', 'an immutable list version is answered from the cache');
    assert.equal(first, await (await fetch(`${url}${path}`)).text(), 'the same bytes');
  });
});

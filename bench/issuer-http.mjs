// I3: issuance over HTTP against a real `maskid-issuer serve` pinned to core 0; this process (the
// wallets, with pre-made keys and proofs) runs on core 1 (run.mjs pins it). The serve process's CPU is
// read from /proc before and after each run, so the figure is the issuer's CPU per credential, not the
// load generator's.
//   I3a  batch extension: WALLETS wallets in flight, each sending batch requests of PLATFORMS credentials
//   I3b  standard requests: one credential per request (a DPoP proof and a key proof each)
//   I3c  a typical wake-up: token refresh + c_nonce + a batch of WAKE_UP credentials (the renewal policy's
//        average at 400 platforms), as CPU per wake-up: the fixed cost the national sizing needs
// The limit, measured here in the same run on node:crypto: 1 ES256 verify + 1 ES256 sign per credential
// for I3a (the key proof, the signature), 2 verifies + 1 sign for I3b (DPoP proof, key proof, signature).
// I3b's floor: the same load against a bare node:http server doing only that cryptography (with the
// key proof's key imported per request, as an issuer must), http-floor-server.mjs, pinned the same way.
import { spawn } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Issuer, initIssuer, loadKek, EnrollmentService, PlatformService, Openid4vciService } from '@maskid/issuer';
import { WALLET_AUTHORIZATION_DETAILS } from '@maskid/holder';
import { freePort, nationalId, stats } from './fixture.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PLATFORMS = Number(process.env.BENCH_ISSUE_PLATFORMS ?? 400);
const WALLETS = Number(process.env.BENCH_HTTP_WALLETS ?? 6);
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_HTTP_RUNS ?? 5);
const WAKE_UP = Number(process.env.BENCH_WAKE_UP_CREDENTIALS ?? 6);
/** Which loads to run (profiling one at a time): a, b, c. */
const PHASES = process.env.BENCH_HTTP_PHASES ?? 'abc';
const log = (...a) => process.stderr.write(`bench: ${a.join(' ')}\n`);
const b64 = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const TICKS = 100; // USER_HZ

const dir = mkdtempSync(join(tmpdir(), 'maskid-bench-issuer-http-'));
const port = await freePort();
const url = `http://localhost:${port}`;
const offers = [];
{
  const issuer = await Issuer.open({ dataDir: dir, kek: loadKek({ dev: true }), dev: true }, true);
  await initIssuer(issuer, { url });
  for (let i = 0; i < PLATFORMS; i++) await new PlatformService(issuer).add({ id: `p${i}`, name: `Platform ${i}`, origins: [`https://p${i}.example`], claims: ['ageOver18'] });
  const oid = new Openid4vciService(issuer);
  for (let i = 0; i < WALLETS * 2; i++) {
    const { networkNumber } = await new EnrollmentService(issuer).enroll({ ...nationalId(), familyName: '李', givenName: '四', gender: 'M', region: '31' });
    offers.push(await oid.createOffer(networkNumber));
  }
  await issuer.close();
}
const serve = spawn(
  'taskset',
  [
    '-c',
    '0',
    process.execPath,
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
    ...(process.env.BENCH_SERVE_REQUIRE ? ['--require', process.env.BENCH_SERVE_REQUIRE] : []),
    join(ROOT, 'packages/issuer/bin/maskid-issuer.js'),
    '--dev',
    '--data-dir',
    dir,
    'serve',
    '--port',
    String(port),
    '--epoch',
    '0',
    '--token-requests-per-client',
    '1000000',
  ],
  {
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
let served = '';
serve.stdout.on('data', (d) => (served += d));
serve.stderr.on('data', (d) => (served += d));
for (let i = 0; !/serving/.test(served); i++) {
  if (i > 300) throw new Error(`serve did not start: ${served}`);
  await new Promise((r) => setTimeout(r, 100));
}
/** The process whose CPU the loads measure: `serve`, then the HTTP floor server. */
let measured = serve;
const cpuTicks = () => {
  const f = readFileSync(`/proc/${measured.pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
};

const agent = new Agent({ keepAlive: true, maxSockets: 64 });
function post(path, headers, body, base = url) {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const es256 = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' });
  return { privateKey, jwk: { kty, crv, x, y } };
};
const jws = (header, payload, key) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
};
const now = () => Math.floor(Date.now() / 1000);
const dpop = (w, path, token) =>
  jws(
    { typ: 'dpop+jwt', alg: 'ES256', jwk: w.dpop.jwk },
    {
      jti: randomBytes(12).toString('base64url'),
      htm: 'POST',
      htu: `${url}${path}`,
      iat: now(),
      ...(token ? { ath: createHash('sha256').update(token).digest('base64url') } : {}),
    },
    w.dpop.privateKey,
  );

// Wallets: a DPoP key and an access token each (pre-authorized code + PIN).
const wallets = [];
for (const o of offers) {
  const w = { dpop: es256() };
  const code = o.offer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code']['pre-authorized_code'];
  const r = await post(
    '/token',
    { 'content-type': 'application/x-www-form-urlencoded', dpop: dpop(w, '/token') },
    new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:pre-authorized_code',
      'pre-authorized_code': code,
      tx_code: o.txCode,
      authorization_details: WALLET_AUTHORIZATION_DETAILS,
    }).toString(),
  );
  if (r.status !== 200) throw new Error(`token: ${r.body}`);
  w.token = JSON.parse(r.body).access_token;
  w.refresh = JSON.parse(r.body).refresh_token;
  wallets.push(w);
}
const holderKeys = Array.from({ length: PLATFORMS }, es256);
const nonce = async () => JSON.parse((await post('/nonce', {}, '')).body).c_nonce;
/** Key proofs for every platform (fresh iat and nonce; the keys are reused across wallets, distinct within a batch). */
const proofs = async () => {
  const n = await nonce();
  return holderKeys.map((k) => jws({ typ: 'openid4vci-proof+jwt', alg: 'ES256', jwk: k.jwk }, { aud: url, iat: now(), nonce: n }, k.privateKey));
};

/** Runs `inFlight` loops of `send` for SECONDS; returns credentials issued and the serve process's CPU seconds. */
async function load(inFlight, send) {
  const stop = Date.now() + SECONDS * 1000;
  let credentials = 0;
  const t0 = cpuTicks();
  const wall = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, i) => {
      while (Date.now() < stop) {
        const n = await send(i); // (not `credentials += await …`: that reads the total before the await and loses updates)
        credentials += n;
      }
    }),
  );
  const cpu = (cpuTicks() - t0) / TICKS;
  return { credentials, cpuSeconds: cpu, wallSeconds: (performance.now() - wall) / 1000 };
}

/** I3b's load: standard credential requests (DPoP + one key proof from `ps` each), `inFlight` in flight, against `base`. */
function standardLoad(inFlight, ps, base) {
  let next = 0;
  return load(inFlight, async (i) => {
    const w = wallets[i % wallets.length];
    const p = next++ % PLATFORMS;
    const res = await post(
      '/credential',
      { 'content-type': 'application/json', authorization: `DPoP ${w.token}`, dpop: dpop(w, '/credential', w.token) },
      JSON.stringify({ credential_identifier: `p${p}`, proofs: { jwt: [ps[p]] } }),
      base,
    );
    if (res.status !== 200) throw new Error(`credential (${base}): ${res.body.slice(0, 300)}`);
    return 1;
  });
}

// The limit, on this process's core, same run: ES256 verify and sign of a credential-sized input.
const limitFor = (verifies) => {
  const k = es256();
  const pub = createPublicKey(k.privateKey);
  const input = Buffer.from('x'.repeat(1500));
  const sig = sign('sha256', input, { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
  const N = 1000;
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    for (let v = 0; v < verifies; v++) if (!verify('sha256', input, { key: pub, dsaEncoding: 'ieee-p1363' }, sig)) throw new Error('limit: bad signature');
    sign('sha256', input, { key: k.privateKey, dsaEncoding: 'ieee-p1363' });
  }
  return ((performance.now() - t) / 1000 / N) * 1e6; // µs per credential
};

// The same floor when the verified key is seen for the first time, as every key proof's is (each credential
// gets its own holder key): node:crypto imports the JWK and validates the point, about one more verification.
const firstSeenFloor = () => {
  const N = 300;
  const keys = Array.from({ length: N }, () => es256());
  const input = Buffer.from('x'.repeat(1500));
  const jwks = keys.map((k) => createPublicKey(k.privateKey).export({ format: 'jwk' }));
  const sigs = keys.map((k) => sign('sha256', input, { key: k.privateKey, dsaEncoding: 'ieee-p1363' }));
  const t = performance.now();
  for (let i = 0; i < N; i++) {
    if (!verify('sha256', input, { key: createPublicKey({ key: jwks[i], format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, sigs[i])) throw new Error('floor: bad signature');
    sign('sha256', input, { key: keys[i].privateKey, dsaEncoding: 'ieee-p1363' });
  }
  return ((performance.now() - t) / 1000 / N) * 1e6;
};

/** The key proofs of I3b's last run, sent again to the floor server (which checks no nonce). */
let standardProofs = [];
const rows = { a: [], b: [], c: [], limitA: [], limitB: [], firstSeen: [], batchWallMs: [], floorB: [] };
try {
  for (let r = 0; r <= RUNS; r++) {
    rows.limitA.push(limitFor(1));
    rows.limitB.push(limitFor(2));
    rows.firstSeen.push(firstSeenFloor());
    // I3a: batches.
    let body = JSON.stringify({ credential_requests: (await proofs()).map((p, i) => ({ credential_identifier: `p${i}`, proofs: { jwt: [p] } })) });
    const one = performance.now();
    const first = await post(
      '/batch-credential',
      { 'content-type': 'application/json', authorization: `DPoP ${wallets[0].token}`, dpop: dpop(wallets[0], '/batch-credential', wallets[0].token) },
      body,
    );
    if (first.status !== 200) throw new Error(`batch: ${first.body.slice(0, 300)}`);
    rows.batchWallMs.push(performance.now() - one);
    body = JSON.stringify({ credential_requests: (await proofs()).map((p, i) => ({ credential_identifier: `p${i}`, proofs: { jwt: [p] } })) });
    const a = await load(PHASES.includes('a') ? WALLETS : 0, async (i) => {
      const w = wallets[i];
      const res = await post('/batch-credential', { 'content-type': 'application/json', authorization: `DPoP ${w.token}`, dpop: dpop(w, '/batch-credential', w.token) }, body);
      if (res.status !== 200) throw new Error(`batch: ${res.body.slice(0, 300)}`);
      return PLATFORMS;
    });
    rows.a.push((a.cpuSeconds / a.credentials) * 1e6);
    // I3b: one credential per request, WALLETS × 4 in flight.
    const ps = await proofs();
    standardProofs = ps;
    const b = await standardLoad(PHASES.includes('b') ? WALLETS * 4 : 0, ps, url);
    rows.b.push((b.cpuSeconds / b.credentials) * 1e6);
    // I3c: whole wake-ups (each wallet in turn: token refresh, nonce, batch of WAKE_UP), one per wallet in flight.
    const c = await load(PHASES.includes('c') ? WALLETS : 0, async (i) => {
      const w = wallets[i];
      const t = await post(
        '/token',
        { 'content-type': 'application/x-www-form-urlencoded', dpop: dpop(w, '/token') },
        new URLSearchParams({ grant_type: 'refresh_token', refresh_token: w.refresh, authorization_details: WALLET_AUTHORIZATION_DETAILS }).toString(),
      );
      if (t.status !== 200) throw new Error(`refresh: ${t.body}`);
      const tok = JSON.parse(t.body);
      w.token = tok.access_token;
      w.refresh = tok.refresh_token;
      const n = await nonce();
      const requests = holderKeys.slice(0, WAKE_UP).map((k, j) => ({
        credential_identifier: `p${(i * 7 + j) % PLATFORMS}`,
        proofs: { jwt: [jws({ typ: 'openid4vci-proof+jwt', alg: 'ES256', jwk: k.jwk }, { aud: url, iat: now(), nonce: n }, k.privateKey)] },
      }));
      const res = await post(
        '/batch-credential',
        { 'content-type': 'application/json', authorization: `DPoP ${w.token}`, dpop: dpop(w, '/batch-credential', w.token) },
        JSON.stringify({ credential_requests: requests }),
      );
      if (res.status !== 200) throw new Error(`wake-up batch: ${res.body.slice(0, 300)}`);
      return 1;
    });
    rows.c.push((c.cpuSeconds / c.credentials) * 1e6);
    log(
      `run ${r}: I3a ${rows.a.at(-1).toFixed(0)} µs/credential (${(a.credentials / a.wallSeconds).toFixed(0)}/s), I3b ${rows.b.at(-1).toFixed(0)} µs/credential (${(b.credentials / b.wallSeconds).toFixed(0)}/s), I3c ${rows.c.at(-1).toFixed(0)} µs/wake-up of ${WAKE_UP}`,
    );
  }
} finally {
  const exited = new Promise((r) => serve.once('exit', r));
  serve.kill('SIGTERM');
  log(`serve exit: ${await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))])}`);
}
// I3b's floor, same load on the same core: a bare node:http server doing only the request's cryptography
// (bench/http-floor-server.mjs), the proofs made as for I3b.
if (PHASES.includes('b')) {
  const floorPort = await freePort();
  const floorServer = spawn('taskset', ['-c', '0', process.execPath, join(ROOT, 'bench/http-floor-server.mjs'), String(floorPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise((resolve, reject) => {
      floorServer.stdout.once('data', resolve);
      floorServer.once('exit', () => reject(new Error('the floor server did not start')));
    });
    measured = floorServer;
    const floorUrl = `http://127.0.0.1:${floorPort}`;
    const ps = standardProofs;
    for (let r = 0; r <= RUNS; r++) {
      const b = await standardLoad(WALLETS * 4, ps, floorUrl);
      rows.floorB.push((b.cpuSeconds / b.credentials) * 1e6);
    }
  } finally {
    floorServer.kill('SIGTERM');
  }
}
agent.destroy();
const out = {
  platforms: PLATFORMS,
  wallets: WALLETS,
  batchCpuMicrosPerCredential: stats(rows.a.slice(1)),
  standardCpuMicrosPerCredential: stats(rows.b.slice(1)),
  limitBatchMicros: stats(rows.limitA.slice(1)),
  limitStandardMicros: stats(rows.limitB.slice(1)),
  firstSeenKeyFloorMicros: stats(rows.firstSeen.slice(1)),
  standardHttpFloorMicros: stats(rows.floorB.slice(1)),
  oneBatchWallMs: stats(rows.batchWallMs.slice(1)),
  wakeUpCredentials: WAKE_UP,
  wakeUpCpuMicros: stats(rows.c.slice(1)),
};
out.batchVsLimit = out.limitBatchMicros.median / out.batchCpuMicrosPerCredential.median;
out.standardVsLimit = out.limitStandardMicros.median / out.standardCpuMicrosPerCredential.median;
out.batchVsFirstSeenFloor = out.firstSeenKeyFloorMicros.median / out.batchCpuMicrosPerCredential.median;
out.standardHttpFloorVsLimit = out.limitStandardMicros.median / out.standardHttpFloorMicros.median;
out.standardVsHttpFloor = out.standardHttpFloorMicros.median / out.standardCpuMicrosPerCredential.median;
log(
  `I3a ${out.batchVsLimit.toFixed(2)} of the limit, I3b ${out.standardVsLimit.toFixed(2)} of the limit (its HTTP floor ${out.standardHttpFloorVsLimit.toFixed(2)}); one batch of ${PLATFORMS} ${out.oneBatchWallMs.median.toFixed(0)} ms`,
);
rmSync(dir, { recursive: true, force: true });
process.stdout.write(JSON.stringify(out) + '\n');

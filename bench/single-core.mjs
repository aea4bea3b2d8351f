// Single-core verification figures (run pinned to one core by bench/run.mjs; prints one JSON line):
// the raw-crypto limit, the maskid engine, @sd-jwt/core and Veramo 7 on the same work, and the
// engine's cost per login as the number of cached status lists grows.
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { SDJwtInstance } from '@sd-jwt/core';
import { PrivateKeyStore } from '@veramo/data-store';
import { SecretBox } from '@veramo/kms-local';
import { BitstringStatusList, decodeJwt } from '@maskid/core';
import { PresentationVerifier, VerifierService, parseConfig } from '@maskid/verifier';
import { issuerFixture, stats, repeat } from './fixture.mjs';
import { veramoPeer } from './veramo-peer.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// Each figure verifies the presentations PASSES times (≈0.3–0.7 s per measurement): one pass of 300
// took ~40 ms and its runs spread ±20 % on this machine.
const PASSES = Number(process.env.BENCH_PASSES ?? 10);
const PEOPLE = Number(process.env.BENCH_PEOPLE ?? 300);
const log = (...a) => process.stderr.write(`bench: ${a.join(' ')}\n`);

/** Logins per second over all presentations, `passes` times. */
function rate(presentations, passes, verifyOne) {
  const t0 = performance.now();
  let ok = 0;
  for (let k = 0; k < passes; k++) for (const p of presentations) if (verifyOne(p)) ok++;
  const s = (performance.now() - t0) / 1000;
  if (ok !== presentations.length * passes) throw new Error(`only ${ok} of ${presentations.length * passes} verified`);
  return ok / s;
}

const fx = await issuerFixture({ people: PEOPLE, vcld: true });
log(`fixture: ${fx.presentations.length} distinct presentations`);
const svc = await VerifierService.create(parseConfig(fx.verifierConfig));
await svc.start();
const { jwk: issuerJwk } = await fx.issuer.signer();
const issuerKey = createPublicKey({ key: issuerJwk, format: 'jwk' });

// (1) Limit: two ES256 verifications (issuer, KB) + SHA-256 of each disclosure and of the sd_hash input.
const raw = fx.presentations.map(({ vp }) => {
  const last = vp.lastIndexOf('~');
  const segs = vp.slice(0, last).split('~');
  const jwt = segs[0];
  const kb = vp.slice(last + 1);
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url'));
  return {
    si: Buffer.from(jwt.slice(0, jwt.lastIndexOf('.'))),
    sig: Buffer.from(jwt.slice(jwt.lastIndexOf('.') + 1), 'base64url'),
    ksi: Buffer.from(kb.slice(0, kb.lastIndexOf('.'))),
    ksig: Buffer.from(kb.slice(kb.lastIndexOf('.') + 1), 'base64url'),
    holderJwk: payload.cnf.jwk,
    holderKey: createPublicKey({ key: payload.cnf.jwk, format: 'jwk' }),
    disclosures: segs.slice(1),
    sdIn: vp.slice(0, last + 1),
  };
});
const limitOne = (x) => {
  const a = nodeVerify('sha256', x.si, { key: issuerKey, dsaEncoding: 'ieee-p1363' }, x.sig);
  const b = nodeVerify('sha256', x.ksi, { key: x.holderKey, dsaEncoding: 'ieee-p1363' }, x.ksig);
  for (const d of x.disclosures) createHash('sha256').update(d).digest();
  createHash('sha256').update(x.sdIn).digest();
  return a && b;
};

// (1b) Limit for a first-seen holder key: the same plus importing the holder's JWK (node:crypto
// validates the point, which costs about as much as one verification).
const limitColdOne = (x) => {
  const holderKey = createPublicKey({ key: x.holderJwk, format: 'jwk' });
  const a = nodeVerify('sha256', x.si, { key: issuerKey, dsaEncoding: 'ieee-p1363' }, x.sig);
  const b = nodeVerify('sha256', x.ksi, { key: holderKey, dsaEncoding: 'ieee-p1363' }, x.ksig);
  for (const d of x.disclosures) createHash('sha256').update(d).digest();
  createHash('sha256').update(x.sdIn).digest();
  return a && b;
};

// (2) Engine: distinct presentations, status included, lists cached; a fresh engine per pass so each
// holder key is seen for the first time (no warm cnf-key cache).
const engineOptions = {
  platform: 'forum',
  origins: fx.verifierConfig.origins,
  allowedClaims: ['ageOver18', 'region'],
  keys: svc.keys,
  status: svc.status,
  nonces: svc.nonces,
  maxKbAgeSeconds: 86400,
};
/** Logins/s with a fresh engine for every pass (created before the timed loop): every key is first seen. */
const firstSeenRate = (presentations, options) => {
  const engines = Array.from({ length: PASSES }, () => new PresentationVerifier(options));
  const n = presentations.length;
  let i = 0;
  return rate(presentations, PASSES, (p) => engines[Math.floor(i++ / n)].verifyWith(p.vp, p.nonce, ['ageOver18']).verified);
};
const engineRate = () => firstSeenRate(fx.presentations, engineOptions);
const engineWarm = new PresentationVerifier(engineOptions);
const engineWarmRate = () => rate(fx.presentations, PASSES, (p) => engineWarm.verifyWith(p.vp, p.nonce, ['ageOver18']).verified);
// (2c) The same engine on the same people's SD-JWT VCLD form (dc+sd-jwt), holder keys cached: one engine, both forms.
const engineWarmVcldRate = () => rate(fx.vcldPresentations, PASSES, (p) => engineWarm.verifyWith(p.vp, p.nonce, ['ageOver18']).verified);

// (4a) @sd-jwt/core on the same presentations (signature, disclosures, key binding with the nonce).
const hasher = (data) =>
  new Uint8Array(
    createHash('sha256')
      .update(typeof data === 'string' ? data : Buffer.from(data))
      .digest(),
  );
const sdjwt = new SDJwtInstance({
  hasher,
  verifier: (data, sig) => nodeVerify('sha256', Buffer.from(data), { key: issuerKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url')),
  kbVerifier: (data, sig, payload) =>
    nodeVerify('sha256', Buffer.from(data), { key: createPublicKey({ key: payload.cnf.jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url')),
});
async function sdjwtRate(withStatus) {
  const t0 = performance.now();
  let ok = 0;
  for (const p of fx.presentations) {
    const r = await sdjwt.verify(p.vp, { keyBindingNonce: p.nonce });
    if (withStatus) {
      // As @sd-jwt/sd-jwt-vc does: fetch and check the status list on every verification (no cache).
      const entry = r.payload.credentialStatus[0];
      const jwt = await (await fetch(entry.statusListCredential)).text();
      const { payload } = decodeJwt(jwt);
      const dot = jwt.lastIndexOf('.');
      if (!nodeVerify('sha256', Buffer.from(jwt.slice(0, dot)), { key: issuerKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(jwt.slice(dot + 1), 'base64url')))
        throw new Error('list signature');
      if (BitstringStatusList.decode(payload.credentialSubject.encodedList).get(Number(entry.statusListIndex))) throw new Error('revoked');
    }
    if (r.kb) ok++;
  }
  return ok / ((performance.now() - t0) / 1000);
}

// (4b) Veramo 7 verifyPresentation (+ verifyCredential of the inner VC) on equivalent JWT VC/VP with the same keys.
const privateKeyStore = new PrivateKeyStore(fx.issuer.ds, new SecretBox(fx.issuer.sealer.derive('veramo-secretbox').toString('hex')));
const issuerPrivateHex = (await privateKeyStore.getKey({ alias: (await fx.issuer.settings()).kid })).privateKeyHex;
const veramo = await veramoPeer({ issuerPrivateHex, holders: fx.holders.slice(0, 60), nonces: fx.presentations.slice(0, 60).map((p) => p.nonce) });

const results = { limit: [], limitCold: [], engine: [], engineWarm: [], engineWarmVcld: [], vcldVsVcdm: [], sdjwt: [], sdjwtWithStatus: [], veramo: [] };
await repeat(RUNS, async () => {
  results.limit.push(rate(raw, PASSES, limitOne));
  results.limitCold.push(rate(raw, PASSES, limitColdOne));
  results.engine.push(engineRate());
  // The two forms back to back, in alternating order (whichever runs second was seen to gain or lose ~10 %
  // on this machine), and their ratio per run: a paired figure, steadier than two medians.
  const vcldFirst = results.engineWarmVcld.length % 2 === 1;
  const vcldRate = vcldFirst ? engineWarmVcldRate() : undefined;
  results.engineWarm.push(engineWarmRate());
  results.engineWarmVcld.push(vcldRate ?? engineWarmVcldRate());
  results.vcldVsVcdm.push(results.engineWarmVcld.at(-1) / results.engineWarm.at(-1));
  results.sdjwt.push(await sdjwtRate(false));
  results.sdjwtWithStatus.push(await sdjwtRate(true));
  results.veramo.push(await veramo.rate());
  log(
    `limit ${results.limit.at(-1).toFixed(0)}/s (cold ${results.limitCold.at(-1).toFixed(0)}) engine ${results.engine.at(-1).toFixed(0)}/s (warm ${results.engineWarm.at(-1).toFixed(0)}, VCLD ${results.engineWarmVcld.at(-1).toFixed(0)}) sd-jwt ${results.sdjwt.at(-1).toFixed(0)} veramo ${results.veramo.at(-1).toFixed(0)}`,
  );
});
// repeat() runs one warm-up round first: drop it.
for (const k of Object.keys(results)) results[k] = results[k].slice(1);

// (6) Scale curve: the engine's cost per login with 2, 16, 160 and 1000 cached lists (both purposes).
const curve = [];
for (const listsPerPurpose of [1, 8, 80, 500]) {
  // Ten set bits per list and purpose on average (lists with none are never fetched): the verifier holds nearly every list.
  const f = await issuerFixture({ people: 100, capacity: listsPerPurpose * 131_072, setPerPurpose: 10 * listsPerPurpose });
  const s = await VerifierService.create(parseConfig(f.verifierConfig));
  await s.start();
  const opts = { ...engineOptions, keys: s.keys, status: s.status, nonces: s.nonces };
  const rates = [];
  for (let i = 0; i <= RUNS; i++) rates.push(firstSeenRate(f.presentations, opts));
  const r = stats(rates.slice(1));
  curve.push({ cachedLists: s.status.stats().lists, usPerLogin: { median: 1e6 / r.median, min: 1e6 / r.max, max: 1e6 / r.min }, loginsPerSecond: r });
  log(`curve: ${s.status.stats().lists} lists → ${(1e6 / r.median).toFixed(1)} µs/login`);
  await s.stop();
  await f.close();
}

await svc.stop();
await fx.close();
process.stdout.write(
  JSON.stringify({
    presentations: fx.presentations.length,
    limit: stats(results.limit),
    limitCold: stats(results.limitCold),
    engine: stats(results.engine),
    engineWarm: stats(results.engineWarm),
    engineWarmVcld: stats(results.engineWarmVcld),
    vcldVsVcdm: stats(results.vcldVsVcdm),
    sdjwt: stats(results.sdjwt),
    sdjwtWithStatus: stats(results.sdjwtWithStatus),
    veramo: stats(results.veramo),
    curve,
  }) + '\n',
);

// Status at national size (revocation issue), pinned to one core by run.mjs:
//   S1 the manifest for 2 × 16,384 lists: bytes (and gzipped), verify + parse
//   S2 one verifier per epoch at a national event rate: requests and bytes, with the real StatusListCache
//   S3 verifier memory for 2 purposes × 2³¹: CompactBits vs dense bits vs CRoaring, at 1 % and after
//      3 simulated years of reissues (with and without clearing); lookup cost
//   S4 publishing one epoch at that event rate with the real StatusService, extrapolated to 1,000 platforms
import { createSign, generateKeyPairSync, verify } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoaringBitmap32, roaringLibraryInitialize } from 'roaring-wasm';
import {
  DEFAULT_STATUS_CAPACITY,
  MIN_STATUS_LIST_ENTRIES,
  TYP_STATUS_MANIFEST,
  checkStatusManifest,
  decodeJwt,
  encodeListEpochs,
  manifestLengthLimit,
  statusListUrl,
} from '@maskid/core';
import { CompactBits, StatusListCache } from '@maskid/verifier';
import { Issuer, loadKek, EnrollmentService, PlatformService, StatusService, clearAtFor, encodeStatusBits } from '@maskid/issuer';
import { nationalId, stats } from './fixture.mjs';

const quick = process.env.BENCH_QUICK === '1';
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const log = (...a) => process.stderr.write(`bench: ${a.join(' ')}\n`);
const LISTS = DEFAULT_STATUS_CAPACITY / MIN_STATUS_LIST_ENTRIES; // 16,384 per purpose
const LIST_SIZE = MIN_STATUS_LIST_ENTRIES;
const EPOCH_SECONDS = 300;
/** National event rate: person-events (revoke, reissue, delete, suspend) per 5-minute epoch. */
const EVENTS_PER_EPOCH = Number(process.env.BENCH_STATUS_EVENTS ?? 450);
const VALIDITY_DAYS = 30;
/** Days a released slot's bit stays set before it is cleared (the issuer's rule). */
const CLEAR_DAYS = (clearAtFor(0, VALIDITY_DAYS) - 0) / 86_400_000;
/** Steady-state revocation fill with clearing: every event of the last CLEAR_DAYS still set. */
const STEADY_FILL = (EVENTS_PER_EPOCH * (86_400 / EPOCH_SECONDS) * CLEAR_DAYS) / DEFAULT_STATUS_CAPACITY;

const out = { lists: LISTS, listSize: LIST_SIZE, eventsPerEpoch: EVENTS_PER_EPOCH, epochSeconds: EPOCH_SECONDS, clearDays: CLEAR_DAYS, steadyFill: STEADY_FILL };

/** xorshift32: deterministic fills. */
function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 32;
  };
}
/** `count` distinct random offsets in [0, LIST_SIZE), sorted. */
function randomOffsets(random, count) {
  const set = new Set();
  while (set.size < count) set.add(Math.floor(random() * LIST_SIZE));
  return [...set].sort((a, b) => a - b);
}
function listBytes(offsets) {
  const bytes = new Uint8Array(LIST_SIZE / 8);
  for (const i of offsets) bytes[i >>> 3] |= 0x80 >>> (i & 7);
  return bytes;
}

// An ES256 issuer key on node:crypto, and a JWS signer as the issuer's agent produces.
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ISSUER = 'did:web:id.example.gov';
const ISSUER_URL = 'https://id.example.gov';
const PLATFORM = 'forum';
const KID = `${ISSUER}#k1`;
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
function sign(header, payload) {
  const input = `${b64(header)}.${b64(payload)}`;
  const s = createSign('SHA256');
  s.update(input);
  return `${input}.${s.sign({ key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
function manifestJwt(epoch, revocation, suspension, iat) {
  return sign(
    { alg: 'ES256', typ: TYP_STATUS_MANIFEST, kid: KID },
    {
      iss: ISSUER,
      sub: PLATFORM,
      epoch,
      iat,
      exp: iat + 3 * EPOCH_SECONDS,
      epochSeconds: EPOCH_SECONDS,
      lists: { base: `${ISSUER_URL}/status/${PLATFORM}`, count: LISTS, listSize: LIST_SIZE, revocation: encodeListEpochs(revocation), suspension: encodeListEpochs(suspension) },
    },
  );
}
function listJwt(purpose, n, epoch, encodedList, iat) {
  const url = statusListUrl(ISSUER_URL, PLATFORM, purpose, n);
  return sign(
    { alg: 'ES256', typ: 'vc+jwt', kid: KID },
    {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: url,
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: ISSUER,
      validFrom: new Date(iat * 1000).toISOString(),
      credentialSubject: { id: `${url}#list`, type: 'BitstringStatusList', statusPurpose: purpose, encodedList, epoch },
    },
  );
}

// ── S1: the manifest ────────────────────────────────────────────────────────────────────────────────
const nowSec = Math.floor(Date.now() / 1000);
const EPOCH = 105_120; // a year of 5-minute epochs
{
  const random = prng(11);
  // A year in: each list last changed a geometric number of epochs ago (EVENTS_PER_EPOCH changes over LISTS lists).
  const pChange = 1 - (1 - 1 / LISTS) ** EVENTS_PER_EPOCH;
  const steady = () => Uint32Array.from({ length: LISTS }, () => Math.max(1, EPOCH - Math.floor(Math.log(1 - random()) / Math.log(1 - pChange))));
  const worst = () => Uint32Array.from({ length: LISTS }, () => 1 + Math.floor(random() * (EPOCH - 1)));
  const held = manifestJwt(EPOCH - 1, new Uint32Array(LISTS), new Uint32Array(LISTS), nowSec - 300);
  const heldManifest = checkStatusManifest(decodeJwt(held, manifestLengthLimit(LISTS)).payload, { issuer: ISSUER, platform: PLATFORM, now: Date.now() });
  const measure = (jwt) => {
    const times = [];
    for (let r = 0; r < (quick ? 3 : 15); r++) {
      const t = performance.now();
      const { payload, signingInput, signature } = decodeJwt(jwt, manifestLengthLimit(LISTS));
      if (!verify('sha256', Buffer.from(signingInput, 'latin1'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) throw new Error('manifest signature');
      checkStatusManifest(payload, { issuer: ISSUER, platform: PLATFORM, now: Date.now(), held: heldManifest });
      times.push(performance.now() - t);
    }
    return stats(times.slice(1));
  };
  // What the issuer pays per platform and epoch to pack a steady revocation array (node:zlib level 6, as publish does).
  const steadyArray = steady();
  const packTimes = [];
  for (let r = 0; r < 11; r++) {
    const t = performance.now();
    encodeListEpochs(steadyArray, (bytes) => gzipSync(bytes, { level: 6 }));
    packTimes.push(performance.now() - t);
  }
  out.manifestPackMs = stats(packTimes.slice(1));
  for (const [name, make] of [
    ['steady', () => manifestJwt(EPOCH, steady(), steady(), nowSec)],
    ['worst', () => manifestJwt(EPOCH, worst(), worst(), nowSec)],
  ]) {
    const jwt = make();
    out[`manifest_${name}`] = { bytes: jwt.length, gzipBytes: gzipSync(jwt).length, limitBytes: manifestLengthLimit(LISTS), verifyParseMs: measure(jwt) };
    log(`S1 manifest (${name}): ${jwt.length} B, ${gzipSync(jwt).length} B gzipped, verify+parse ${out[`manifest_${name}`].verifyParseMs.median.toFixed(2)} ms`);
  }
}

// ── S2: one verifier, one epoch ─────────────────────────────────────────────────────────────────────
{
  const random = prng(12);
  const fillCount = Math.round(STEADY_FILL * LIST_SIZE);
  // Encoded as the issuer publishes them.
  const encoded = encodeStatusBits(listBytes(randomOffsets(random, fillCount)));
  const emptyEncoded = encodeStatusBits(new Uint8Array(LIST_SIZE / 8));
  // The held state: every revocation list changed at some earlier epoch (steady fill); suspension lists never changed.
  const before = Uint32Array.from({ length: LISTS }, (_, n) => 1 + (n % (EPOCH - 2)));
  const after = before.slice();
  // EVENTS_PER_EPOCH events land on this many distinct lists (collisions counted as they fall).
  const changed = new Set(Array.from({ length: EVENTS_PER_EPOCH }, () => Math.floor(random() * LISTS)));
  for (const n of changed) after[n] = EPOCH;
  const docs = new Map();
  docs.set('m', manifestJwt(EPOCH - 1, before, new Uint32Array(LISTS), nowSec - 60));
  // Bytes as the issuer sends them to a client that accepts GZIP (Node's fetch does): bodies of 512 bytes or more, level 6.
  const counter = { requests: 0, bytes: 0, wireBytes: 0 };
  const fetcher = {
    get: async (url) => {
      counter.requests++;
      let body;
      if (url.endsWith('/manifest')) body = docs.get('m');
      else {
        const m = /\/(revocation|suspension)-(\d+)\.e(\d+)$/.exec(url);
        body = listJwt(m[1], Number(m[2]), Number(m[3]), m[1] === 'revocation' ? encoded : emptyEncoded, nowSec - 60);
      }
      counter.bytes += body.length;
      counter.wireBytes += body.length >= 512 ? gzipSync(body, { level: 6 }).length : body.length;
      return { status: 200, body };
    },
  };
  const keyCache = { get: () => ({ alg: 'ES256', key: publicKey }) };
  const cache = new StatusListCache(keyCache, fetcher, { platform: PLATFORM, issuers: [{ did: ISSUER, url: ISSUER_URL }], concurrency: 16 });
  globalThis.gc?.();
  const mem0 = process.memoryUsage();
  let t = performance.now();
  await cache.refresh();
  const coldMs = performance.now() - t;
  globalThis.gc?.();
  const mem1 = process.memoryUsage();
  out.verifierColdStart = {
    requests: counter.requests,
    bytes: counter.bytes,
    wireBytes: counter.wireBytes,
    seconds: coldMs / 1000,
    heldMiB: (mem1.heapUsed + mem1.arrayBuffers - mem0.heapUsed - mem0.arrayBuffers) / 2 ** 20,
  };
  log(`S2 cold start: ${counter.requests} requests, ${(counter.bytes / 2 ** 20).toFixed(1)} MiB, ${(coldMs / 1000).toFixed(1)} s`);
  docs.set('m', manifestJwt(EPOCH, after, new Uint32Array(LISTS), nowSec));
  counter.requests = 0;
  counter.bytes = 0;
  counter.wireBytes = 0;
  t = performance.now();
  await cache.refresh();
  out.verifierPerEpoch = {
    events: EVENTS_PER_EPOCH,
    changedLists: changed.size,
    requests: counter.requests,
    bytes: counter.bytes,
    wireBytes: counter.wireBytes,
    ms: performance.now() - t,
  };
  cache.stop();
  if (cache.stats().staleLists !== 0 || cache.stats().epoch !== EPOCH) throw new Error('the verifier did not reach the new epoch');
  log(
    `S2 per epoch: ${EVENTS_PER_EPOCH} events → ${changed.size} lists changed, ${counter.requests} requests, ${(counter.bytes / 1024).toFixed(0)} KiB (${(counter.wireBytes / 1024).toFixed(0)} KiB on the wire)`,
  );
}

// ── S3: memory and lookups ──────────────────────────────────────────────────────────────────────────
await roaringLibraryInitialize();
/** Builds both purposes at the given fills (lists = LISTS per purpose, or a sample scaled up). */
function memoryAt(fills, sample = LISTS) {
  const random = prng(13);
  globalThis.gc?.();
  const m0 = process.memoryUsage();
  const held = [];
  let roaringBytes = 0;
  let denseBytes = 0;
  for (const fill of fills) {
    for (let n = 0; n < sample; n++) {
      const offsets = randomOffsets(random, Math.round(fill * LIST_SIZE));
      const bytes = listBytes(offsets);
      denseBytes += bytes.length;
      held.push(CompactBits.fromBytes(bytes));
      if (n < 256) {
        const r = RoaringBitmap32.from(Uint32Array.from(offsets));
        r.runOptimize();
        r.shrinkToFit();
        roaringBytes += r.getSerializationSizeInBytes('croaring');
        r.dispose();
      }
    }
  }
  globalThis.gc?.();
  const m1 = process.memoryUsage();
  const scale = LISTS / sample;
  const compactMiB = (held.reduce((a, b) => a + b.byteSize(), 0) * scale) / 2 ** 20;
  const processMiB = ((m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers) * scale) / 2 ** 20;
  return {
    fills,
    sampledLists: sample * fills.length,
    compactMiB,
    processMiB,
    denseMiB: (denseBytes * scale) / 2 ** 20,
    roaringMiB: (roaringBytes * (sample / Math.min(sample, 256)) * scale) / 2 ** 20,
    held,
  };
}
{
  const full = quick ? 1024 : LISTS;
  const onePercent = memoryAt([0.01, 0.01], full);
  // Lookups on what was just built: CompactBits vs the same lists' dense bits vs CRoaring.
  const random = prng(14);
  const N = 1_000_000;
  const probes = Uint32Array.from({ length: N }, () => Math.floor(random() * LIST_SIZE));
  const lists = onePercent.held.slice(0, 64);
  const roarings = [];
  const denses = [];
  for (let i = 0; i < 64; i++) {
    const offsets = randomOffsets(random, Math.round(0.01 * LIST_SIZE));
    denses.push(listBytes(offsets));
    const r = RoaringBitmap32.from(Uint32Array.from(offsets));
    r.runOptimize();
    roarings.push(r);
  }
  const time = (f) => {
    const ns = [];
    for (let r = 0; r < (quick ? 2 : 7); r++) {
      let hits = 0;
      const t = performance.now();
      for (let i = 0; i < N; i++) if (f(i & 63, probes[i])) hits++;
      ns.push(((performance.now() - t) * 1e6) / N);
      if (hits < 0) throw new Error();
    }
    return stats(ns.slice(1));
  };
  out.lookupNs = {
    compact: time((l, i) => lists[l].has(i)),
    dense: time((l, i) => (denses[l][i >>> 3] & (0x80 >>> (i & 7))) !== 0),
    roaring: time((l, i) => roarings[l].has(i)),
  };
  for (const r of roarings) r.dispose();
  onePercent.held = undefined;
  // Three years of reissues at 5 % of people a year: with clearing only the last CLEAR_DAYS days of them stay set.
  const reissueFill = 0.05 * (CLEAR_DAYS / 365);
  const cleared = memoryAt([0.01 + reissueFill, 0.01], full);
  cleared.held = undefined;
  const notCleared = memoryAt([0.01 + 0.15, 0.01], quick ? 128 : 1024);
  notCleared.held = undefined;
  out.memory = { onePercent, threeYearsCleared: cleared, threeYearsNotCleared: notCleared, reissueFillCleared: reissueFill };
  log(
    `S3 memory 2 × 2^31: 1 % ${onePercent.compactMiB.toFixed(0)} MiB (process ${onePercent.processMiB.toFixed(0)}, dense ${onePercent.denseMiB.toFixed(0)}, CRoaring ${onePercent.roaringMiB.toFixed(0)}); 3 years cleared ${cleared.compactMiB.toFixed(0)} MiB, not cleared ${notCleared.compactMiB.toFixed(0)} MiB; lookup ${out.lookupNs.compact.median.toFixed(0)} ns (dense ${out.lookupNs.dense.median.toFixed(0)}, CRoaring ${out.lookupNs.roaring.median.toFixed(0)})`,
  );
}

// ── S4: publishing one epoch with the real StatusService ────────────────────────────────────────────
{
  const PLATFORMS = quick ? 2 : 4;
  const people = quick ? 60 : EVENTS_PER_EPOCH;
  const dir = mkdtempSync(join(tmpdir(), 'maskid-bench-status-'));
  const issuer = await Issuer.open({ dataDir: dir, kek: loadKek({ dev: true }), dev: true }, true);
  try {
    await issuer.init({ url: 'http://localhost:8443', capacity: DEFAULT_STATUS_CAPACITY });
    for (let p = 0; p < PLATFORMS; p++) await new PlatformService(issuer).add({ id: `p${p}`, name: `P${p}`, origins: [`https://p${p}.example`], claims: ['ageOver18'] });
    const { enrolled } = await new EnrollmentService(issuer).enrollMany(
      Array.from({ length: people * (RUNS + 1) }, () => ({ ...nationalId(), familyName: 'Zhang', givenName: 'San', gender: 'F', region: '11' })),
    );
    const status = new StatusService(issuer);
    await status.publish({});
    const perList = [];
    const perPlatformFixed = [];
    let lists = 0;
    for (let r = 0; r <= RUNS; r++) {
      // The operator's side (revoke) is not timed: one epoch's events, then one timed publish.
      for (const e of enrolled.slice(r * people, (r + 1) * people)) await status.revoke({ networkNumber: e.networkNumber });
      const t = performance.now();
      const p = await status.publish({});
      const ms = performance.now() - t;
      // An epoch without changes costs the manifests alone: measured right after, to split the cost.
      const t2 = performance.now();
      await status.publish({});
      const fixedMs = performance.now() - t2;
      perList.push((ms - fixedMs) / p.lists);
      perPlatformFixed.push(fixedMs / PLATFORMS);
      lists = p.lists;
    }
    const listMs = stats(perList.slice(1));
    // The floor in the same run: one node:crypto ES256 signature over a list-sized signing input.
    const input = Buffer.from(
      listJwt('revocation', 1, 1, encodeStatusBits(listBytes(randomOffsets(prng(15), Math.round(STEADY_FILL * LIST_SIZE)))), nowSec)
        .split('.')
        .slice(0, 2)
        .join('.'),
    );
    const signTimes = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      for (let i = 0; i < 500; i++) createSign('SHA256').update(input).sign({ key: privateKey, dsaEncoding: 'ieee-p1363' });
      signTimes.push((performance.now() - t) / 500);
    }
    const signMs = stats(signTimes.slice(1));
    const fixed = stats(perPlatformFixed.slice(1));
    const listsPerPlatform = lists / PLATFORMS;
    // National: 1,000 platforms, each with the lists EVENTS_PER_EPOCH events change (S2's count) and its manifest.
    const nationalSeconds = (1000 * (out.verifierPerEpoch.changedLists * listMs.median + fixed.median + out.manifestPackMs.median)) / 1000;
    out.publish = {
      platforms: PLATFORMS,
      eventsPerEpoch: people,
      listsSignedPerPlatform: listsPerPlatform,
      msPerChangedList: listMs,
      msPerRawSignature: signMs,
      msPerPlatformManifest: fixed,
      nationalCoreSecondsPerEpoch: nationalSeconds,
      nationalCoreFraction: nationalSeconds / EPOCH_SECONDS,
      everyListCoreFraction: (1000 * (2 * LISTS * listMs.median + fixed.median)) / 1000 / EPOCH_SECONDS,
    };
    log(
      `S4 publish: ${listMs.median.toFixed(2)} ms per changed list, ${fixed.median.toFixed(1)} ms per platform manifest; 1,000 platforms → ${nationalSeconds.toFixed(0)} core-s per ${EPOCH_SECONDS} s epoch (${(100 * out.publish.nationalCoreFraction).toFixed(0)} % of a core)`,
    );
  } finally {
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(JSON.stringify(out) + '\n');

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
  CHANGE_WINDOW_EPOCHS,
  MAX_MANIFEST_CHANGES,
  encodeListEpochs,
  encodeStatusChanges,
  manifestLengthLimit,
  statusListUrl,
} from '@maskid/core';
import { CompactBits, StatusListCache } from '@maskid/verifier';
import { Issuer, initIssuer, loadKek, EnrollmentService, PlatformService, StatusService, clearAtFor, encodeStatusBits } from '@maskid/issuer';
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
/** The manifest as the issuer signs it; `changes` ({ since, set, clear } of global indexes) as `encodeStatusChanges` packs them. */
function manifestJwt(epoch, revocation, suspension, iat, changes) {
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
      ...(changes ? { changes: encodeStatusChanges(changes, (bytes) => gzipSync(bytes, { level: 6 })) } : {}),
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
  /** `count` random revocation entries changed in the window (their lists moved into it), as the manifest carries them. */
  const withChanges = (revocation, count) => {
    const since = EPOCH - CHANGE_WINDOW_EPOCHS;
    const set = new Set();
    while (set.size < count) set.add(Math.floor(random() * LISTS * LIST_SIZE));
    for (const i of set) revocation[Math.floor(i / LIST_SIZE)] = since + 1 + Math.floor(random() * CHANGE_WINDOW_EPOCHS);
    const none = new Uint32Array(0);
    return { since, set: { revocation: Uint32Array.from(set).sort(), suspension: none }, clear: { revocation: none, suspension: none } };
  };
  for (const [name, make] of [
    // A year in, carrying the last 3 epochs' changes at the national event rate.
    [
      'steady',
      () => {
        const revocation = steady();
        return manifestJwt(EPOCH, revocation, steady(), nowSec, withChanges(revocation, CHANGE_WINDOW_EPOCHS * EVENTS_PER_EPOCH));
      },
    ],
    // Every list at another epoch and as many changes as a manifest may carry.
    [
      'worst',
      () => {
        const revocation = worst();
        return manifestJwt(EPOCH, revocation, worst(), nowSec, withChanges(revocation, MAX_MANIFEST_CHANGES));
      },
    ],
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
  const baseOffsets = randomOffsets(random, fillCount);
  const encoded = encodeStatusBits(listBytes(baseOffsets));
  const emptyEncoded = encodeStatusBits(new Uint8Array(LIST_SIZE / 8));
  // The held state: every revocation list changed at some earlier epoch (steady fill); suspension lists never changed.
  const before = Uint32Array.from({ length: LISTS }, (_, n) => 1 + (n % (EPOCH - 2)));
  const after = before.slice();
  // EVENTS_PER_EPOCH events (revocations at random entries) land on this many distinct lists.
  const entries = new Set();
  while (entries.size < EVENTS_PER_EPOCH) entries.add(Math.floor(random() * LISTS * LIST_SIZE));
  const changed = new Set([...entries].map((i) => Math.floor(i / LIST_SIZE)));
  for (const n of changed) after[n] = EPOCH;
  const none = new Uint32Array(0);
  const changes = { since: EPOCH - CHANGE_WINDOW_EPOCHS, set: { revocation: Uint32Array.from(entries).sort(), suspension: none }, clear: { revocation: none, suspension: none } };
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
        const n = Number(m[2]);
        // A revocation list at the new epoch holds its events' bits too.
        const events = Number(m[3]) === EPOCH && m[1] === 'revocation' ? [...entries].filter((i) => Math.floor(i / LIST_SIZE) === n).map((i) => i % LIST_SIZE) : [];
        const list = events.length > 0 ? encodeStatusBits(listBytes([...baseOffsets, ...events])) : m[1] === 'revocation' ? encoded : emptyEncoded;
        body = listJwt(m[1], n, Number(m[3]), list, nowSec - 60);
      }
      counter.bytes += body.length;
      counter.wireBytes += body.length >= 512 ? gzipSync(body, { level: 6 }).length : body.length;
      return { status: 200, body };
    },
  };
  const keyCache = { get: () => ({ alg: 'ES256', key: publicKey }) };
  let cache = new StatusListCache(keyCache, fetcher, { platform: PLATFORM, issuers: [{ did: ISSUER, url: ISSUER_URL }], concurrency: 16 });
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
  const heldBits = () => {
    // The verifier's answers for every event's entry (all revoked in the new epoch).
    let set = 0;
    for (const i of entries) {
      const n = Math.floor(i / LIST_SIZE);
      const url = statusListUrl(ISSUER_URL, PLATFORM, 'revocation', n);
      if (
        cache.lookup(
          { id: `${url}#${i % LIST_SIZE}`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(i % LIST_SIZE), statusListCredential: url },
          ISSUER,
        )
      )
        set++;
    }
    return set;
  };
  // One epoch for a verifier that held the previous manifest (the manifest's changes) and for one that fell
  // more than the change window behind (the manifest without usable changes: it fetches the moved lists).
  for (const [key, withDelta] of [
    ['verifierPerEpoch', true],
    ['verifierPerEpochBehind', false],
  ]) {
    if (!withDelta) {
      // The same verifier again at the previous epoch's state: a fresh cache, cold-started on the old manifest.
      docs.set('m', manifestJwt(EPOCH - 1, before, new Uint32Array(LISTS), nowSec - 60));
      cache.stop();
      cache = new StatusListCache(keyCache, fetcher, { platform: PLATFORM, issuers: [{ did: ISSUER, url: ISSUER_URL }], concurrency: 16 });
      await cache.refresh();
    }
    docs.set('m', manifestJwt(EPOCH, after, new Uint32Array(LISTS), nowSec, withDelta ? changes : undefined));
    counter.requests = 0;
    counter.bytes = 0;
    counter.wireBytes = 0;
    t = performance.now();
    await cache.refresh();
    out[key] = {
      events: EVENTS_PER_EPOCH,
      changedLists: changed.size,
      requests: counter.requests,
      bytes: counter.bytes,
      wireBytes: counter.wireBytes,
      ms: performance.now() - t,
    };
    if (cache.stats().staleLists !== 0 || cache.stats().epoch !== EPOCH) throw new Error('the verifier did not reach the new epoch');
    if (heldBits() !== EVENTS_PER_EPOCH) throw new Error("the verifier does not hold every event's bit");
    log(
      `S2 per epoch (${withDelta ? 'from the manifest' : 'behind the window'}): ${EVENTS_PER_EPOCH} events → ${changed.size} lists changed, ${counter.requests} requests, ${(counter.bytes / 1024).toFixed(0)} KiB (${(counter.wireBytes / 1024).toFixed(0)} KiB on the wire), ${out[key].ms.toFixed(0)} ms`,
    );
  }
  cache.stop();
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
    await initIssuer(issuer, { url: 'http://localhost:8443', capacity: DEFAULT_STATUS_CAPACITY });
    for (let p = 0; p < PLATFORMS; p++) await new PlatformService(issuer).add({ id: `p${p}`, name: `P${p}`, origins: [`https://p${p}.example`], claims: ['ageOver18'] });
    const { enrolled } = await new EnrollmentService(issuer).enrollMany(
      Array.from({ length: people * (RUNS + 1) }, () => ({ ...nationalId(), familyName: 'Zhang', givenName: 'San', gender: 'F', region: '11' })),
    );
    const status = new StatusService(issuer);
    await status.publish({});
    const platforms = await new PlatformService(issuer).list();
    const perPlatform = [];
    const perPlatformFixed = [];
    const perListSigned = [];
    let lists = 0;
    for (let r = 0; r <= RUNS; r++) {
      // The operator's side (revoke: staged changes) is not timed: one epoch's events, then one timed publish.
      for (const e of enrolled.slice(r * people, (r + 1) * people)) await status.revoke({ networkNumber: e.networkNumber });
      const t = performance.now();
      const p = await status.publish({});
      perPlatform.push((performance.now() - t) / PLATFORMS);
      lists = p.lists;
      // An epoch without changes costs the manifests alone: measured right after, to split the cost.
      const t2 = performance.now();
      await status.publish({});
      perPlatformFixed.push((performance.now() - t2) / PLATFORMS);
      // What an outside verifier's first request for a moved list costs (signed on demand, then stored): 20 of them.
      const moved = await issuer.ds.query("SELECT purpose, list_no FROM maskid_status_list WHERE jwt = '' LIMIT 20");
      const t3 = performance.now();
      for (const row of moved) await status.listVersion(platforms[0], row.purpose, Number(row.list_no));
      perListSigned.push((performance.now() - t3) / moved.length);
    }
    const platformMs = stats(perPlatform.slice(1));
    const fixed = stats(perPlatformFixed.slice(1));
    const listMs = stats(perListSigned.slice(1));
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
    const listsPerPlatform = lists / PLATFORMS;
    // National: 1,000 platforms, each with EVENTS_PER_EPOCH events: staged changes applied, lists moved, one manifest signed.
    const nationalSeconds = (1000 * platformMs.median) / 1000;
    // The design before signed every changed list in the epoch: its raw signatures alone (S2's changed lists per platform).
    const eagerSeconds = (1000 * out.verifierPerEpoch.changedLists * signMs.median) / 1000;
    out.publish = {
      platforms: PLATFORMS,
      eventsPerEpoch: people,
      listsMovedPerPlatform: listsPerPlatform,
      msPerPlatformEpoch: platformMs,
      msPerPlatformEmptyEpoch: fixed,
      msPerListSignedOnDemand: listMs,
      msPerRawSignature: signMs,
      nationalCoreSecondsPerEpoch: nationalSeconds,
      nationalCoreFraction: nationalSeconds / EPOCH_SECONDS,
      everyChangedListSignaturesCoreFraction: eagerSeconds / EPOCH_SECONDS,
    };
    log(
      `S4 publish: ${platformMs.median.toFixed(2)} ms per platform and epoch at ${people} events (${fixed.median.toFixed(2)} ms without changes); a list signed on demand ${listMs.median.toFixed(3)} ms (raw signature ${signMs.median.toFixed(3)} ms); 1,000 platforms → ${nationalSeconds.toFixed(1)} core-s per ${EPOCH_SECONDS} s epoch (${(100 * out.publish.nationalCoreFraction).toFixed(1)} % of a core; the raw signatures of every changed list: ${(100 * out.publish.everyChangedListSignaturesCoreFraction).toFixed(1)} %)`,
    );
  } finally {
    await issuer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(JSON.stringify(out) + '\n');

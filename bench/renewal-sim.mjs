// I4: the real renewal schedule, simulated. W wallets × P platforms over DAYS simulated days with a
// virtual clock and a seeded random source:
// - the wallet side is the holder's real policy (renewalTimeFor / dueForRenewal from @maskid/holder) on
//   the wake-up schedule the wallet uses (12 h + up to 6 h);
// - the issuer side is the real batch code and database: every wake-up with something due is one
//   CredentialService.issueBatch at the virtual time (SQLite, or PostgreSQL rows when
//   MASKID_POSTGRES_URL is set);
// - events: onboardings spread over the first 30 days, reissues (a new offer: everything re-fetched),
//   teenagers turning 18, a platform added on day 45, the signing key distrusted on day 60.
// It reports credentials issued per wallet per platform per validity period, issuer CPU per credential,
// token requests (wake-ups with something due) per wallet per day, and the time until every wallet holds
// credentials under a trusted key again after the distrust. Write transactions and rows per wake-up
// follow from the protocol (docs/issuance.md) and are counted, not measured, here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { didJwkFor, disclosedClaimsOf } from '@maskid/core';
import { dueForRenewal, renewalTimeFor, DEFAULT_RENEWAL } from '@maskid/holder';
import { Issuer, initIssuer, loadKek, EnrollmentService, PlatformService, CredentialService, findPerson, nationalIdCheckChar, validUntilFor } from '@maskid/issuer';

const W = Number(process.env.BENCH_SIM_WALLETS ?? 300);
const P = Number(process.env.BENCH_SIM_PLATFORMS ?? 60);
const DAYS = Number(process.env.BENCH_SIM_DAYS ?? 180);
const DAY = 86_400_000;
const HOUR = 3_600_000;
const log = (...a) => process.stderr.write(`bench: ${a.join(' ')}\n`);

/** mulberry32: a seeded uniform [0, 1) source. */
function seeded(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
const random = seeded(20261202);
const randomInt = (max) => Math.floor(random() * max);

const T0 = Date.UTC(2027, 0, 1);
const dir = mkdtempSync(join(tmpdir(), 'maskid-bench-sim-'));
const PG = process.env.MASKID_POSTGRES_URL;
const schema = `bench_sim_${process.pid}`;
const db = PG ? `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}` : undefined;
const issuer = await Issuer.open({ dataDir: dir, kek: loadKek({ dev: true }), dev: true, ...(db ? { db } : {}) }, true);
try {
  await initIssuer(issuer, { url: 'http://localhost:8443' });
  const platforms = new PlatformService(issuer);
  for (let i = 0; i < P; i++) await platforms.add({ id: `p${String(i).padStart(3, '0')}`, name: `Platform ${i}`, origins: [`https://p${i}.example`], claims: ['ageOver18'] });
  // People: 10 % turn 18 during the simulated days, the others are adults.
  const rows = Array.from({ length: W }, (_, i) => {
    const teen = i % 10 === 0;
    const birth = teen ? new Date(T0 - 18 * 365.25 * DAY + randomInt(DAYS) * DAY) : new Date(Date.UTC(1960, 0, 1) + randomInt(15_000) * DAY);
    const birthDate = birth.toISOString().slice(0, 10);
    const first17 = `110105${birthDate.replaceAll('-', '')}${String(i % 1000).padStart(3, '0')}`;
    return { nationalId: first17 + nationalIdCheckChar(first17), birthDate, familyName: '王', givenName: `Sim${i}`, gender: 'F', region: '11' };
  });
  const { enrolled, errors } = await new EnrollmentService(issuer).enrollMany(rows);
  if (errors.length) throw new Error(`enrolment: ${JSON.stringify(errors[0])}`);
  const holderPool = Array.from({ length: 64 }, () => didJwkFor(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' })));
  const credentials = new CredentialService(issuer, { random: randomInt });

  const ADD_DAY = Math.floor(DAYS / 2);
  const DISTRUST_DAY = Math.floor((DAYS * 2) / 3);
  const wallets = enrolled.map((e, i) => ({
    networkNumber: e.networkNumber,
    onboardAt: T0 + random() * Math.min(30, DAYS / 3) * DAY,
    reissueAt: i % 25 === 0 ? T0 + (35 + random() * (DAYS - 40)) * DAY : Infinity,
    held: new Map(),
    nextWake: 0,
    onboarded: false,
    reissued: false,
  }));
  const registryAt = (t) => {
    const ids = Array.from({ length: P }, (_, i) => `p${String(i).padStart(3, '0')}`);
    return t >= T0 + ADD_DAY * DAY ? [...ids, 'late'] : ids;
  };
  let added = false;
  const totals = { issued: 0, wakeUps: 0, wakeUpsWithDue: 0, batches: 0, cpuMicros: 0, wallMs: 0, perDay: new Array(DAYS + 2).fill(0), validityDays: 0, restoredAt: [] };
  const distrustAt = T0 + DISTRUST_DAY * DAY;
  // Validity issued and validity thrown away (a credential replaced before its validUntil), by reason.
  const waste = { routine: 0, distrust: 0, reissue: 0 };
  const byReason = { onboarding: 0, routine: 0, newPlatform: 0, expired: 0, distrust: 0, reissue: 0 };
  let issuedValidityMs = 0;
  // Credentials replaced by a routine renewal: their whole validity and the part used before the renewal.
  const routineReplaced = { validity: 0, used: 0 };
  const fetch = async (w, ids, now, reasonOf) => {
    for (const id of ids) {
      const reason = reasonOf(id);
      byReason[reason]++;
      const old = w.held.get(id);
      if (old && reason in waste) waste[reason] += Math.max(0, Date.parse(old.validUntil) - now);
      if (old && reason === 'routine') {
        routineReplaced.validity += Date.parse(old.validUntil) - old.issuedAt;
        routineReplaced.used += now - old.issuedAt;
      }
    }
    const person = await findPerson(issuer, w.networkNumber);
    const all = new Map((await platforms.list()).map((p) => [p.id, p]));
    const items = ids.map((id, k) => ({ platform: all.get(id), holder: holderPool[(k + w.held.size) % holderPool.length] }));
    const cpu = process.cpuUsage();
    const t = performance.now();
    const issued = await credentials.issueBatch(person, items, now);
    totals.wallMs += performance.now() - t;
    const used = process.cpuUsage(cpu);
    totals.cpuMicros += used.user + used.system;
    totals.batches++;
    w.lastContact = now;
    totals.issued += issued.length;
    totals.perDay[Math.floor((now - T0) / DAY)] += issued.length;
    for (const c of issued) {
      const validUntil = Date.parse(c.validUntil);
      totals.validityDays += (validUntil - now) / DAY;
      issuedValidityMs += validUntil - now;
      const claims = await disclosedClaimsOf(c.sdJwt);
      w.held.set(c.platform, { validUntil: c.validUntil, renewAt: new Date(renewalTimeFor({ validUntil, claims }, random)).toISOString(), issuedAt: now });
    }
  };
  // Held (wallet, platform) time, to express issuance per validity period.
  let heldMs = 0;
  const end = T0 + DAYS * DAY;
  // Event loop over wallets' wake-ups in time order.
  const queue = wallets.map((w) => ({ w, at: w.onboardAt }));
  const started = performance.now();
  while (queue.length) {
    let k = 0;
    for (let i = 1; i < queue.length; i++) if (queue[i].at < queue[k].at) k = i;
    const { w, at } = queue[k];
    if (at >= end) {
      queue.splice(k, 1);
      continue;
    }
    if (!added && at >= T0 + ADD_DAY * DAY) {
      await platforms.add({ id: 'late', name: 'Late platform', origins: ['https://late.example'], claims: ['ageOver18'] });
      added = true;
    }
    const registry = registryAt(at);
    if (!w.onboarded || (!w.reissued && at >= w.reissueAt)) {
      // Onboarding or a reissue's new offer: everything, at once.
      const reason = w.onboarded ? 'reissue' : 'onboarding';
      if (w.onboarded) w.reissued = true;
      w.onboarded = true;
      await fetch(w, registry, at, () => reason);
    } else {
      totals.wakeUps++;
      const untrusted = new Set([...w.held].filter(([, c]) => at >= distrustAt && c.issuedAt < distrustAt).map(([id]) => id));
      const due = dueForRenewal(registry, w.held, at, DEFAULT_RENEWAL, untrusted, w.lastContact);
      if (due.length) {
        totals.wakeUpsWithDue++;
        await fetch(w, due, at, (id) => {
          const c = w.held.get(id);
          if (!c) return 'newPlatform';
          if (untrusted.has(id)) return 'distrust';
          return Date.parse(c.validUntil) <= at ? 'expired' : 'routine';
        });
      }
      if (untrusted.size && at >= distrustAt) totals.restoredAt.push(at - distrustAt);
    }
    const next = at + 12 * HOUR + random() * 6 * HOUR;
    heldMs += (Math.min(next, end) - at) * w.held.size;
    queue[k] = { w, at: next };
  }
  const meanValidity = totals.validityDays / totals.issued;
  // The same policy at the national platform count, without the database (the issuer's real validUntil draw,
  // the holder's real renewal policy, wake-ups every 12–18 h): issuer contacts per wallet per day and
  // credentials per contact, in the steady state (after the first validity period).
  const national = (() => {
    const NP = Number(process.env.BENCH_SIM_NATIONAL_PLATFORMS ?? 400);
    const NW = 100;
    const ids = Array.from({ length: NP }, (_, i) => `n${i}`);
    let contacts = 0;
    let credentialsFetched = 0;
    const from = T0 + 70 * DAY;
    for (let i = 0; i < NW; i++) {
      const held = new Map();
      let lastContact;
      for (let at = T0 + random() * DAY; at < from + DAYS * DAY; at += 12 * HOUR + random() * 6 * HOUR) {
        const due = dueForRenewal(ids, held, at, DEFAULT_RENEWAL, new Set(), lastContact);
        if (due.length === 0) continue;
        lastContact = at;
        if (at >= from) {
          contacts++;
          credentialsFetched += due.length;
        }
        for (const id of due) {
          const validUntil = validUntilFor(at, 30, randomInt);
          held.set(id, { validUntil: new Date(validUntil).toISOString(), renewAt: new Date(renewalTimeFor({ validUntil, claims: {} }, random)).toISOString() });
        }
      }
    }
    return { platforms: NP, contactsPerWalletPerDay: contacts / (NW * DAYS), credentialsPerContact: credentialsFetched / contacts };
  })();
  const heldPlatformDays = heldMs / DAY;
  const busiest = Math.max(...totals.perDay);
  const out = {
    wallets: W,
    platforms: P,
    days: DAYS,
    issued: totals.issued,
    meanValidityDays: meanValidity,
    // Issued validity over the validity actually used: 1.00 = every credential used until it expires.
    issuedPerValidityUsed: issuedValidityMs / (issuedValidityMs - waste.routine - waste.distrust - waste.reissue),
    // What the renewal policy itself costs: for credentials replaced by a routine renewal, their validity
    // over the part used (a credential per validity period, were it used to the last day: 1.00).
    routineIssuedPerValidityUsed: routineReplaced.validity / routineReplaced.used,
    byReason,
    issuedPerWalletPlatformPerValidityPeriod: totals.issued / (heldPlatformDays / meanValidity),
    issuedPerWalletPlatformPer30Days: totals.issued / (heldPlatformDays / 30),
    issuerCpuMicrosPerCredential: totals.cpuMicros / totals.issued,
    batchWallMsPerCredential: totals.wallMs / totals.issued,
    wakeUpsPerWalletPerDay: totals.wakeUps / (W * DAYS),
    // Every batch (onboarding, reissue, or a wake-up with something due) is one token request.
    tokenRequestsPerWalletPerDay: totals.batches / (W * DAYS),
    wakeUpsWithDuePerWalletPerDay: totals.wakeUpsWithDue / (W * DAYS),
    busiestDayCredentials: busiest,
    busiestDay: totals.perDay.indexOf(busiest),
    addDay: ADD_DAY,
    distrustDay: DISTRUST_DAY,
    hoursUntilAllRestoredAfterDistrust: totals.restoredAt.length ? Math.max(...totals.restoredAt) / HOUR : null,
    perDay: totals.perDay.slice(0, DAYS),
    simulationSeconds: (performance.now() - started) / 1000,
    database: PG ? 'postgres' : 'sqlite',
    national,
  };
  log(
    `I4 ${W} wallets × ${P} platforms × ${DAYS} days: routine renewal ${out.routineIssuedPerValidityUsed.toFixed(3)} credentials per validity period used, all events ${out.issuedPerValidityUsed.toFixed(3)}; ` +
      `${out.issuedPerWalletPlatformPerValidityPeriod.toFixed(2)} per wallet, platform and ${out.meanValidityDays.toFixed(1)}-day period held (onboarding included); ${JSON.stringify(byReason)}; ` +
      `${out.issuerCpuMicrosPerCredential.toFixed(0)} µs issuer CPU per credential; busiest day ${out.busiestDay} (${busiest}); all restored ${out.hoursUntilAllRestoredAfterDistrust?.toFixed(1)} h after the distrust; ` +
      `at ${national.platforms} platforms ${national.contactsPerWalletPerDay.toFixed(2)} issuer contacts per wallet per day, ${national.credentialsPerContact.toFixed(1)} credentials each`,
  );
  process.stdout.write(JSON.stringify(out) + '\n');
} finally {
  if (PG) await issuer.ds.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
  await issuer.close();
  rmSync(dir, { recursive: true, force: true });
}

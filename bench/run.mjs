#!/usr/bin/env node
// `npm run bench`: every figure in one run → bench/results.json, bench/results.md, and the README table.
//   single-core.mjs  pinned to core 0: raw-crypto limit, engine, @sd-jwt/core, Veramo 7, scale curve
//   http.mjs         maskid-verifier pinned to core 0, autocannon pinned to core 1
//   issuer-bench.mjs one unpinned process: enrolment, issuance, KMS, batch, publish, memory
//   issuance.mjs     pinned to core 0: I0 signing limit, I1 @sd-jwt/core, I2 the agent's batch method
//   issuer-http.mjs  maskid-issuer serve pinned to core 0, wallets pinned to core 1: I3a batch, I3b standard
//   renewal-sim.mjs  I4: the wallet's renewal policy and the issuer's batch code over simulated days
//   status.mjs       pinned to core 0: S1 manifest, S2 a verifier's epoch, S3 memory and lookups, S4 publishing
//   freshness        R1: the revocation-freshness test (real processes, caching proxy) and its measured figures
// BENCH_QUICK=1 runs fewer, shorter rounds (a smoke test, not figures to quote).
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const env = {
  ...process.env,
  ...(quick ? { BENCH_RUNS: '1', BENCH_PEOPLE: '60', BENCH_HTTP_RUNS: '1', BENCH_HTTP_SECONDS: '3', BENCH_SIM_WALLETS: '60', BENCH_SIM_PLATFORMS: '20' } : {}),
};
const pin = existsSync('/usr/bin/taskset') ? (core, args) => ['taskset', ['-c', String(core), process.execPath, ...args]] : (_c, args) => [process.execPath, args];

function run(name, [cmd, args]) {
  process.stderr.write(`bench: ${name} …\n`);
  const r = spawnSync(cmd, args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${name} failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
}

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString(),
  quick,
};
const outDir = quick ? join(ROOT, 'bench/tmp') : join(ROOT, 'bench');
mkdirSync(outDir, { recursive: true });
// Every phase runs whatever happened to the one before, and results.json is written after each, so a
// failing phase loses its own figures only (its error is recorded in their place).
// BENCH_TABLE_ONLY=1 rewrites the tables from the results.json already there (after a change to the
// table code, without measuring again).
// BENCH_ONLY=status,freshness measures only those phases and keeps the other phases' figures from the
// results.json already there (their rows then come from another run: the table says which date).
const tableOnly = process.env.BENCH_TABLE_ONLY === '1';
const only = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : undefined;
const results = tableOnly || only ? JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) : { machine };
if (tableOnly) Object.assign(machine, results.machine);
/** Each phase: its key in results.json, its name, the command that measures it. */
const PHASES = [
  ['single', 'single-core verification', pin(0, [join(ROOT, 'bench/single-core.mjs')])],
  ['http', 'HTTP', [process.execPath, [join(ROOT, 'bench/http.mjs')]]],
  ['issuer', 'issuer', [process.execPath, ['--expose-gc', join(ROOT, 'bench/issuer-bench.mjs')]]],
  ['issuance', 'issuance (I0–I2)', pin(0, [join(ROOT, 'bench/issuance.mjs')])],
  ['issuerHttp', 'issuance over HTTP (I3)', pin(1, [join(ROOT, 'bench/issuer-http.mjs')])],
  ['renewal', 'simulated renewal (I4)', [process.execPath, [join(ROOT, 'bench/renewal-sim.mjs')]]],
  ['status', 'status at national size (S1–S4)', pin(0, ['--expose-gc', join(ROOT, 'bench/status.mjs')])],
  ['freshness', 'revocation freshness (R1)', [process.execPath, [join(ROOT, 'bench/freshness.mjs')]]],
];
// The date each phase was measured on (a partial run keeps the others' dates; older results.json files
// without it knew only the last partial run's phases).
const seeded = results.measuredOn ?? {};
for (const [key] of PHASES) {
  if (results[key] && !seeded[key]) seeded[key] = results.partial?.phases.includes(key) ? results.partial.date : (results.partial?.earlierPhasesFrom ?? results.machine?.date);
}
results.measuredOn = seeded;
delete results.partial;
const failures = [];
for (const [key, name, command] of tableOnly ? [] : PHASES.filter(([key]) => !only || only.has(key))) {
  try {
    results[key] = run(name, command);
    results.measuredOn[key] = machine.date;
  } catch (e) {
    results[key] = { failed: e.message };
    failures.push(`${name}: ${e.message}`);
    process.stderr.write(`bench: ${name} FAILED: ${e.message}\n`);
  }
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
}
if (tableOnly) for (const [key, value] of Object.entries(results)) if (value?.failed) failures.push(`${key}: ${value.failed}`);
const { single, http, issuer, issuance, issuerHttp, renewal, status, freshness } = results;

/** "Measured on D1: a, b; on D2: c." when the phases come from runs on different days, else nothing. */
function measuredOnLine(dates) {
  const byDay = new Map();
  for (const [key, date] of Object.entries(dates)) {
    const day = String(date).slice(0, 10);
    byDay.set(day, [...(byDay.get(day) ?? []), key]);
  }
  if (byDay.size < 2) return [];
  const days = [...byDay].sort(([a], [b]) => b.localeCompare(a));
  return [`Phases measured on ${days.map(([day, keys]) => `${day}: ${keys.join(', ')}`).join('; on ')}.`];
}

const f0 = (x) => Math.round(x).toLocaleString('en-US');
const f1 = (x) => x.toFixed(1);
const f2 = (x) => x.toFixed(2);
const range = (s, f = f0) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const ratio = (a, b) => (a / b).toFixed(2);
const L = single.limit?.median;
const ok = (phase) => phase && !phase.failed;
const rows = [
  `Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}; ${machine.date.slice(0, 10)}${quick ? ' — QUICK smoke run, not for quoting' : ''}.`,
  ...measuredOnLine(results.measuredOn),
  ...(ok(single)
    ? [
        `Each figure: median (min–max) of ${single.limit.runs} runs after a warm-up run. ${single.presentations} distinct real presentations (ES256 issuer and holder keys, 1 disclosure).`,
      ]
    : []),
  '',
  '| what | where | figure | vs limit |',
  '| --- | --- | --- | --- |',
  ...(ok(single) ? [`| (1) limit: 2 × ES256 verify + SHA-256 of disclosures and sd_hash | 1 core | ${range(single.limit)} logins/s | 1.00 |`] : []),
  ...(ok(single) ? [`| (1b) limit incl. importing a first-seen holder JWK | 1 core | ${range(single.limitCold)} logins/s | ${ratio(single.limitCold.median, L)} |`] : []),
  ...(ok(single)
    ? [
        `| (2) maskid engine, returning credentials (holder key cached), status checked | 1 core | ${range(single.engineWarm)} logins/s | **${ratio(single.engineWarm.median, L)}** |`,
      ]
    : []),
  ...(ok(single) && single.engineWarmVcld
    ? [
        `| (2c) the same engine, the same people's SD-JWT VCLD form (\`dc+sd-jwt\`), holder key cached, status checked | 1 core | ${range(single.engineWarmVcld)} logins/s | **${ratio(single.engineWarmVcld.median, L)}** (${single.vcldVsVcdm ? `${single.vcldVsVcdm.median.toFixed(2)} (${single.vcldVsVcdm.min.toFixed(2)}–${single.vcldVsVcdm.max.toFixed(2)}) of 2, paired per run` : ratio(single.engineWarmVcld.median, single.engineWarm.median)}) |`,
      ]
    : []),
  ...(ok(single)
    ? [
        `| (2b) maskid engine, every holder key first seen | 1 core | ${range(single.engine)} logins/s | ${ratio(single.engine.median, L)} (${ratio(single.engine.median, single.limitCold.median)} of 1b) |`,
      ]
    : []),
  ...(ok(http) && ok(single)
    ? [`| (3) HTTP \`POST /v1/presentations\` peak | service 1 core, load 1 core | ${range(http.peak)} req/s, ${http.peakErrors} errors | **${ratio(http.peak.median, L)}** |`]
    : []),
  ...(ok(http)
    ? [
        `| (3) HTTP at 50 % of peak, paced open-loop generator: p50 / p99 latency | same | ${range(http.half.p50, f1)} ms / ${range(http.half.p99, f1)} ms, ${http.half.errors} errors | |`,
      ]
    : []),
  ...(ok(http) && ok(single)
    ? [
        http.cluster.skipped
          ? `| (3) cluster: \`serve --replicas 2\` | skipped: ${http.cluster.skipped} | | |`
          : `| (3) cluster / all cores: \`serve --replicas 2\` (nonces in Redis), load generator on the same 2 cores | whole machine | ${range(http.cluster.peak)} req/s, ${http.cluster.errors} errors | ${ratio(http.cluster.peak.median, L)} (${ratio(http.cluster.peak.median, http.peak.median)}× 1 replica) |`,
      ]
    : []),
  ...(ok(single)
    ? [
        `| (4) @sd-jwt/core verify + key binding (no status) | 1 core | ${range(single.sdjwt)} logins/s | ${ratio(single.sdjwt.median, L)} (maskid ${ratio(single.engineWarm.median, single.sdjwt.median)}×) |`,
      ]
    : []),
  ...(ok(single)
    ? [
        `| (4) @sd-jwt/core + status list fetched per verify (as @sd-jwt/sd-jwt-vc does) | 1 core + loopback | ${range(single.sdjwtWithStatus)} logins/s | ${ratio(single.sdjwtWithStatus.median, L)} (maskid ${ratio(single.engineWarm.median, single.sdjwtWithStatus.median)}×) |`,
      ]
    : []),
  ...(ok(single)
    ? [
        `| (4) Veramo 7 verifyPresentation + verifyCredential, JWT VC/VP, same keys (no status) | 1 core | ${range(single.veramo)} logins/s | ${ratio(single.veramo.median, L)} (maskid ${ratio(single.engineWarm.median, single.veramo.median)}×) |`,
      ]
    : []),
  ...(ok(single)
    ? single.curve.map(
        (c) =>
          `| (6) engine with ${c.cachedLists} cached lists (holder keys first seen) | 1 core | ${f1(c.usPerLogin.median)} µs/login (${f1(c.usPerLogin.min)}–${f1(c.usPerLogin.max)}) | |`,
      )
    : []),
  ...(ok(issuer)
    ? issuer.csv
      ? [
          `| (5) \`maskid-issuer enroll --csv\` (SQLite), ${f0(issuer.csv.rows)} rows per file: the CLI's rows/s / whole process incl. start-up and CSV parsing | 1 process | ${range(issuer.csv.cliRowsPerSecond)} / ${range(issuer.csv.processRowsPerSecond)} rows/s | |`,
        ]
      : []
    : []),
  ...(ok(issuer) ? [`| (5) enrolment (SQLite, EnrollmentService.enrollMany, 2,000 rows in batches of 500) | 1 process | ${range(issuer.enrolRowsPerSecond)} rows/s | |`] : []),
  ...(ok(issuer)
    ? Object.entries(issuer.databases ?? {}).map(([db, d]) =>
        d.skipped
          ? `| (5) ${db}: skipped (${d.skipped}) | | | |`
          : `| (5) ${db}: enrolment (batches of 500) / issuance (CredentialService.issue, one at a time) | 1 process | ${range(d.enrolRowsPerSecond)} rows/s / ${range(d.issuePerSecond)} credentials/s | |`,
      )
    : []),
  ...(ok(issuer)
    ? [`| (5) keyManagerSign ES256: node:crypto KMS vs Veramo stock KMS | 1 process | ${range(issuer.kmsSignPerSecondNode)} vs ${range(issuer.kmsSignPerSecondStock)} /s | |`]
    : []),
  ...(ok(issuer)
    ? [
        `| (5) issuance through the Veramo agent: node:crypto KMS vs stock KMS | 1 process | ${range(issuer.issuePerSecondNodeKms)} vs ${range(issuer.issuePerSecondStockKms)} credentials/s | |`,
      ]
    : []),
  ...(ok(issuer) ? [`| (5) one person's batch for 500 platforms | 1 process | ${range(issuer.batch500PlatformsSeconds, (x) => x.toFixed(2))} s | |`] : []),
  ...(ok(issuer)
    ? [
        `| (5) publishing an epoch without changes: 1,048,576 entries × 2 purposes, manifest only (lists are re-signed only when they change) | 1 process | ${range(issuer.publish1MEntriesSeconds, (x) => x.toFixed(3))} s | |`,
      ]
    : []),
  ...(ok(issuer)
    ? [
        `| (5) verifier memory for ${f0(issuer.verifierMemory100MEntries.entries)} status entries (decoded lists held) | | ${f1(issuer.verifierMemory100MEntries.heldMiB ?? issuer.verifierMemory100MEntries.arrayBuffersMiB)} MiB | |`,
      ]
    : []),
  ...issuanceRows(),
  ...statusRows(),
  ...failures.map((f) => `| not measured: ${f.replaceAll('|', '/')} | | | |`),
];

/** I0–I5 (national issuance): ratios within one run; I5 computed from I2–I4 and the wallet's policy. */
function issuanceRows() {
  const out = [];
  if (ok(issuance)) {
    const I0 = issuance.limit.median;
    out.push(
      `| I0 limit: node:crypto ES256 sign of a ${f0(issuance.signingInputBytes)}-byte credential signing input + SHA-256 of its ${issuance.disclosures} disclosures | 1 core | ${range(issuance.limit)} credentials/s | 1.00 |`,
      ...(issuance.floor
        ? [
            `| I2 floor: I0 + the profile's own work per credential before any JSON (holder key point check, status index permutation, masked ID) | 1 core | ${range(issuance.floor)} credentials/s | ${ratio(issuance.floor.median, I0)} (I2 reaches ${ratio(issuance.batch.median, issuance.floor.median)} of it) |`,
          ]
        : []),
      `| I1 peer: @sd-jwt/core issuing the same claims and frame, node:crypto signer and hasher | 1 core | ${range(issuance.peer)} credentials/s | ${ratio(issuance.peer.median, I0)} |`,
      `| I2 maskid: one person × ${issuance.platforms} platforms through the agent's \`maskidIssueBatch\`, from database rows to SD-JWT strings | 1 core | ${range(issuance.batch)} credentials/s | **${ratio(issuance.batch.median, I0)}** (${ratio(issuance.batch.median, issuance.peer.median)}× I1) |`,
      ...(issuance.vcld
        ? [
            `| I2 in the SD-JWT VCLD form (\`dc+sd-jwt\`), the same batch | 1 core | ${range(issuance.vcld)} credentials/s | ${ratio(issuance.vcld.median, I0)} (${issuance.vcldVsVcdm.median.toFixed(2)} (${issuance.vcldVsVcdm.min.toFixed(2)}–${issuance.vcldVsVcdm.max.toFixed(2)}) of I2, paired per run) |`,
            `| I2 both forms of every platform in one batch (what the extension fetches: ${2 * issuance.platforms} credentials) | 1 core | ${range(issuance.bothForms)} credentials/s | ${ratio(issuance.bothForms.median, I0)} |`,
          ]
        : []),
      `| I2 before: the per-credential path (\`createVerifiableCredential\` per credential, same agent) | 1 core | ${range(issuance.perCredentialAgent)} credentials/s | ${ratio(issuance.perCredentialAgent.median, I0)} (batch ${ratio(issuance.batch.median, issuance.perCredentialAgent.median)}×) |`,
    );
  }
  if (ok(issuerHttp)) {
    out.push(
      `| I3a HTTP batch extension: \`serve\`'s CPU per credential, ${issuerHttp.wallets} wallets × ${issuerHttp.platforms} credentials per request | serve 1 core, wallets 1 core | ${range(issuerHttp.batchCpuMicrosPerCredential, f1)} µs (limit 1 verify + 1 sign: ${f1(issuerHttp.limitBatchMicros.median)} µs${issuerHttp.firstSeenKeyFloorMicros ? `; with the verified key seen for the first time, as every key proof's is: ${f1(issuerHttp.firstSeenKeyFloorMicros.median)} µs, of which maskid reaches ${issuerHttp.batchVsFirstSeenFloor.toFixed(2)}` : ''}) | **${issuerHttp.batchVsLimit.toFixed(2)}** |`,
      `| I3b HTTP standard requests (DPoP + key proof each): \`serve\`'s CPU per credential | same | ${range(issuerHttp.standardCpuMicrosPerCredential, f1)} µs (limit 2 verifies + 1 sign: ${f1(issuerHttp.limitStandardMicros.median)} µs) | **${issuerHttp.standardVsLimit.toFixed(2)}** |`,
      ...(issuerHttp.standardHttpFloorMicros?.median
        ? [
            `| I3b floor: the same load against a bare node:http server doing only the request's cryptography (DPoP key cached per wallet, the key proof's key imported per request), no database, tokens or credential building | same | ${range(issuerHttp.standardHttpFloorMicros, f1)} µs | ${issuerHttp.standardHttpFloorVsLimit.toFixed(2)} (maskid reaches ${issuerHttp.standardVsHttpFloor.toFixed(2)} of it) |`,
          ]
        : []),
      `| I3 one wallet's batch of ${issuerHttp.platforms} over loopback (one request) | same | ${range(issuerHttp.oneBatchWallMs, f0)} ms | |`,
      `| I3c a whole wake-up: token refresh, c_nonce and a batch of ${issuerHttp.wakeUpCredentials} credentials: \`serve\`'s CPU | same | ${range(issuerHttp.wakeUpCpuMicros, (x) => (x / 1000).toFixed(2))} ms | |`,
    );
  }
  if (ok(renewal)) {
    out.push(
      `| I4 simulated ${renewal.days} days, ${renewal.wallets} wallets × ${renewal.platforms} platforms (${renewal.database}): credentials issued per validity period used by routine renewal (mean validity ${f1(renewal.meanValidityDays)} days) | 1 process | **${renewal.routineIssuedPerValidityUsed.toFixed(2)}**; with every event (reissues, the distrusted key) ${renewal.issuedPerValidityUsed.toFixed(2)}; ${renewal.issuedPerWalletPlatformPerValidityPeriod.toFixed(2)} per wallet, platform and period held, onboarding included; token requests ${renewal.tokenRequestsPerWalletPerDay.toFixed(2)} per wallet per day; ${f0(renewal.issuerCpuMicrosPerCredential)} µs issuer CPU per credential (small batches) | |`,
      `| I4 after the signing key is distrusted (day ${renewal.distrustDay}): until every wallet holds credentials under a trusted key again | | ${renewal.hoursUntilAllRestoredAfterDistrust?.toFixed(1)} h | |`,
    );
  }
  if (ok(renewal) && ok(issuerHttp)) {
    // 1.4 × 10⁹ people, 400 platforms, one wallet each (× wallets per person), renewal as I4 measured it.
    // The issuer pays the fixed cost of a contact (token refresh, c_nonce, the batch request: I3c with its
    // credentials) as often as the wallet's policy contacts it at 400 platforms (I4's national pass: routine
    // renewals gathered, about every second wake-up), plus I3a's cost for each credential beyond I3c's.
    const people = 1.4e9;
    const platforms = 400;
    const contactsPerDay = renewal.national?.contactsPerWalletPerDay ?? 24 / 15;
    const wakeUpsPerSecond = (people * contactsPerDay) / 86_400;
    const routine = (people * platforms * renewal.routineIssuedPerValidityUsed) / (renewal.meanValidityDays * 86_400);
    const added = people / (18 * 3600);
    const perWakeUp = routine / wakeUpsPerSecond;
    const wakeUpMicros = issuerHttp.wakeUpCpuMicros.median + Math.max(0, perWakeUp - issuerHttp.wakeUpCredentials) * issuerHttp.batchCpuMicrosPerCredential.median;
    const routineCores = (wakeUpsPerSecond * wakeUpMicros) / 1e6;
    const addedCores = (added * issuerHttp.batchCpuMicrosPerCredential.median) / 1e6;
    const distrust = (people * platforms) / (18 * 3600);
    const distrustCores = (distrust * issuerHttp.batchCpuMicrosPerCredential.median) / 1e6;
    out.push(
      `| I5 national, routine: 1.4 × 10⁹ people × 400 platforms, one wallet each; ${f2(contactsPerDay)} issuer contacts per wallet per day (I4 at 400 platforms: routine renewals gathered a day) → ${f0(wakeUpsPerSecond)} contacts/s with ≈ ${f1(perWakeUp)} credentials each (${f0(routine)} credentials/s) at I3c's cost per contact | issuer cores | **${f0(routineCores)} cores** on this run's machine, ${f0(routineCores * (100 / issuerHttp.limitBatchMicros.median))} where the limit of 1 verify + 1 sign takes 100 µs (this run: ${f1(issuerHttp.limitBatchMicros.median)} µs) (${f0((wakeUpsPerSecond * Math.max(0, issuerHttp.wakeUpCpuMicros.median - issuerHttp.wakeUpCredentials * issuerHttp.batchCpuMicrosPerCredential.median)) / 1e6)} of them the contacts' fixed cost: token refresh, c_nonce, the batch request's own work); 2 write transactions per contact (the token rotation with its DPoP jti row, counted by a test; a DPoP jti row for the batch request), 0 rows per credential; × wallets per person | |`,
      `| I5 routine if every platform's registry entry named both forms (wallets hold a platform's credentials only in the forms it names, default one; with both everywhere the extension holds ≈ ${f1(2 * perWakeUp)} credentials per contact, the same contacts; the VCLD form costs what the VCDM form does, I2 above) | issuer cores | ${f0((wakeUpsPerSecond * (issuerHttp.wakeUpCpuMicros.median + Math.max(0, 2 * perWakeUp - issuerHttp.wakeUpCredentials) * issuerHttp.batchCpuMicrosPerCredential.median)) / 1e6)} cores | |`,
      `| I5 busiest day: a platform added (every wallet fetches it at its next wake-up, within 18 h) | issuer cores | + ${f0(addedCores)} cores over the routine load | |`,
      `| I5 a distrusted signing key: every credential again within one wake-up (18 h) | issuer cores | ${f0(distrust)} credentials/s → ${f0(distrustCores)} cores for 18 h; with the routine fleet: ${f1((people * platforms * issuerHttp.batchCpuMicrosPerCredential.median) / 1e6 / routineCores / 86_400)} days | |`,
    );
  }
  return out;
}
/** R1 and S1–S4 (revocation at national size): counts, bytes and ratios within one run. */
function statusRows() {
  const out = [];
  const kib = (b) => `${f0(b / 1024)} KiB`;
  if (ok(freshness)) {
    out.push(
      `| R1 \`revoke\` (CLI returns) → first refused presentation, real processes behind a caching proxy (E ${freshness.epochSeconds} s, Q ${freshness.pollMs / 1000} s) | whole machine | revoke ${f0(freshness.revokeMs)} ms, suspend ${f0(freshness.suspendMs)} ms, resume ${f0(freshness.resumeMs)} ms | bound ${f0(freshness.boundMs)} ms (1.25 E + Q + ${f0(freshness.fetchMs)} ms manifest fetch + sign-in cadence); demo (E 15 s, Q 15 s): about 35 s |`,
    );
  }
  if (!ok(status)) return out;
  const s = status;
  out.push(
    `| S1 manifest for 2 × ${f0(s.lists)} lists, a year of ${s.epochSeconds / 60}-minute epochs with the last 3 epochs' changes / worst case (every list at another epoch, 16,384 changes) | | ${kib(s.manifest_steady.bytes)} (${kib(s.manifest_steady.gzipBytes)} gzipped) / ${kib(s.manifest_worst.bytes)} (${kib(s.manifest_worst.gzipBytes)} gzipped); limit from the capacity ${kib(s.manifest_worst.limitBytes)} | target ≤ 256 KiB gzipped |`,
    `| S1 manifest verify + parse (ES256, both packed arrays, the changes, rollback check against the held one) | 1 core | ${range(s.manifest_steady.verifyParseMs, (x) => x.toFixed(1))} / ${range(s.manifest_worst.verifyParseMs, (x) => x.toFixed(1))} ms | target ≤ 20 ms |`,
    `| S2 one verifier per epoch at ${f0(s.eventsPerEpoch)} person-events per ${s.epochSeconds / 60}-minute epoch (steady fill ${(100 * s.steadyFill).toFixed(2)} %: the last ${s.clearDays} days of events) | real StatusListCache | **${f0(s.verifierPerEpoch.requests)} request** (the manifest; its changes move ${f0(s.verifierPerEpoch.changedLists)} lists), **${kib(s.verifierPerEpoch.wireBytes)}** on the wire with GZIP (${kib(s.verifierPerEpoch.bytes)} decoded), ${f0(s.verifierPerEpoch.ms)} ms | target ≤ 1 + changed, ≤ 1,024 KiB |`,
    `| S2 the same epoch for a verifier more than 3 epochs behind (the manifest's changes do not reach back: it fetches the moved lists) | same | ${f0(s.verifierPerEpochBehind.requests)} requests (1 + ${f0(s.verifierPerEpochBehind.changedLists)}), ${kib(s.verifierPerEpochBehind.wireBytes)} on the wire (${kib(s.verifierPerEpochBehind.bytes)} decoded), ${f0(s.verifierPerEpochBehind.ms)} ms | |`,
    `| S2 a verifier's cold start (every list fetched once) | same | ${f0(s.verifierColdStart.requests)} requests, ${f1(s.verifierColdStart.wireBytes / 2 ** 20)} MiB on the wire, ${f1(s.verifierColdStart.seconds)} s; ${f0(s.verifierColdStart.heldMiB)} MiB held | |`,
    `| S3 verifier memory, 2 purposes × 2³¹ at 1 % set: CompactBits (bytes held / process heap growth) vs dense bits vs CRoaring | | **${f0(s.memory.onePercent.compactMiB)} MiB** / ${f0(s.memory.onePercent.processMiB)} MiB vs ${f0(s.memory.onePercent.denseMiB)} MiB vs ${f0(s.memory.onePercent.roaringMiB)} MiB | target ≤ 128 MiB |`,
    `| S3 after 3 simulated years of reissues at 5 % a year: cleared after ${s.clearDays} days (revocation fill ${(100 * s.memory.threeYearsCleared.fills[0]).toFixed(2)} %) / never cleared (16 %) | | **${f0(s.memory.threeYearsCleared.compactMiB)} MiB** / ${f0(s.memory.threeYearsNotCleared.compactMiB)} MiB (dense ${f0(s.memory.threeYearsNotCleared.denseMiB)} MiB) | target ≤ 128 MiB |`,
    `| S3 status lookup at 1 %: CompactBits vs dense bits vs CRoaring (roaring-wasm) | 1 core | ${range(s.lookupNs.compact, f0)} ns vs ${range(s.lookupNs.dense, f0)} ns vs ${range(s.lookupNs.roaring, f0)} ns | target ≤ 1,000 ns |`,
    `| S4 publishing one platform's epoch at ${f0(s.publish.eventsPerEpoch)} events (staged changes applied, ${f0(s.publish.listsMovedPerPlatform)} lists moved unsigned, the manifest with its changes signed) / without changes | 1 core | ${range(s.publish.msPerPlatformEpoch, (x) => x.toFixed(1))} ms / ${range(s.publish.msPerPlatformEmptyEpoch, (x) => x.toFixed(1))} ms | |`,
    `| S4 a list signed on demand (an outside verifier's first request for a moved list: bits, encode, sign through the agent, store) / a raw ES256 signature, same run | 1 core | ${range(s.publish.msPerListSignedOnDemand, (x) => (x * 1000).toFixed(0))} µs / ${range(s.publish.msPerRawSignature, (x) => (x * 1000).toFixed(0))} µs | ${ratio(s.publish.msPerRawSignature.median, s.publish.msPerListSignedOnDemand.median)} of the signing limit |`,
    `| S4 one epoch for 1,000 platforms × 2³¹ at ${f0(s.eventsPerEpoch)} events / the raw ES256 signatures alone of signing every changed list (${f0(s.verifierPerEpoch.changedLists)} per platform) in the epoch, as before | 1 core | **${(100 * s.publish.nationalCoreFraction).toFixed(1)} %** / ${(100 * s.publish.everyChangedListSignaturesCoreFraction).toFixed(1)} % of a core per epoch (the whole publication before: ~50 %) | target ≤ 10 % |`,
  );
  return out;
}
const md = rows.join('\n');
writeFileSync(join(outDir, 'results.md'), md + '\n');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';
if (readme.includes(start) && !quick)
  writeFileSync(join(ROOT, 'README.md'), readme.slice(0, readme.indexOf(start) + start.length) + '\n' + md + '\n' + readme.slice(readme.indexOf(end)));
// The written files pass `npm run lint` as they are (biome aligns the tables).
if (!quick)
  spawnSync(process.execPath, [join(ROOT, 'node_modules/@biomejs/biome/bin/biome'), 'format', '--write', 'README.md', 'bench/results.md', 'bench/results.json'], {
    cwd: ROOT,
    stdio: 'ignore',
  });
process.stderr.write(`bench: wrote ${outDir}/results.json and results.md${quick ? '' : ' and the README table'}\n`);
console.log(md);
if (failures.length > 0) process.exitCode = 1;

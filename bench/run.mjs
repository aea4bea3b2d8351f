#!/usr/bin/env node
// `npm run bench`: every figure in one run → bench/results.json, bench/results.md, and the README table.
//   single-core.mjs  pinned to core 0: raw-crypto limit, engine, @sd-jwt/core, Veramo 7, scale curve
//   http.mjs         maskid-verifier pinned to core 0, autocannon pinned to core 1
//   issuer-bench.mjs one unpinned process: enrolment, issuance, KMS, batch, publish, memory
// BENCH_QUICK=1 runs fewer, shorter rounds (a smoke test, not figures to quote).
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const quick = process.env.BENCH_QUICK === '1';
const env = { ...process.env, ...(quick ? { BENCH_RUNS: '1', BENCH_PEOPLE: '60', BENCH_HTTP_RUNS: '1', BENCH_HTTP_SECONDS: '3' } : {}) };
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
const results = { machine };
const failures = [];
for (const [key, name, command] of [
  ['single', 'single-core verification', pin(0, [join(ROOT, 'bench/single-core.mjs')])],
  ['http', 'HTTP', [process.execPath, [join(ROOT, 'bench/http.mjs')]]],
  ['issuer', 'issuer', [process.execPath, ['--expose-gc', join(ROOT, 'bench/issuer-bench.mjs')]]],
]) {
  try {
    results[key] = run(name, command);
  } catch (e) {
    results[key] = { failed: e.message };
    failures.push(`${name}: ${e.message}`);
    process.stderr.write(`bench: ${name} FAILED: ${e.message}\n`);
  }
  writeFileSync(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
}
const { single, http, issuer } = results;

const f0 = (x) => Math.round(x).toLocaleString('en-US');
const f1 = (x) => x.toFixed(1);
const range = (s, f = f0) => `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
const ratio = (a, b) => (a / b).toFixed(2);
const L = single.limit?.median;
const ok = (phase) => phase && !phase.failed;
const rows = [
  `Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}; ${machine.date.slice(0, 10)}${quick ? ' — QUICK smoke run, not for quoting' : ''}.`,
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
  ...failures.map((f) => `| not measured: ${f.replaceAll('|', '/')} | | | |`),
];
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

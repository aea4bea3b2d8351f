// HTTP figures: maskid-verifier pinned to core 0, the load generator pinned to core 1.
// Every request carries a distinct, valid presentation for its own request (nonce).
// BENCH_TRACE_GC=FILE traces the service's GC into FILE and prints the load generators' GC pauses of
// 5 ms or more (a generator's pause is charged to the service as latency).
import { spawn, spawnSync } from 'node:child_process';
import { createPrivateKey, createHash, sign } from 'node:crypto';
import * as fs from 'node:fs';
import { existsSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
const require_fs = () => fs;
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issuerFixture, freePort, ORIGIN, stats } from './fixture.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DURATION = Number(process.env.BENCH_HTTP_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_HTTP_RUNS ?? 5);
const log = (...a) => process.stderr.write(`bench: ${a.join(' ')}\n`);
const b64 = (s) => Buffer.from(s).toString('base64url');

const fx = await issuerFixture({ people: 100 });
// Request bodies (tens to hundreds of MB per run) go to tmpfs where there is one, so no disk writeback
// of them runs during the measured run that follows.
const tmp = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'maskid-bench-http-'));
const port = await freePort();
writeFileSync(join(tmp, 'config.json'), JSON.stringify({ ...fx.verifierConfig, port, host: '127.0.0.1' }));
/** Starts `maskid-verifier serve` (pinned to core 0, or with `--replicas 2` on every core) and waits for /healthz. */
async function startService(replicas) {
  const args = [
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : []),
    ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
    join(ROOT, 'packages/verifier/bin/maskid-verifier.js'),
    'serve',
    '--config',
    join(tmp, 'config.json'),
    ...(replicas > 1 ? ['--replicas', String(replicas), '--redis-url', REDIS] : []),
  ];
  const out = process.env.BENCH_TRACE_GC ? fs.openSync(process.env.BENCH_TRACE_GC, 'a') : 'ignore';
  const child =
    replicas > 1
      ? spawn(process.execPath, args, { stdio: ['ignore', out, 'pipe'], env: { ...process.env, MASKID_LOG_LEVEL: 'warn' } })
      : spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['ignore', out, 'pipe'], env: { ...process.env, MASKID_LOG_LEVEL: 'warn' } });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  child.on('exit', (code) => {
    if (code) process.stderr.write(`bench: verifier exited ${code}: ${err}\n`);
  });
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok && (replicas === 1 || (err.match(/listening on/g) ?? []).length >= replicas)) break;
    } catch {
      /* starting */
    }
    if (i > 150) throw new Error(`verifier did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return child;
}
const REDIS = process.env.MASKID_REDIS_URL ?? 'redis://127.0.0.1:6379';
const base = `http://127.0.0.1:${port}`;
let service = await startService(1);

// Each credential with only its ageOver18 disclosure, and its holder's private key.
const creds = await Promise.all(
  fx.presentations.map(async (p, i) => {
    const parts = p.sdJwt.split('~');
    const disclosure = parts.slice(1).find((d) => d && JSON.parse(Buffer.from(d, 'base64url'))[1] === 'ageOver18');
    const key = createPrivateKey({ key: await crypto.subtle.exportKey('jwk', fx.holders[i].kp.privateKey), format: 'jwk' });
    const sd = `${parts[0]}~${disclosure}~`;
    return { sd, key, sdHash: createHash('sha256').update(sd).digest('base64url') };
  }),
);

/** Creates `n` requests on the service (64 at a time, kept-alive) and a valid presentation body for each. */
async function bodies(n) {
  const out = new Array(n);
  const now = Math.floor(Date.now() / 1000);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const createRequest = () =>
    new Promise((resolve, reject) => {
      const req = request(`${base}/v1/requests`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => (res.statusCode === 201 ? resolve(JSON.parse(text)) : reject(new Error(`POST /v1/requests: ${res.statusCode} ${text}`))));
      });
      req.on('error', reject);
      req.end('{"claims":["ageOver18"]}');
    });
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < n) {
        const i = next++;
        let r;
        for (let attempt = 0; !r; attempt++) {
          try {
            r = await createRequest();
          } catch (e) {
            // 503 ERR_OVERLOADED while 64 creations run at once: back off as Retry-After asks.
            if (attempt > 100) throw e;
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        const c = creds[i % creds.length];
        const input = `${b64('{"typ":"kb+jwt","alg":"ES256"}')}.${b64(JSON.stringify({ iat: now, aud: `origin:${ORIGIN}`, nonce: r.request.data.nonce, sd_hash: c.sdHash }))}`;
        const kb = `${input}.${sign('sha256', Buffer.from(input), { key: c.key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
        out[i] = JSON.stringify({ requestId: r.requestId, origin: ORIGIN, vp_token: { internet_id: [c.sd + kb] } });
      }
    }),
  );
  agent.destroy();
  const file = join(tmp, `bodies-${Date.now()}-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(out));
  return file;
}

/** CPU seconds used so far by the service process (user + system). */
function serviceCpu() {
  try {
    const pid = service.pid;
    const children = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .filter(Boolean);
    const target = children[0] ?? pid;
    const f = require_fs().readFileSync(`/proc/${target}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Peak (rate 0): autocannon, closed loop. A fixed rate: bench/paced.mjs, open loop, evenly spaced. */
function load(file, rate, connections = 32, pinned = true) {
  const cpu0 = serviceCpu();
  const generator = rate > 0 ? 'bench/paced.mjs' : 'bench/load.mjs';
  const cmd = [
    process.execPath,
    '--expose-gc',
    ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : []),
    join(ROOT, generator),
    `${base}`,
    file,
    String(DURATION),
    String(rate),
    String(connections),
  ];
  const r = pinned
    ? spawnSync('taskset', ['-c', '1', ...cmd], { encoding: 'utf8', maxBuffer: 1 << 24 })
    : spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', maxBuffer: 1 << 24 });
  rmSync(file, { force: true });
  if (r.status !== 0) throw new Error(r.stderr);
  if (process.env.BENCH_TRACE_GC) fs.appendFileSync(process.env.BENCH_TRACE_GC, `--- generator ${generator} rate ${rate}\n`);
  if (process.env.BENCH_TRACE_GC)
    process.stderr.write(
      r.stdout
        .split('\n')
        .filter((l) => /Mark-Compact|Scavenge|Mark-sweep/.test(l) && / (\d{2,}|[5-9])\.\d+ \/ /.test(l))
        .join('\n') + '\n',
    );
  const out = JSON.parse(
    r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .at(-1),
  );
  out.serviceCpuShare = (serviceCpu() - cpu0) / DURATION;
  return out;
}

/**
 * Requests to create for a closed-loop run: `firstRate` per second the first time, then 1.5× the best
 * peak so far. Every request left unanswered stays in the service's nonce store until its ttl, and
 * 60,000 of them per run made the heap, and its GC pauses, grow run after run.
 */
const bodyCount = (previous, firstRate) => Math.ceil((previous.length ? 1.5 * Math.max(...previous.map((p) => p.rps)) : firstRate) * DURATION);

/**
 * A closed-loop peak run with enough distinct presentations. When the service outran them (a faster
 * machine, or the cluster outrunning the single-replica estimate), the run is not counted: the bodies
 * are made again, sized from the rate just measured, and the run repeated (at most 4 times).
 */
async function peakRun(previous, firstRate, ...loadArgs) {
  let count = bodyCount(previous, firstRate);
  for (let attempt = 0; attempt < 4; attempt++) {
    const peak = load(await bodies(count), 0, ...loadArgs);
    if (!peak.reused) return peak;
    log(`http: the service answered all ${count} presentations before the run ended (${peak.rps.toFixed(0)}/s): more, and again`);
    count = Math.ceil(Math.max(2 * count, 2 * peak.rps * DURATION));
  }
  throw new Error(`ran out of distinct presentations four times (last ${count})`);
}
const peaks = [];
const halves = [];
const clusterPeaks = [];
let clusterSkipped;
try {
  // Run 0 warms the service up (its JIT; the cold peak was as low as 0.55 of the next) and is not counted.
  let warmUp;
  for (let run = 0; run <= RUNS; run++) {
    const peak = await peakRun(warmUp ? [warmUp, ...peaks] : [], 9000);
    if (!warmUp) {
      warmUp = peak;
      log(`http: warm-up peak ${peak.rps.toFixed(0)}/s (not counted)`);
      continue;
    }
    peaks.push(peak);
    const half = load(await bodies(Math.ceil((peak.rps / 2) * DURATION * 1.2)), Math.round(peak.rps / 2));
    halves.push(half);
    log(
      `http: peak ${peak.rps.toFixed(0)}/s (service core busy ${(peak.serviceCpuShare * 100).toFixed(0)}%, non-2xx ${peak.non2xx}, errors ${peak.errors}); half ${half.rps.toFixed(0)}/s p50 ${half.p50} ms p99 ${half.p99} ms (non-2xx ${half.non2xx})`,
    );
  }
  // Cluster / all cores: `serve --replicas 2` (nonces in Redis) with the load generator sharing the
  // same 2 cores (nothing pinned) — the whole machine, not a per-core figure.
  service.kill('SIGTERM');
  await new Promise((r) => service.once('exit', r));
  try {
    const { createClient } = await import('redis');
    // No reconnecting: an unreachable Redis must skip the figure, not wait forever.
    const c = createClient({ url: REDIS, socket: { reconnectStrategy: false, connectTimeout: 2000 } });
    c.on('error', () => undefined);
    await c.connect();
    await c.quit();
  } catch (e) {
    clusterSkipped = `Redis not reachable at ${REDIS} (${e.message})`;
  }
  if (!clusterSkipped) {
    service = await startService(2);
    let clusterWarmUp;
    for (let run = 0; run <= RUNS; run++) {
      // The first cluster run is sized from the single replica's best peak (two replicas: about twice it).
      const peak = await peakRun(clusterWarmUp ? [clusterWarmUp, ...clusterPeaks] : [], 2.5 * Math.max(...peaks.map((p) => p.rps)), 64, false);
      if (!clusterWarmUp) {
        clusterWarmUp = peak;
        log(`http: cluster warm-up peak ${peak.rps.toFixed(0)}/s (not counted)`);
        continue;
      }
      clusterPeaks.push(peak);
      log(`http: 2 replicas + load generator on 2 cores: peak ${peak.rps.toFixed(0)}/s (non-2xx ${peak.non2xx}, errors ${peak.errors})`);
    }
  } else {
    log(`http: cluster figure skipped: ${clusterSkipped}`);
  }
} finally {
  if (service.exitCode === null && service.signalCode === null) {
    service.kill('SIGTERM');
    await new Promise((r) => service.once('exit', r));
  }
  await fx.close();
  rmSync(tmp, { recursive: true, force: true });
}
process.stdout.write(
  JSON.stringify({
    peak: stats(peaks.map((p) => p.rps)),
    peakErrors: peaks.reduce((a, p) => a + p.errors + p.non2xx + p.timeouts, 0),
    cluster: clusterSkipped
      ? { skipped: clusterSkipped }
      : { replicas: 2, peak: stats(clusterPeaks.map((p) => p.rps)), errors: clusterPeaks.reduce((a, p) => a + p.errors + p.non2xx + p.timeouts, 0) },
    half: {
      rps: stats(halves.map((h) => h.rps)),
      p50: stats(halves.map((h) => h.p50)),
      p99: stats(halves.map((h) => h.p99)),
      errors: halves.reduce((a, h) => a + h.errors + h.non2xx + h.timeouts, 0),
    },
  }) + '\n',
);

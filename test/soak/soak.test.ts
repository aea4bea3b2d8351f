/**
 * Soak: the verifier (its own process, pinned to core 0) first gets its peak measured with a
 * closed-loop login load (pinned to core 1), then twice that peak, open loop, for 60 s, then a light
 * load again. It must answer every login (200, or 503 ERR_OVERLOADED while it sheds), never crash or
 * give another 5xx, keep its memory bounded, and come back to its normal latency afterwards.
 * `MASKID_SOAK_SECONDS` shortens the overload phase for local runs.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { didJwkFor, parseSdJwt, type Jwk } from '@maskid/core';
import { CredentialService } from '@maskid/issuer';
import { startIssuer, enrollPerson, type RunningIssuer } from '../issuer-server.js';
import { tempDir } from '../helpers.js';

const SERVER = fileURLToPath(new URL('./soak-server.js', import.meta.url));
const LOAD = fileURLToPath(new URL('./soak-load.js', import.meta.url));
const SOAK_SECONDS = Number(process.env['MASKID_SOAK_SECONDS'] ?? 60);
const TASKSET = existsSync('/usr/bin/taskset');
const pinned = (core: number, args: string[]): [string, string[]] => (TASKSET ? ['taskset', ['-c', String(core), process.execPath, ...args]] : [process.execPath, args]);

interface PhaseResult {
  name: string;
  offered: number;
  answered: number;
  offeredPerSecond: number;
  okPerSecond: number;
  rate: number;
  byStatus: Record<string, number>;
  codes: Record<string, number>;
  p50: number;
  p99: number;
  max: number;
  perSecond: { ok: number; shed: number; other: number }[];
}

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
};

describe(`soak: 2× measured peak for ${SOAK_SECONDS} s`, { timeout: (SOAK_SECONDS + 120) * 1000 }, () => {
  let server: RunningIssuer;
  let verifier: ChildProcess;
  let port: number;
  let dir: string;
  let cleanup: () => void;
  let logFile: string;
  const origin = 'https://soak.example';

  before(async () => {
    ({ dir, cleanup } = tempDir('maskid-soak-'));
    server = await startIssuer({ platforms: [{ id: 'soak', claims: ['ageOver18'], origin }] });
    logFile = join(dir, 'verifier.log');
    const log = openSync(logFile, 'w');
    const [cmd, args] = pinned(0, [SERVER, server.url, server.anchor.rootThumbprint, 'soak', origin]);
    verifier = spawn(cmd, args, { stdio: ['ignore', 'ignore', log, 'ipc'] });
    closeSync(log);
    port = await new Promise<number>((resolve, reject) => {
      const early = (code: number | null) => reject(new Error(`verifier exited ${code}: ${readFileSync(logFile, 'utf8').slice(-1000)}`));
      verifier.once('exit', early);
      verifier.once('message', (m) => {
        verifier.off('exit', early);
        resolve((m as { port: number }).port);
      });
    });
  });
  after(async () => {
    verifier?.kill('SIGTERM');
    await server?.close();
    cleanup?.();
  });

  it('answers every login (200 or 503 ERR_OVERLOADED), stays up with bounded memory, and recovers its latency', async (t) => {
    // 50 people, one credential each for the platform; the load signs a fresh KB-JWT per login.
    const credentials = [];
    for (let i = 0; i < 50; i++) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const jwk = publicKey.export({ format: 'jwk' }) as Jwk;
      const c = await new CredentialService(server.issuer).issue({
        networkNumber: await enrollPerson(server.issuer),
        platformId: 'soak',
        holder: didJwkFor({ kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! }),
      });
      const parsed = parseSdJwt(c.sdJwt);
      const disclosure = parsed.disclosures.find((d) => (JSON.parse(Buffer.from(d, 'base64url').toString()) as unknown[])[1] === 'ageOver18')!;
      credentials.push({ prefix: `${parsed.jwtCompact}~${disclosure}~`, privateJwk: privateKey.export({ format: 'jwk' }) });
    }
    const configFile = join(dir, 'load.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        url: `http://127.0.0.1:${port}`,
        origin,
        credentials,
        phases: [
          // Light load is a fraction of the peak measured in this run, not a fixed rate: on a machine whose
          // cores are shared (two CPU hogs) the peak fell to ~180/s and a fixed 100/s was over half of it.
          { name: 'warm-up', mode: 'open', rate: 20, seconds: 2, connections: 8 },
          { name: 'peak', mode: 'closed', seconds: 5, connections: 64 },
          { name: 'baseline', mode: 'open', peakFactor: 0.2, seconds: 3, connections: 16, pauseBefore: 2 },
          { name: 'overload', mode: 'open', peakFactor: 2, seconds: SOAK_SECONDS, connections: 256 },
          // After the overload the process settles at light load (the heap it grew is collected then: in a 5 s
          // window right after the overload one run saw a 44 ms p99, another 11 logins shed during a pause), and
          // recovery is judged on the 5 s after that.
          { name: 'settle', mode: 'open', peakFactor: 0.2, seconds: 5, connections: 16, pauseBefore: 2 },
          { name: 'recovery', mode: 'open', peakFactor: 0.2, seconds: 5, connections: 16 },
        ],
      }),
    );

    const rss: { at: number; mib: number }[] = [];
    const started = Date.now();
    const sampler = setInterval(() => rss.push({ at: (Date.now() - started) / 1000, mib: rssMiB(verifier.pid!) }), 1000);
    const [cmd, args] = pinned(1, [LOAD, configFile]);
    const load = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    load.stdout!.on('data', (d: Buffer) => (out += d));
    load.stderr!.on('data', (d: Buffer) => (err += d));
    const code = await new Promise<number | null>((resolve) => load.on('exit', resolve));
    clearInterval(sampler);
    assert.equal(code, 0, err.slice(-2000));
    const phases = Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as PhaseResult)
        .map((p) => [p.name, p]),
    ) as Record<string, PhaseResult>;
    const { baseline, peak, overload, settle, recovery } = phases as Record<'baseline' | 'peak' | 'overload' | 'settle' | 'recovery', PhaseResult>;
    const summary = {
      peakLoginsPerSecond: peak.okPerSecond,
      offeredPerSecond: overload.offeredPerSecond,
      servedOkPerSecond: overload.okPerSecond,
      overload: { byStatus: overload.byStatus, codes: overload.codes, p50: Math.round(overload.p50), p99: Math.round(overload.p99), max: Math.round(overload.max) },
      baseline: { p50: +baseline.p50.toFixed(2), p99: +baseline.p99.toFixed(2) },
      settle: { p50: +settle.p50.toFixed(2), p99: +settle.p99.toFixed(2), shed: settle.byStatus['503'] ?? 0 },
      recovery: { p50: +recovery.p50.toFixed(2), p99: +recovery.p99.toFixed(2) },
      rssMiB: { min: Math.round(Math.min(...rss.map((r) => r.mib))), max: Math.round(Math.max(...rss.map((r) => r.mib))) },
    };
    t.diagnostic(JSON.stringify(summary));

    // The overload was real: at least 1.8× the measured peak was offered.
    assert.ok(peak.okPerSecond > 0);
    assert.ok(overload.offeredPerSecond >= 1.8 * peak.okPerSecond, `offered ${overload.offeredPerSecond}/s vs peak ${peak.okPerSecond}/s`);
    for (const p of [baseline, peak, overload, settle, recovery]) {
      assert.equal(p.answered, p.offered, `${p.name}: every login answered`);
      assert.equal(p.byStatus['0'] ?? 0, 0, `${p.name}: no connection error or timeout (${JSON.stringify(p.codes)})`);
      for (const status of Object.keys(p.byStatus)) assert.ok(status === '200' || status === '503', `${p.name}: only 200 and 503, got ${status} (${JSON.stringify(p.codes)})`);
      for (const c of Object.keys(p.codes)) assert.equal(c, 'ERR_OVERLOADED', `${p.name}: the only refusal is load shedding`);
    }
    assert.equal(baseline.byStatus['503'] ?? 0, 0, 'no shedding at light load');
    // Shedding is expected when the verifier was overloaded. With a CPU hog on each core the load generator
    // (pinned to the other core, signing a KB-JWT per login) can be what limits the "peak" phase: then twice
    // that is served in full at baseline latency and there is nothing to shed (seen once: peak 15/s, 30/s
    // offered, all 200 at p99 29 ms). A verifier that is overloaded and does not shed fails here or on the
    // latency bound below.
    const overloaded = overload.okPerSecond < 0.95 * overload.offeredPerSecond || overload.p99 > Math.max(4 * baseline.p99, baseline.p99 + 50);
    if ((overload.byStatus['503'] ?? 0) === 0) {
      assert.ok(!overloaded, 'it shed load under 2× peak');
      t.diagnostic(`not overloaded: ${overload.okPerSecond}/s of ${overload.offeredPerSecond}/s served at p99 ${overload.p99.toFixed(0)} ms; the load generator set the peak`);
    }
    // Shedding keeps the queue short: without it logins waited seconds (p50 7.6 s when this was written).
    assert.ok(overload.p50 < 1000 && overload.p99 < 5000, `latency while overloaded: p50 ${overload.p50.toFixed(0)} ms, p99 ${overload.p99.toFixed(0)} ms`);
    assert.ok(overload.okPerSecond >= 0.5 * peak.okPerSecond, `while shedding it still served ${overload.okPerSecond}/s (peak ${peak.okPerSecond}/s)`);
    // Still up and healthy.
    assert.equal(verifier.exitCode, null, 'the verifier process is alive');
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    // Memory bounded: no growth beyond a fixed margin over the run.
    const first = rss[0]!.mib;
    assert.ok(summary.rssMiB.max < first + 256, `RSS ${first.toFixed(0)} → max ${summary.rssMiB.max} MiB`);
    // Back to normal latency after the overload.
    assert.equal(recovery.byStatus['503'] ?? 0, 0, 'no shedding after the overload');
    // The queue drained: the median is back at the baseline's. The tail is held to the baseline's with room
    // for one pause of the machine in a 5 s window (20–45 ms pauses were seen at light load on this machine,
    // in the baseline too), far below the overload's tail.
    assert.ok(recovery.p50 <= Math.max(2 * baseline.p50, baseline.p50 + 2), `recovery p50 ${recovery.p50.toFixed(1)} ms vs baseline ${baseline.p50.toFixed(1)} ms`);
    assert.ok(recovery.p99 <= Math.max(3 * baseline.p99, baseline.p99 + 50), `recovery p99 ${recovery.p99.toFixed(1)} ms vs baseline ${baseline.p99.toFixed(1)} ms`);
  });
});

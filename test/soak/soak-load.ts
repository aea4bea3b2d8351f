/**
 * Open- and closed-loop login load for the soak test, as its own process (pinned to the other core).
 * Each login is what a platform backend does: `POST /v1/requests`, the wallet's KB-JWT over the
 * returned nonce (signed here with node:crypto), `POST /v1/presentations`. Latency runs from the
 * login's scheduled start (no coordinated omission). Run as `node soak-load.js <config.json>`; prints
 * one JSON line per phase.
 */
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { Agent, request } from 'node:http';

interface Phase {
  name: string;
  mode: 'open' | 'closed';
  seconds: number;
  connections: number;
  rate?: number;
  peakFactor?: number;
  pauseBefore?: number;
}
interface Config {
  url: string;
  origin: string;
  credentials: { prefix: string; privateJwk: Record<string, string> }[];
  phases: Phase[];
}

const config = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Config;
const target = new URL(config.url);
const creds = config.credentials.map((c) => ({
  prefix: c.prefix,
  sdHash: createHash('sha256').update(c.prefix).digest('base64url'),
  key: createPrivateKey({ key: c.privateJwk, format: 'jwk' }) as KeyObject,
}));
const kbHeader = Buffer.from(JSON.stringify({ typ: 'kb+jwt', alg: 'ES256' })).toString('base64url');
const aud = `origin:${config.origin}`;

function presentation(i: number, nonce: string): string {
  const c = creds[i % creds.length]!;
  const payload = Buffer.from(JSON.stringify({ iat: Math.floor(Date.now() / 1000), aud, nonce, sd_hash: c.sdHash })).toString('base64url');
  const input = `${kbHeader}.${payload}`;
  return `${c.prefix}${input}.${sign('sha256', Buffer.from(input), { key: c.key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}

function post(agent: Agent, path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path, method: 'POST', agent, timeout: 10_000, headers: { 'content-type': 'application/json', 'content-length': data.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let json: Record<string, unknown> | undefined;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(data);
  });
}

let counter = 0;
/** One login; resolves to the final HTTP status (0 = no answer) and its code. */
async function login(agent: Agent): Promise<{ status: number; code?: string }> {
  const i = counter++;
  try {
    const r = await post(agent, '/v1/requests', { claims: ['ageOver18'] });
    if (r.status !== 201) return { status: r.status, code: String(r.json?.['code']) };
    const requestId = String(r.json!['requestId']);
    const nonce = String((r.json!['request'] as { data: { nonce: string } }).data.nonce);
    const p = await post(agent, '/v1/presentations', { requestId, origin: config.origin, vp_token: { internet_id: [presentation(i, nonce)] } });
    return p.status === 200 ? { status: 200 } : { status: p.status, code: String(p.json?.['code']) };
  } catch (e) {
    return { status: 0, code: (e as Error).message };
  }
}

const pct = (sorted: number[], q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);

async function run(phase: Phase, rate: number): Promise<Record<string, unknown>> {
  const agent = new Agent({ keepAlive: true, maxSockets: phase.connections });
  const latencies: number[] = [];
  const byStatus: Record<string, number> = {};
  const codes: Record<string, number> = {};
  const perSecond: { ok: number; shed: number; other: number }[] = Array.from({ length: Math.ceil(phase.seconds) + 30 }, () => ({ ok: 0, shed: 0, other: 0 }));
  const start = performance.now() + 20;
  const end = start + phase.seconds * 1000;
  let offered = 0;
  const record = (scheduled: number, r: { status: number; code?: string }) => {
    const now = performance.now();
    latencies.push(now - scheduled);
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    if (r.code) codes[r.code] = (codes[r.code] ?? 0) + 1;
    const s = perSecond[Math.max(0, Math.min(perSecond.length - 1, Math.floor((now - start) / 1000)))]!;
    if (r.status === 200) s.ok++;
    else if (r.status === 503) s.shed++;
    else s.other++;
  };
  const pending = new Set<Promise<void>>();
  if (phase.mode === 'closed') {
    await Promise.all(
      Array.from({ length: phase.connections }, async () => {
        while (performance.now() < end) {
          const scheduled = performance.now();
          offered++;
          record(scheduled, await login(agent));
        }
      }),
    );
  } else {
    const interval = 1000 / rate;
    await new Promise<void>((done) => {
      const tick = () => {
        const now = performance.now();
        while (start + offered * interval <= Math.min(now, end)) {
          const scheduled = start + offered * interval;
          offered++;
          const p = login(agent)
            .then((r) => record(scheduled, r))
            .finally(() => pending.delete(p));
          pending.add(p);
        }
        if (now >= end) return done();
        setImmediate(tick);
      };
      tick();
    });
    await Promise.all(pending);
  }
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const seconds = (Math.max(performance.now(), end) - start) / 1000;
  return {
    name: phase.name,
    mode: phase.mode,
    rate: Math.round(rate),
    seconds: phase.seconds,
    offered,
    answered: latencies.length,
    offeredPerSecond: Math.round(offered / phase.seconds),
    okPerSecond: Math.round((byStatus['200'] ?? 0) / seconds),
    byStatus,
    codes,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    max: latencies.at(-1) ?? 0,
    perSecond: perSecond.slice(0, Math.ceil(phase.seconds)),
  };
}

let peak = 0;
for (const phase of config.phases) {
  if (phase.pauseBefore) await new Promise((r) => setTimeout(r, phase.pauseBefore! * 1000));
  const rate = phase.rate ?? (phase.peakFactor ?? 1) * peak;
  const result = await run(phase, rate);
  if (phase.mode === 'closed') peak = result['okPerSecond'] as number;
  process.stdout.write(JSON.stringify(result) + '\n');
}

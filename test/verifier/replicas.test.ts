/**
 * `maskid-verifier serve --replicas 2`: two real worker processes on one port (node:cluster round
 * robin), nonces in Redis, each with its own status cache. A request made on one replica is answered
 * on the other; a used nonce is refused on every replica; no replica contacts the issuer per login.
 * Runs when MASKID_REDIS_URL is set (CI sets it); otherwise skipped with a message.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifierFixture, type VerifierFixture } from './fixture.js';
import { freePort } from '../issuer-server.js';
import { REPO_ROOT, tempDir } from '../helpers.js';

const REDIS = process.env['MASKID_REDIS_URL'];
const skip = REDIS ? false : 'replica suite skipped: set MASKID_REDIS_URL=redis://127.0.0.1:6379 to run it';
if (skip) console.error(`# ${skip}`);
const BIN = join(REPO_ROOT, 'packages', 'verifier', 'bin', 'maskid-verifier.js');

/** One HTTP request over a given agent (one agent = one kept-alive connection = one replica). */
function call(agent: Agent, port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest({ host: '127.0.0.1', port, method, path, agent, headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {} }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

describe('verifier replicas (serve --replicas 2, nonces in Redis)', { skip }, () => {
  let f: VerifierFixture;
  let child: ChildProcess;
  let port: number;
  let tmp: ReturnType<typeof tempDir>;
  let stderr = '';

  before(async () => {
    f = await verifierFixture();
    tmp = tempDir('maskid-replicas-');
    port = await freePort();
    const config = join(tmp.dir, 'verifier.json');
    // Load shedding off: this test is about nonces across replicas; on a loaded CI machine a late event-loop
    // sample during a verification sheds the next request (ERR_OVERLOADED), which the soak test covers.
    writeFileSync(
      config,
      JSON.stringify({
        platform: 'forum',
        origins: [f.origin],
        trustedIssuers: [f.server.anchor],
        allowedClaims: ['ageOver18', 'region'],
        dev: true,
        port,
        maxEventLoopDelayMs: 0,
      }),
    );
    child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--replicas', '2', '--redis-url', REDIS!], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr += d));
    const deadline = Date.now() + 30_000;
    while ((stderr.match(/listening on/g) ?? []).length < 2) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`replicas did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await f?.close();
    tmp?.cleanup();
  });

  it('refuses --replicas > 1 without Redis', () => {
    const config = join(tmp.dir, 'verifier.json');
    const r = spawnSync(process.execPath, [BIN, 'serve', '--config', config, '--replicas', '2'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /ERR_CONFIG_INVALID: --replicas > 1 needs --redis-url/);
  });

  it('a request from replica A is answered on replica B; the nonce is then refused on both; 0 issuer requests', async () => {
    // One kept-alive connection per agent; connections are dealt round robin: find one per replica.
    const byReplica = new Map<number, Agent>();
    for (let i = 0; i < 20 && byReplica.size < 2; i++) {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      const h = await call(agent, port, 'GET', '/healthz');
      assert.equal(h.status, 200, JSON.stringify(h.json));
      const replica = h.json['replica'] as number;
      if (!byReplica.has(replica)) byReplica.set(replica, agent);
      else agent.destroy();
    }
    assert.deepEqual([...byReplica.keys()].sort(), [1, 2], 'both replicas answer');
    const a = byReplica.get(1)!;
    const b = byReplica.get(2)!;
    assert.equal((await call(a, port, 'GET', '/healthz')).json['replica'], 1, 'the connection stays on its replica');

    const issuerRequestsBefore = f.server.requests.length;
    const logins = 6;
    for (let i = 0; i < logins; i++) {
      const [made, used] = i % 2 ? [a, b] : [b, a];
      const created = await call(made, port, 'POST', '/v1/requests', { claims: ['ageOver18'] });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const requestId = created.json['requestId'] as string;
      const nonce = (created.json['request'] as { data: { nonce: string } }).data.nonce;
      const c = await f.issue();
      const vp = await f.present(c, nonce);
      const body = { requestId, origin: f.origin, vp_token: { internet_id: [vp] } };
      const ok = await call(used, port, 'POST', '/v1/presentations', body);
      assert.equal(ok.status, 200, JSON.stringify(ok.json));
      assert.equal(ok.json['maskedId'], c.maskedId);
      for (const replica of [a, b]) {
        const again = await call(replica, port, 'POST', '/v1/presentations', body);
        assert.equal(again.json['code'], 'ERR_NONCE_REPLAYED');
      }
    }
    assert.deepEqual(f.server.requests.slice(issuerRequestsBefore), [], 'no replica contacted the issuer during the logins');
    a.destroy();
    b.destroy();
  });
});

/**
 * The forgery corpus (test/vectors/forgeries/*.json, written by generate-forgeries.ts): every case is
 * rejected with its named code by the engine and by the HTTP service's presentation route (over a
 * real socket); status-list cases by the status cache, which keeps the previous good list.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { MaskidError, type ClaimName, type Jwk } from '@maskid/core';
import { MemoryNonceStore, PresentationVerifier, StatusListCache, handlePresentation, type IssuerKeyCache, type VerifierService } from '@maskid/verifier';
import { REPO_ROOT } from '../helpers.js';

const DIR = join(REPO_ROOT, 'test', 'vectors', 'forgeries');

interface Context {
  issuer: string;
  kid: string;
  issuerJwk: Jwk;
  platform: string;
  origin: string;
  nonce: string;
  now: number;
  requestedClaims: ClaimName[];
  statusListUrl: string;
  goodStatusList: string;
  goodManifest: string;
  nextManifest: string;
}
interface Vector {
  file: string;
  description: string;
  kind: 'presentation' | 'http-body' | 'replay' | 'unknown-request' | 'status-list' | 'status-manifest';
  expect: string;
  presentation?: string;
  context?: { now?: number; platform?: string; requestedClaims?: ClaimName[]; revoked?: boolean; suspended?: boolean; origin?: string };
  body?: string;
  bodyBase64?: string;
  oversizeBytes?: number;
  status?: number;
  list?: string;
  manifest?: string;
}

const ctx = JSON.parse(readFileSync(join(DIR, '_context.json'), 'utf8')) as Context;
const vectors: Vector[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && !f.startsWith('_'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Omit<Vector, 'file'>) }));

const issuerKey = { kid: ctx.kid, issuer: ctx.issuer, jwk: ctx.issuerJwk, alg: 'ES256' as const, key: createPublicKey({ key: ctx.issuerJwk as JsonWebKey, format: 'jwk' }) };
const keys = {
  get(issuer: string, kid: string, _signedAt?: number) {
    if (issuer !== ctx.issuer) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `${issuer} is not trusted`);
    if (kid !== ctx.kid) throw new MaskidError('ERR_KEY_UNKNOWN', 'unknown key');
    return issuerKey;
  },
} as unknown as IssuerKeyCache;

/** An engine configured for one vector, and a request made on it (the vector's nonce and claims). */
async function engineFor(v: Vector): Promise<{ engine: PresentationVerifier; requestId: string }> {
  const claims = v.context?.requestedClaims ?? ctx.requestedClaims;
  const nonces = new MemoryNonceStore();
  const engine = new PresentationVerifier({
    platform: v.context?.platform ?? ctx.platform,
    origins: [ctx.origin],
    allowedClaims: claims,
    keys,
    nonces,
    now: () => v.context?.now ?? ctx.now,
    status: { lookup: (e) => (e.statusPurpose === 'revocation' ? !!v.context?.revoked : !!v.context?.suspended) },
  });
  const requestId = `req-${Math.random().toString(36).slice(2)}`;
  await nonces.put(requestId, { nonce: ctx.nonce, claims, expiresAt: Date.now() + 60_000 }, 60_000);
  return { engine, requestId };
}

const code = (r: { verified: boolean; error?: { code: string } }) => (r.verified ? 'ok' : r.error!.code);

describe('forgery corpus (test/vectors/forgeries)', () => {
  let server: Server;
  let url: string;
  /** The engine the HTTP route uses for the next request. */
  let current: PresentationVerifier;
  const log = pino({ level: 'silent' });

  before(async () => {
    const service = { verify: (t: string, c: { requestId: string; origin?: string }) => current.verify(t, c), shedder: { overloaded: false } } as unknown as VerifierService;
    server = createServer((req, res) => void handlePresentation(req, res, service, log)).listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/presentations`;
  });
  after(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );

  const post = async (body: string | Blob) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: r.status, body: (await r.json()) as { code?: string; maskedId?: string } };
  };
  const presentationBody = (v: Vector, requestId: string) => JSON.stringify({ requestId, origin: v.context?.origin ?? ctx.origin, vp_token: { internet_id: [v.presentation] } });

  it('has at least 40 negative cases, each naming an error code', () => {
    const negative = vectors.filter((v) => v.expect !== 'ok');
    assert.ok(negative.length >= 40, `${negative.length} cases`);
    for (const v of negative) assert.match(v.expect, /^ERR_[A-Z0-9_]+$/, v.file);
  });

  it('the valid control case is accepted by the engine and the HTTP route (the harness can say yes)', async () => {
    const v = vectors.find((x) => x.expect === 'ok')!;
    const e = await engineFor(v);
    assert.equal(code(await e.engine.verify(v.presentation, { requestId: e.requestId, origin: ctx.origin })), 'ok');
    const h = await engineFor(v);
    current = h.engine;
    const r = await post(presentationBody(v, h.requestId));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.match(r.body.maskedId ?? '', /^m1/);
  });

  for (const v of vectors.filter((x) => x.expect !== 'ok')) {
    it(`${v.description} → ${v.expect}`, async () => {
      switch (v.kind) {
        case 'presentation': {
          const e = await engineFor(v);
          assert.equal(code(await e.engine.verify(v.presentation, { requestId: e.requestId, origin: v.context?.origin ?? ctx.origin })), v.expect, 'engine');
          const h = await engineFor(v);
          current = h.engine;
          const r = await post(presentationBody(v, h.requestId));
          assert.equal(r.body.code, v.expect, 'HTTP');
          assert.ok(r.status >= 400 && r.status < 500, `HTTP status ${r.status}`);
          break;
        }
        case 'replay': {
          const h = await engineFor(v);
          current = h.engine;
          assert.equal((await post(presentationBody(v, h.requestId))).status, 200, 'first answer accepted');
          const again = await post(presentationBody(v, h.requestId));
          assert.equal(again.body.code, v.expect, 'HTTP replay');
          assert.equal(code(await h.engine.verify(v.presentation, { requestId: h.requestId, origin: ctx.origin })), v.expect, 'engine replay');
          break;
        }
        case 'unknown-request': {
          const h = await engineFor(v);
          current = h.engine;
          assert.equal((await post(presentationBody(v, 'never-issued'))).body.code, v.expect, 'HTTP');
          assert.equal(code(await h.engine.verify(v.presentation, { requestId: 'never-issued' })), v.expect, 'engine');
          break;
        }
        case 'http-body': {
          current = (await engineFor(v)).engine;
          const body = v.oversizeBytes
            ? JSON.stringify({ requestId: 'r', vp_token: 'x'.repeat(v.oversizeBytes) })
            : v.bodyBase64
              ? new Blob([Buffer.from(v.bodyBase64, 'base64')])
              : v.body!;
          const r = await post(body);
          assert.equal(r.body.code, v.expect);
          assert.equal(r.status, v.status);
          break;
        }
        case 'status-list':
        case 'status-manifest': {
          // The cache holds the good manifest and list; then the network serves the vector's manifest
          // (or the next, honest manifest and the vector's list for the version it names).
          const errors: string[] = [];
          let manifest = ctx.goodManifest;
          let list = ctx.goodStatusList;
          const fetcher = { get: async (url: string) => ({ status: 200, body: url.endsWith('/manifest') ? manifest : list }) };
          const cache = new StatusListCache(keys, fetcher as never, {
            platform: ctx.platform,
            issuers: [{ did: ctx.issuer, url: 'https://id.example.gov' }],
            now: () => ctx.now,
            onError: (_u, e) => errors.push(e instanceof MaskidError ? e.code : 'ERR_INTERNAL'),
          });
          const entry = {
            id: `${ctx.statusListUrl}#7`,
            type: 'BitstringStatusListEntry',
            statusPurpose: 'revocation',
            statusListIndex: '7',
            statusListCredential: ctx.statusListUrl,
          } as const;
          await cache.refresh();
          assert.deepEqual(errors, [], 'the good manifest and list load');
          assert.equal(cache.lookup(entry, ctx.issuer), false);
          const epochBefore = cache.stats().epoch;
          if (v.kind === 'status-manifest') manifest = v.manifest!;
          else [manifest, list] = [ctx.nextManifest, v.list!];
          await cache.refresh();
          cache.stop();
          assert.deepEqual(errors, [v.expect], 'rejected and counted');
          assert.equal(cache.lookup(entry, ctx.issuer), false, 'the held status is kept (the bad document would say revoked)');
          if (v.kind === 'status-manifest') assert.equal(cache.stats().epoch, epochBefore, 'the held manifest is kept');
          break;
        }
        default:
          assert.fail(`unknown vector kind ${String(v.kind)}`);
      }
    });
  }
});

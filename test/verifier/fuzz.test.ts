/**
 * Mutation fuzzing with fast-check, seeded by the corpus' valid presentation: ≥ 100,000 mutated
 * presentations through the engine and ≥ 10,000 mutated request bodies through the HTTP route.
 * Nothing mutated is accepted, nothing crashes (no ERR_INTERNAL, no 5xx), and memory stays bounded.
 * `MASKID_FUZZ_SEED` replays a run; the seed is printed on failure by fast-check.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { MaskidError, type ClaimName, type Jwk } from '@maskid/core';
import { MemoryNonceStore, PresentationVerifier, handlePresentation, type IssuerKeyCache, type VerifierService } from '@maskid/verifier';
import { REPO_ROOT } from '../helpers.js';

const DIR = join(REPO_ROOT, 'test', 'vectors', 'forgeries');
const ctx = JSON.parse(readFileSync(join(DIR, '_context.json'), 'utf8')) as {
  issuer: string;
  kid: string;
  issuerJwk: Jwk;
  platform: string;
  origin: string;
  nonce: string;
  now: number;
  requestedClaims: ClaimName[];
};
const seed = (JSON.parse(readFileSync(join(DIR, 'valid.json'), 'utf8')) as { presentation: string }).presentation;
const fuzzSeed = process.env['MASKID_FUZZ_SEED'] ? Number(process.env['MASKID_FUZZ_SEED']) : undefined;
const ENGINE_RUNS = 100_000;
const HTTP_RUNS = 10_000;

const issuerKey = { kid: ctx.kid, issuer: ctx.issuer, jwk: ctx.issuerJwk, alg: 'ES256' as const, key: createPublicKey({ key: ctx.issuerJwk as JsonWebKey, format: 'jwk' }) };
const keys = {
  get(issuer: string, kid: string) {
    if (issuer !== ctx.issuer) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'untrusted');
    if (kid !== ctx.kid) throw new MaskidError('ERR_KEY_UNKNOWN', 'unknown key');
    return issuerKey;
  },
} as unknown as IssuerKeyCache;
const nonces = new MemoryNonceStore();
const engine = new PresentationVerifier({
  platform: ctx.platform,
  origins: [ctx.origin],
  allowedClaims: ctx.requestedClaims,
  keys,
  nonces,
  now: () => ctx.now,
  status: { lookup: () => false },
});

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const SPECIAL = ['~', '.', '', '"', '{', '}', '[', ']', '\\', '\u0000', '\uffff', '\ud800', 'é', '=', '+', '/'];

/** One edit of a string at a relative position. */
type Edit =
  | { op: 'set'; at: number; ch: string }
  | { op: 'delete'; at: number; len: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'duplicate'; at: number; len: number }
  | { op: 'swapParts'; a: number; b: number }
  | { op: 'dropPart'; a: number }
  | { op: 'json'; part: number; seg: number; path: number; value: unknown };

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), ch: fc.oneof(fc.constantFrom(...B64.split('')), fc.constantFrom(...SPECIAL)) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), text: fc.oneof(fc.string({ maxLength: 16 }), fc.constantFrom(...SPECIAL)) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }), len: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ op: fc.constant('swapParts' as const), a: fc.nat(8), b: fc.nat(8) }),
  fc.record({ op: fc.constant('dropPart' as const), a: fc.nat(8) }),
  fc.record({ op: fc.constant('json' as const), part: fc.nat(8), seg: fc.nat(1), path: fc.nat(64), value: fc.jsonValue({ maxDepth: 3 }) }),
);

/** Structure-aware JSON edit: decode one JWT segment or disclosure, change one value, re-encode. */
function editJson(p: string, e: Extract<Edit, { op: 'json' }>): string {
  const parts = p.split('~');
  const i = e.part % parts.length;
  const segs = parts[i]!.split('.');
  const j = segs.length > 1 ? e.seg % 2 : 0;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segs[j]!, 'base64url').toString('utf8'));
  } catch {
    return p;
  }
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const walk = (v: unknown) => {
    if (v && typeof v === 'object') {
      for (const [k, c] of Object.entries(v)) {
        slots.push({ parent: v as Record<string, unknown>, key: Array.isArray(v) ? Number(k) : k });
        walk(c);
      }
    }
  };
  walk(value);
  if (slots.length === 0) return p;
  const slot = slots[e.path % slots.length]!;
  (slot.parent as Record<string | number, unknown>)[slot.key] = e.value;
  segs[j] = Buffer.from(JSON.stringify(value)).toString('base64url');
  parts[i] = segs.join('.');
  return parts.join('~');
}

function apply(p: string, edits: Edit[]): string {
  let s = p;
  for (const e of edits) {
    const at = 'at' in e ? Math.floor(e.at * s.length) : 0;
    switch (e.op) {
      case 'set':
        s = s.slice(0, at) + e.ch + s.slice(at + 1);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(at + e.len);
        break;
      case 'insert':
        s = s.slice(0, at) + e.text + s.slice(at);
        break;
      case 'duplicate':
        s = s.slice(0, at + e.len) + s.slice(at, at + e.len) + s.slice(at + e.len);
        break;
      case 'swapParts': {
        const parts = s.split('~');
        const a = e.a % parts.length;
        const b = e.b % parts.length;
        [parts[a], parts[b]] = [parts[b]!, parts[a]!];
        s = parts.join('~');
        break;
      }
      case 'dropPart': {
        const parts = s.split('~');
        parts.splice(e.a % parts.length, 1);
        s = parts.join('~');
        break;
      }
      case 'json':
        s = editJson(s, e);
        break;
    }
  }
  return s;
}

/**
 * Decoded form of a presentation: what its signatures and hashes actually cover. A mutation that
 * leaves it unchanged is no forgery (e.g. a non-canonical last base64url character, which decodes to the
 * same bytes), so acceptance is checked against this, not against the text.
 */
function same(a: string, b: string): boolean {
  return a === b;
}

const mutated = fc
  .array(editArb, { minLength: 1, maxLength: 4 })
  .map((edits) => apply(seed, edits))
  .filter((m) => !same(m, seed));

describe('fuzzing (fast-check)', () => {
  it('the seed verifies (the property can fail)', () => {
    assert.equal(engine.verifyWith(seed, ctx.nonce, ctx.requestedClaims).verified, true);
  });

  it(`engine: ${ENGINE_RUNS.toLocaleString('en')} mutated presentations, none accepted, no internal error, bounded memory`, () => {
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const codes = new Map<string, number>();
    fc.assert(
      fc.property(mutated, (m) => {
        const r = engine.verifyWith(m, ctx.nonce, ctx.requestedClaims);
        if (r.verified) return false;
        codes.set(r.error.code, (codes.get(r.error.code) ?? 0) + 1);
        return r.error.code !== 'ERR_INTERNAL';
      }),
      { numRuns: ENGINE_RUNS, ...(fuzzSeed !== undefined ? { seed: fuzzSeed } : {}) },
    );
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 200 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(0)} MiB`);
    assert.ok(codes.size >= 8, `mutations reached ${codes.size} different checks: ${[...codes.keys()].join(', ')}`);
  });

  describe('HTTP route', () => {
    let server: Server;
    let port: number;
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    before(async () => {
      const service = { verify: (t: string, c: { requestId: string; origin?: string }) => engine.verify(t, c), shedder: { overloaded: false } } as unknown as VerifierService;
      server = createServer((req, res) => void handlePresentation(req, res, service, pino({ level: 'silent' }))).listen(0, '127.0.0.1');
      await new Promise<void>((r) => server.once('listening', () => r()));
      port = (server.address() as AddressInfo).port;
    });
    after(
      () =>
        new Promise<void>((r) => {
          agent.destroy();
          server.closeAllConnections();
          server.close(() => r());
        }),
    );

    const post = (body: Buffer) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, method: 'POST', path: '/v1/presentations', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
          },
        );
        req.on('error', reject);
        req.end(body);
      });

    it(`${HTTP_RUNS.toLocaleString('en')} mutated bodies: never 200, never 5xx, every answer a problem with a code`, async () => {
      let n = 0;
      const statuses = new Map<number, number>();
      const body = fc.oneof(
        // A real request with a mutated presentation.
        mutated.map((m) => ({ presentation: m, raw: undefined as Buffer | undefined })),
        // Mutated envelopes and arbitrary JSON or bytes.
        fc.jsonValue({ maxDepth: 4 }).map((j) => ({ presentation: undefined, raw: Buffer.from(JSON.stringify(j) ?? 'null') })),
        fc.uint8Array({ maxLength: 512 }).map((b) => ({ presentation: undefined, raw: Buffer.from(b) })),
        fc
          .record({
            requestId: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
            origin: fc.oneof(fc.constant(ctx.origin), fc.string(), fc.integer()),
            vp_token: fc.oneof(fc.constant({ internet_id: [seed] }), fc.jsonValue({ maxDepth: 3 })),
          })
          .map((o) => ({ presentation: undefined, raw: Buffer.from(JSON.stringify(o)) })),
      );
      await fc.assert(
        fc.asyncProperty(body, async (b) => {
          let raw = b.raw;
          if (b.presentation !== undefined) {
            const requestId = `fuzz-${n}`;
            await nonces.put(requestId, { nonce: ctx.nonce, claims: ctx.requestedClaims, expiresAt: Date.now() + 60_000 }, 60_000);
            raw = Buffer.from(JSON.stringify({ requestId, origin: ctx.origin, vp_token: { internet_id: [b.presentation] } }));
          }
          n++;
          const r = await post(raw!);
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          if (r.status === 200 || r.status >= 500) return false;
          const problem = JSON.parse(r.text) as { code?: string };
          return typeof problem.code === 'string' && problem.code !== 'ERR_INTERNAL';
        }),
        { numRuns: HTTP_RUNS, ...(fuzzSeed !== undefined ? { seed: fuzzSeed } : {}) },
      );
      assert.equal(n, HTTP_RUNS);
      assert.ok(statuses.size >= 2, `statuses ${JSON.stringify([...statuses])}`);
    });
  });
});

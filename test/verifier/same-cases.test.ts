/** The hot-path engine and the core reference verifier give the same code on every forgery case. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { verifyInternetIdPresentation, MaskidError } from '@maskid/core';
import { PresentationVerifier, MemoryNonceStore, type IssuerKeyCache } from '@maskid/verifier';
import { makeFixture, ISSUER, ORIGIN, PLATFORM, NONCE, type Fixture } from '../core/fixtures.js';
import { forgeryCases, coreOptions, type ForgeryCase } from '../core/forgeries.js';

describe('engine and core on the same forgery cases', () => {
  let f: Fixture;
  let cases: ForgeryCase[];
  before(async () => {
    f = await makeFixture();
    cases = await forgeryCases(f);
  });

  const engineFor = (c: ForgeryCase) => {
    const key = {
      kid: f.kid,
      issuer: ISSUER,
      jwk: f.issuerJwk,
      alg: 'ES256' as const,
      key: createPublicKey({ key: f.issuerJwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
    };
    const keys = {
      get(issuer: string, kid: string) {
        if (issuer !== ISSUER) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'untrusted');
        if (kid !== f.kid) throw new MaskidError('ERR_KEY_UNKNOWN', 'unknown key');
        return key;
      },
    } as unknown as IssuerKeyCache;
    return new PresentationVerifier({
      platform: c.context?.platform ?? PLATFORM,
      origins: [ORIGIN],
      allowedClaims: c.context?.requestedClaims ?? ['ageOver18', 'region'],
      keys,
      nonces: new MemoryNonceStore(),
      now: () => c.context?.now ?? Date.UTC(2026, 5, 15, 12),
      status: { lookup: (e) => (e.statusPurpose === 'revocation' ? !!c.context?.revoked : !!c.context?.suspended) },
    });
  };

  it('has at least 30 cases, each expecting a code', () => {
    assert.ok(cases.length >= 30);
  });

  it('every case gets its expected code from both verifiers', async () => {
    const mismatches: string[] = [];
    for (const c of cases) {
      const core = await verifyInternetIdPresentation(c.presentation, coreOptions(f, c));
      const engine = engineFor(c).verifyWith(c.presentation, NONCE, c.context?.requestedClaims ?? ['ageOver18', 'region']);
      const code = (r: { verified: boolean; error?: { code: string } }) => (r.verified ? 'ok' : r.error!.code);
      if (code(core) !== c.expect || code(engine) !== c.expect) mismatches.push(`${c.name}: expected ${c.expect}, core ${code(core)}, engine ${code(engine)}`);
    }
    assert.deepEqual(mismatches, []);
  });
});

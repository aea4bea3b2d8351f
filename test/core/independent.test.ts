/** Credentials and presentations verify with @sd-jwt/core's own verifier and the issuer's public key. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createPublicKey, verify as nodeVerify } from 'node:crypto';
import { SDJwtInstance } from '@sd-jwt/core';
import { makeFixture, NONCE } from './fixtures.js';

function nodeVerifier(jwk: object) {
  const key = createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  return (data: string, sig: string) => nodeVerify('sha256', Buffer.from(data), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(sig, 'base64url'));
}

describe('independent check with @sd-jwt/core', () => {
  it('verifies the issued credential and a key-bound presentation', async () => {
    const f = await makeFixture();
    const sd = new SDJwtInstance({
      hasher: (data: string | ArrayBuffer) =>
        new Uint8Array(
          createHash('sha256')
            .update(typeof data === 'string' ? data : Buffer.from(data))
            .digest(),
        ),
      verifier: nodeVerifier(f.issuerJwk),
      kbVerifier: (data: string, sig: string, payload: Record<string, unknown>) => nodeVerifier((payload['cnf'] as { jwk: object }).jwk)(data, sig),
    });
    const issued = await sd.verify(f.sdJwt);
    const subject = (issued.payload as { credentialSubject: Record<string, unknown> }).credentialSubject;
    assert.equal(subject['givenName'], '三');
    assert.equal(subject['ageOver18'], true);

    const presented = await sd.verify(await f.present(['ageOver18']), { keyBindingNonce: NONCE });
    assert.ok(presented.kb, 'key binding checked');
    const shown = (presented.payload as { credentialSubject: Record<string, unknown> }).credentialSubject;
    assert.equal(shown['ageOver18'], true);
    assert.ok(!('givenName' in shown) && !('region' in shown));

    const other = await makeFixture();
    const wrongKey = new SDJwtInstance({
      hasher: (d: string | ArrayBuffer) =>
        new Uint8Array(
          createHash('sha256')
            .update(typeof d === 'string' ? d : Buffer.from(d))
            .digest(),
        ),
      verifier: nodeVerifier(other.issuerJwk),
    });
    await assert.rejects(wrongKey.verify(f.sdJwt));
  });
});

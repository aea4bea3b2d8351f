/**
 * JOSE signature checks of the issuer's OpenID4VCI endpoints (DPoP proofs, key proofs) on node:crypto:
 * a public JWK imported once into a KeyObject (a small cache keeps the DPoP keys a wallet reuses within a
 * wake-up), the signature checked synchronously. WebCrypto's import and verify cost several times more
 * per proof on this path (measured in bench/issuer-http.mjs); `@maskid/core`'s WebCrypto check stays
 * the reference in the tests.
 */
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { jwkThumbprintInput, type Jwk } from '@maskid/core';

/** The RFC 7638 SHA-256 thumbprint of a JWK, synchronously (same input as `@maskid/core`'s `jwkThumbprint`). */
export function jwkThumbprintSync(jwk: Jwk): string {
  return createHash('sha256').update(jwkThumbprintInput(jwk)).digest('base64url');
}

/** base64url(SHA-256(text)), synchronously (DPoP `ath`). */
export function sha256Base64url(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

const CACHE = 4096;
const keys = new Map<string, KeyObject>();

/** The KeyObject of a public EC or OKP JWK (throws on a malformed or off-curve key). */
export function publicKeyObject(jwk: Jwk): KeyObject {
  const id = `${jwk.kty}:${jwk.crv}:${jwk.x}:${jwk.y ?? ''}`;
  let key = keys.get(id);
  if (!key) {
    const { kty, crv, x, y } = jwk;
    key = createPublicKey({ key: { kty, crv, x, ...(y === undefined ? {} : { y }) } as import('node:crypto').JsonWebKey, format: 'jwk' });
    if (keys.size >= CACHE) keys.delete(keys.keys().next().value!);
    keys.set(id, key);
  }
  return key;
}

/** Verifies a compact JWS signature (ES256 r‖s or EdDSA) over `signingInput`; false on anything malformed. */
export function verifyJwsSignature(alg: string, jwk: Jwk, signingInput: string, signature: Uint8Array): boolean {
  try {
    const key = publicKeyObject(jwk);
    const data = Buffer.from(signingInput, 'latin1');
    if (alg === 'ES256') return signature.length === 64 && nodeVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
    if (alg === 'EdDSA') return signature.length === 64 && nodeVerify(null, data, key, signature);
    return false;
  } catch {
    return false;
  }
}

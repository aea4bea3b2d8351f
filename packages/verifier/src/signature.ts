/** The verifier's one JOSE signature check on node:crypto (ES256 as r‖s, or EdDSA). */
import { verify as nodeVerify, type KeyObject } from 'node:crypto';

/**
 * Verifies a compact-JWS signature over `signingInput` (`base64url(header).base64url(payload)`).
 * The input is base64url and '.', so latin1 is its exact byte encoding (and cheaper than UTF-8).
 * Returns false on any malformed signature.
 */
export function verifyJoseSignature(alg: string, key: KeyObject, signingInput: string, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const bytes = Buffer.from(signingInput, 'latin1');
  try {
    return alg === 'ES256' ? nodeVerify('sha256', bytes, { key, dsaEncoding: 'ieee-p1363' }, signature) : nodeVerify(null, bytes, key, signature);
  } catch {
    return false;
  }
}

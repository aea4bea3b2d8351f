/**
 * Holder keys of credentials: a `did:jwk` with a P-256 or Ed25519 public key. The P-256 point is checked
 * to be on the curve by hand (y² = x³ − 3x + b mod p, coordinates below p; the cofactor is 1, so this
 * is the whole check): 5 µs instead of the ~60 µs of importing it as a KeyObject, which a batch would
 * pay per credential. `createPublicKey` stays the oracle in test/issuer/batch-issuance.test.ts.
 */
import { jwkFromDidJwk, MaskidError, type Jwk } from '@maskid/core';

const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

const coordinate = (b64: string | undefined): bigint | undefined => {
  if (typeof b64 !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(b64)) return undefined;
  const bytes = Buffer.from(b64, 'base64url');
  return bytes.length === 32 ? BigInt(`0x${bytes.toString('hex')}`) : undefined;
};

/** True when (x, y) (base64url, 32 bytes each) is a point of P-256. */
export function isP256Point(x: string | undefined, y: string | undefined): boolean {
  const X = coordinate(x);
  const Y = coordinate(y);
  if (X === undefined || Y === undefined || X >= P || Y >= P) return false;
  const rhs = (((((X * X) % P) * X) % P) - 3n * X + B) % P;
  return (Y * Y) % P === (rhs + P) % P;
}

/**
 * The public JWK of a holder `did:jwk`, which must hold a valid P-256 point or an Ed25519 key of 32
 * bytes; `ERR_INPUT_INVALID` (or `ERR_ALG_NOT_ALLOWED` for another curve) otherwise.
 */
export function holderJwk(did: string): Jwk {
  const jwk = jwkFromDidJwk(did);
  const ok = jwk.kty === 'EC' ? isP256Point(jwk.x, jwk.y) : coordinate(jwk.x) !== undefined;
  if (!ok) throw new MaskidError('ERR_INPUT_INVALID', 'the holder did:jwk does not hold a valid P-256 or Ed25519 public key');
  return jwk;
}

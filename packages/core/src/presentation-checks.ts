/**
 * The checks of an Internet ID presentation, as pure functions over decoded parts, in the order they
 * run. `verifyInternetIdPresentation` (the WebCrypto reference) and `@maskid/verifier`'s hot-path
 * engine (node:crypto, its own decoding) both call these, so the rules and their error codes exist
 * once; only decoding and signature arithmetic differ.
 */
import { MaskidError } from './errors.js';
import { algForJwk, isAllowedAlg, type JwsAlgorithm } from './jose.js';
import { CTY_VC, FORMAT_DC_SD_JWT, FORMAT_ID, TYP_DC_SD_JWT, TYP_KB_JWT, TYP_VC_SD_JWT, isClaimName, type ClaimName, type Jwk } from './profile.js';
import { audienceForOrigin, type CredentialFormat } from './wire.js';

/** The checks of a verification, in order; a result lists those that passed. */
export const CHECK_NAMES = [
  'request',
  'structure',
  'typ',
  'alg',
  'issuer',
  'signature',
  'disclosures',
  'profile',
  'validity',
  'platform',
  'kb.signature',
  'kb.nonce',
  'kb.aud',
  'kb.iat',
  'kb.sd_hash',
  'claims',
  'status',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/** `typ: vc+sd-jwt` with `cty: vc` (check `typ`). */
export function checkIssuerTyp(header: Record<string, unknown>): void {
  if (header['typ'] !== TYP_VC_SD_JWT || header['cty'] !== CTY_VC) throw new MaskidError('ERR_TYP_INVALID', `issuer JWT typ must be ${TYP_VC_SD_JWT} with cty ${CTY_VC}`);
}

/**
 * The form an issuer JWT's header names (check `typ`), as its format identifier: `dc+sd-jwt` (no `cty`)
 * is the SD-JWT VCLD form, and anything else must be the VCDM form's `vc+sd-jwt` with `cty: vc`.
 */
export function credentialFormOf(header: Record<string, unknown>): CredentialFormat {
  if (header['typ'] === TYP_DC_SD_JWT) {
    if ('cty' in header) throw new MaskidError('ERR_TYP_INVALID', `a ${TYP_DC_SD_JWT} credential has no cty`);
    return FORMAT_DC_SD_JWT;
  }
  checkIssuerTyp(header);
  return FORMAT_ID;
}

/** The issuer JWT's `alg` is on the caller's allow-list (check `alg`). */
export function checkIssuerAlg(header: Record<string, unknown>, algorithms: readonly string[]): JwsAlgorithm {
  const alg = header['alg'];
  if (!isAllowedAlg(alg, algorithms)) throw new MaskidError('ERR_ALG_NOT_ALLOWED', `alg ${String(alg)} is not allowed`);
  return alg;
}

/** The issuer and the `kid`, which must be a DID URL of that issuer (first half of check `issuer`). */
export function issuerAndKid(header: Record<string, unknown>, payload: Record<string, unknown>): { issuer: string; kid: string } {
  const issuer = payload['issuer'];
  const kid = header['kid'];
  if (typeof issuer !== 'string' || typeof kid !== 'string' || !kid.startsWith(issuer + '#')) throw new MaskidError('ERR_KEY_UNKNOWN', 'kid must be a DID URL of the issuer');
  return { issuer, kid };
}

/** The key the trust rule returned fits `alg` (second half of check `issuer`). */
export function checkKeyFitsAlg(keyAlg: string, alg: string): void {
  if (keyAlg !== alg) throw new MaskidError('ERR_ALG_NOT_ALLOWED', 'alg does not fit the issuer key');
}

/** `_sd_alg` is `sha-256` (before the disclosures are applied). */
export function checkSdAlg(payload: Record<string, unknown>): void {
  if (payload['_sd_alg'] !== 'sha-256') throw new MaskidError('ERR_SDJWT_MALFORMED', '_sd_alg must be sha-256');
}

/** `validFrom` (when present: VCDM 2.0 makes it optional) and `validUntil` with skew (check `validity`). */
export function checkValidity(validFrom: string | undefined, validUntil: string, nowSec: number, skewSeconds: number): void {
  if (validFrom !== undefined && nowSec + skewSeconds < Date.parse(validFrom) / 1000) throw new MaskidError('ERR_CREDENTIAL_NOT_YET_VALID', 'credential is not yet valid');
  if (nowSec - skewSeconds >= Date.parse(validUntil) / 1000) throw new MaskidError('ERR_CREDENTIAL_EXPIRED', 'credential has expired');
}

/** The credential is for the platform this verifier serves (check `platform`). */
export function checkPlatform(platform: string, expected: string): void {
  if (platform !== expected) throw new MaskidError('ERR_PLATFORM_MISMATCH', 'credential is for another platform');
}

/** The algorithm of the credential's `cnf` key, or `ERR_PROFILE_INVALID` when it is not a usable key of the profile. */
export function cnfAlgOf(jwk: Jwk): JwsAlgorithm {
  try {
    return algForJwk(jwk);
  } catch {
    throw new MaskidError('ERR_PROFILE_INVALID', 'cnf.jwk is not a usable key');
  }
}

/** The KB-JWT is present and `typ: kb+jwt` with an allowed `alg` that fits the `cnf` key (before its signature). */
export function checkKbHeader(header: Record<string, unknown>, algorithms: readonly string[], cnfAlg: string): JwsAlgorithm {
  if (header['typ'] !== TYP_KB_JWT) throw new MaskidError('ERR_KB_TYP_INVALID', 'KB-JWT typ must be kb+jwt');
  const alg = header['alg'];
  if (!isAllowedAlg(alg, algorithms)) throw new MaskidError('ERR_ALG_NOT_ALLOWED', `KB-JWT alg ${String(alg)} is not allowed`);
  if (cnfAlg !== alg) throw new MaskidError('ERR_KB_SIGNATURE_INVALID', 'KB-JWT alg does not fit the cnf key');
  return alg;
}

/** The KB-JWT `nonce` is the one this verifier issued for the request (check `kb.nonce`). */
export function checkKbNonce(payload: Record<string, unknown>, nonce: string): void {
  if (typeof payload['nonce'] !== 'string' || payload['nonce'] !== nonce) throw new MaskidError('ERR_KB_NONCE_INVALID', 'KB-JWT nonce does not match the request');
}

/**
 * The KB-JWT `aud` is exactly one of `audiences` (`origin:<registered origin>`) and, when the request
 * came from a known origin, that origin's audience (check `kb.aud`).
 */
export function checkKbAudience(payload: Record<string, unknown>, audiences: readonly string[], origin?: string): void {
  const aud = payload['aud'];
  if (typeof aud !== 'string' || !audiences.includes(aud) || (origin !== undefined && aud !== audienceForOrigin(origin))) {
    throw new MaskidError('ERR_KB_AUDIENCE_INVALID', "KB-JWT aud is not this platform's origin");
  }
}

/** The KB-JWT `iat` is an integer, not in the future and not older than `maxAgeSeconds` (check `kb.iat`). */
export function checkKbIat(payload: Record<string, unknown>, nowSec: number, skewSeconds: number, maxAgeSeconds: number): void {
  const iat = payload['iat'];
  if (typeof iat !== 'number' || !Number.isInteger(iat) || iat > nowSec + skewSeconds || iat < nowSec - maxAgeSeconds - skewSeconds) {
    throw new MaskidError('ERR_KB_IAT_INVALID', 'KB-JWT iat is missing, in the future or too old');
  }
}

/** The KB-JWT `sd_hash` is the hash of the presentation up to its last `~` (check `kb.sd_hash`). */
export function checkKbSdHash(payload: Record<string, unknown>, sdHash: string): void {
  if (payload['sd_hash'] !== sdHash) throw new MaskidError('ERR_KB_SD_HASH_INVALID', 'KB-JWT sd_hash does not match the presentation');
}

/** Every disclosed claim is allowed for the platform, and the set is exactly the requested one (check `claims`). */
export function checkDisclosedClaims(disclosed: readonly (string | undefined)[], requested: readonly ClaimName[], allowed: readonly ClaimName[]): void {
  for (const name of disclosed) {
    if (!isClaimName(name) || !allowed.includes(name)) throw new MaskidError('ERR_CLAIM_NOT_ALLOWED', `claim ${String(name)} is not allowed for this platform`);
  }
  if (disclosed.length !== requested.length || !requested.every((c) => disclosed.includes(c))) {
    throw new MaskidError('ERR_CLAIMS_MISMATCH', 'disclosed claims differ from the requested claims');
  }
}

/** The error for a set status bit (check `status`). */
export function statusBitError(purpose: 'revocation' | 'suspension'): MaskidError {
  return purpose === 'revocation' ? new MaskidError('ERR_STATUS_REVOKED', 'credential is revoked') : new MaskidError('ERR_STATUS_SUSPENDED', 'credential is suspended');
}

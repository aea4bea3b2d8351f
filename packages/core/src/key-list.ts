/**
 * Issuer keys anchored in an offline root key: the one rule of maskid for which key may sign.
 *
 * The issuer's root key never signs credentials, status lists, manifests or the registry. It signs a
 * **key list** (`typ: maskid-key-list+jwt`, the root's public JWK in the `jwk` header): a version that
 * only grows, `iat`/`exp`, and per assertion key its `kid`, JWK, when it may start signing
 * (`signFrom`), until when it signs (`signUntil`) and until when its signatures are accepted
 * (`verifyUntil`). Verifiers and wallets are configured with the root's RFC 7638 thumbprint, take
 * assertion keys only from the newest key list they verified under it, never accept a lower version,
 * and drop a key as soon as a newer list omits it. A DID document changes nothing on its own, and an
 * unknown `kid` is refused, never fetched.
 */
import { MaskidError } from './errors.js';
import { algForJwk, decodeJwt, isAllowedAlg, jwkThumbprint, publicJwk, verifySignature, type DecodedJwt } from './jose.js';
import { utf8 } from './encoding.js';
import type { Jwk } from './profile.js';

/** JOSE `typ` of a key list. */
export const TYP_KEY_LIST = 'maskid-key-list+jwt';
/** Path, relative to the issuer's base URL, where the current key list is served. */
export const KEY_LIST_PATH = '/keys';
/**
 * At most this many assertion keys in one key list: a key per person (or per small group) would be a
 * tracking tag that the `kid` of every presentation carries.
 */
export const MAX_ASSERTION_KEYS = 4;
/** Default clock skew (seconds) for the key rules. */
export const KEY_SKEW_SECONDS = 60;

/** One assertion key of a key list. Times are seconds since the epoch. */
export interface KeyListEntry {
  /** A DID URL of the issuer (`did:web:…#…`). */
  kid: string;
  /** The public key. */
  jwk: Jwk;
  /** It signs nothing before this time; signatures dated earlier are refused. */
  signFrom: number;
  /** It signs nothing from this time on (absent: the current key, open-ended). */
  signUntil?: number;
  /** Its signatures are refused from this time on (absent: open-ended). */
  verifyUntil?: number;
}

/** A key list verified under a root thumbprint. */
export interface KeyList {
  issuer: string;
  version: number;
  iat: number;
  exp: number;
  keys: KeyListEntry[];
  /** RFC 7638 thumbprint of the root key that signed it. */
  rootThumbprint: string;
  /** The compact JWS as received (two lists with one version must be the same bytes). */
  jwt: string;
}

/** Options of {@link verifyKeyList}. */
export interface VerifyKeyListOptions {
  /** The trust anchor: the root key's RFC 7638 thumbprint, from configuration (never from an offer). */
  rootThumbprint: string;
  /** The issuer DID the list must be for. */
  issuer: string;
  /** The list held so far: a lower version, or the same version with other bytes, is refused. */
  held?: KeyList | undefined;
  /** Clock in ms (default `Date.now`). */
  now?: () => number;
  skewSeconds?: number;
}

const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Verifies a key list: `typ`, an allowed `alg`, the `jwk` header whose thumbprint is the configured
 * root, the signature, `iss`, a positive integer `version`, `iat` not in the future, `exp` not past,
 * 1..{@link MAX_ASSERTION_KEYS} well-formed keys (unique `kid`s of the issuer, public JWKs of the
 * profile's algorithms, none of them the root), and that it does not go back from `held`.
 * Throws `ERR_KEY_LIST_INVALID`, `ERR_ISSUER_UNTRUSTED` (another root) or `ERR_ROLLBACK`.
 *
 * @example
 * ```ts
 * const list = await verifyKeyList(jwt, { rootThumbprint: 'Nz…', issuer: 'did:web:id.example.gov', held })
 * ```
 */
export async function verifyKeyList(jwt: string, options: VerifyKeyListOptions): Promise<KeyList> {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_KEY_LIST_INVALID', `key list: ${why}`);
  };
  let decoded: DecodedJwt;
  try {
    decoded = decodeJwt(jwt, 64 * 1024);
  } catch (cause) {
    throw new MaskidError('ERR_KEY_LIST_INVALID', 'key list: not a compact JWS', { cause });
  }
  const { header, payload } = decoded;
  if (header['typ'] !== TYP_KEY_LIST) fail(`typ must be ${TYP_KEY_LIST}`);
  if (!isAllowedAlg(header['alg'])) fail('alg is not allowed');
  const rootJwk = header['jwk'] as Jwk | undefined;
  if (!rootJwk || typeof rootJwk !== 'object' || Array.isArray(rootJwk) || 'd' in rootJwk) fail("the jwk header must be the root's public key");
  let thumb: string;
  try {
    thumb = await jwkThumbprint(rootJwk!);
  } catch {
    return fail('the jwk header is not a usable key');
  }
  if (thumb !== options.rootThumbprint) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'key list: signed by another root key than the configured one');
  if (algForJwk(rootJwk!) !== header['alg']) fail('alg does not fit the root key');
  if (!(await verifySignature(header['alg'] as 'ES256' | 'EdDSA', rootJwk!, utf8(decoded.signingInput), decoded.signature))) {
    throw new MaskidError('ERR_SIGNATURE_INVALID', 'key list: the root signature does not verify');
  }
  const nowSec = Math.floor((options.now ?? Date.now)() / 1000);
  const skew = options.skewSeconds ?? KEY_SKEW_SECONDS;
  if (payload['iss'] !== options.issuer) fail('iss is another issuer');
  const version = payload['version'];
  if (!isTime(version) || version < 1) fail('version must be a positive integer');
  const iat = payload['iat'];
  const exp = payload['exp'];
  if (!isTime(iat) || iat > nowSec + skew) fail('iat is missing or in the future');
  if (!isTime(exp) || exp <= nowSec) fail('the key list has expired');
  const rawKeys = payload['keys'];
  if (!Array.isArray(rawKeys) || rawKeys.length === 0 || rawKeys.length > MAX_ASSERTION_KEYS) fail(`keys must list 1 to ${MAX_ASSERTION_KEYS} keys`);
  const keys: KeyListEntry[] = [];
  for (const raw of rawKeys as unknown[]) {
    const k = raw as Record<string, unknown>;
    if (!k || typeof k !== 'object' || Array.isArray(k)) fail('a key entry is not an object');
    const kid = k['kid'];
    if (typeof kid !== 'string' || !kid.startsWith(options.issuer + '#') || kid.length > 300) fail('a kid is not a DID URL of the issuer');
    if (keys.some((e) => e.kid === kid)) fail(`kid ${String(kid)} is listed twice`);
    const jwk = k['jwk'] as Jwk;
    if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk) || 'd' in jwk) fail(`${String(kid)}: jwk must be a public key`);
    let pub: Jwk;
    try {
      algForJwk(jwk);
      pub = publicJwk(jwk);
      if (typeof pub.x !== 'string' || (pub.kty === 'EC' && typeof pub.y !== 'string')) throw new Error('incomplete');
    } catch {
      return fail(`${String(kid)}: not an ES256 or EdDSA public key`);
    }
    if ((await jwkThumbprint(pub)) === thumb) fail('the root key must not be an assertion key');
    const signFrom = k['signFrom'];
    if (!isTime(signFrom)) fail(`${String(kid)}: signFrom is required`);
    const entry: KeyListEntry = { kid: kid as string, jwk: pub, signFrom: signFrom as number };
    for (const name of ['signUntil', 'verifyUntil'] as const) {
      const v = k[name];
      if (v === undefined) continue;
      if (!isTime(v) || v < (signFrom as number)) fail(`${String(kid)}: ${name} must be a time after signFrom`);
      entry[name] = v as number;
    }
    if (entry.signUntil !== undefined && entry.verifyUntil !== undefined && entry.verifyUntil < entry.signUntil) fail(`${String(kid)}: verifyUntil is before signUntil`);
    keys.push(entry);
  }
  const list: KeyList = { issuer: options.issuer, version: version as number, iat: iat as number, exp: exp as number, keys, rootThumbprint: thumb, jwt };
  const held = options.held;
  if (held) {
    if (list.version < held.version) throw new MaskidError('ERR_ROLLBACK', `key list version ${list.version} is older than the held version ${held.version}`);
    if (list.version === held.version && list.jwt !== held.jwt)
      throw new MaskidError('ERR_ROLLBACK', `key list version ${list.version} differs from the held list of the same version`);
  }
  return list;
}

/**
 * The rule for accepting a signature: the key is in the newest verified key list, its signing window
 * has opened (`signFrom`, with skew), and, when the document carries its signing time (`signedAt`,
 * seconds; manifests, status lists, the registry), that time lies inside the key's signing window;
 * `now` is before its `verifyUntil`. Throws `ERR_KEY_UNKNOWN` otherwise — an unknown `kid` is never a
 * reason to fetch anything.
 *
 * @example
 * ```ts
 * const entry = assertionKeyFor(list, header.kid, { now: Date.now() })
 * ```
 */
export function assertionKeyFor(list: Pick<KeyList, 'keys'>, kid: unknown, at: { now: number; signedAt?: number; skewSeconds?: number }): KeyListEntry {
  const entry = typeof kid === 'string' ? list.keys.find((k) => k.kid === kid) : undefined;
  if (!entry) throw new MaskidError('ERR_KEY_UNKNOWN', "the key is not in the issuer's current key list");
  if (!keyMayVerify(entry, at)) throw new MaskidError('ERR_KEY_UNKNOWN', 'the key is not valid for this signature (outside its signing or verification window)');
  return entry;
}

/** The predicate behind {@link assertionKeyFor} (for callers that index keys themselves). */
export function keyMayVerify(entry: KeyListEntry, at: { now: number; signedAt?: number; skewSeconds?: number }): boolean {
  const skew = at.skewSeconds ?? KEY_SKEW_SECONDS;
  const nowSec = Math.floor(at.now / 1000);
  if (nowSec + skew < entry.signFrom) return false;
  if (entry.verifyUntil !== undefined && nowSec >= entry.verifyUntil) return false;
  if (at.signedAt !== undefined) {
    if (at.signedAt + skew < entry.signFrom) return false;
    if (entry.signUntil !== undefined && at.signedAt - skew >= entry.signUntil) return false;
  }
  return true;
}

/**
 * The key that signs at `now` (ms): the entry whose signing window holds `now`, the latest-starting
 * one if windows overlap. The issuer signs with nothing else. Throws when no key may
 * sign now (e.g. every key was distrusted and the successor's window has not opened): `ERR_STATE_INVALID`.
 */
export function signingKeyAt<K extends Pick<KeyListEntry, 'signFrom' | 'signUntil'>>(keys: readonly K[], now: number): K {
  const nowSec = Math.floor(now / 1000);
  let best: K | undefined;
  for (const k of keys) {
    if (k.signFrom > nowSec || (k.signUntil !== undefined && nowSec >= k.signUntil)) continue;
    if (!best || k.signFrom > best.signFrom) best = k;
  }
  if (!best) throw new MaskidError('ERR_STATE_INVALID', 'no issuer key may sign now (see `maskid-issuer key list show`)');
  return best;
}

/**
 * Minimal, strict JOSE on WebCrypto (Node and browser service worker): compact JWS decode, sign and
 * verify for the two algorithms of the profile, JWK thumbprints and did:jwk.
 */
import { base64url, base64urlText, fromBase64url, fromUtf8, utf8 } from './encoding.js';
import { MaskidError } from './errors.js';
import { parseJsonStrict } from './json.js';
import type { Jwk } from './profile.js';

/** JWS algorithms the profile allows. Nothing else (no `none`, no HMAC) is ever accepted. */
export const ALLOWED_ALGS = ['ES256', 'EdDSA'] as const;
export type JwsAlgorithm = (typeof ALLOWED_ALGS)[number];

/** True when `alg` is in `allowed` (default: the profile's list). */
export function isAllowedAlg(alg: unknown, allowed: readonly string[] = ALLOWED_ALGS): alg is JwsAlgorithm {
  return typeof alg === 'string' && allowed.includes(alg) && (ALLOWED_ALGS as readonly string[]).includes(alg);
}

/** Signs bytes with a private key held elsewhere (KMS, WebCrypto, hardware). */
export interface JwsSigner {
  readonly alg: JwsAlgorithm;
  /** Returns the raw JOSE signature (r‖s for ES256, 64 bytes for EdDSA). */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A decoded compact JWS. */
export interface DecodedJwt<H = Record<string, unknown>, P = Record<string, unknown>> {
  header: H;
  payload: P;
  /** `base64url(header) + '.' + base64url(payload)`, the bytes that were signed. */
  signingInput: string;
  signature: Uint8Array;
}

/** Default upper bound on the size of any token handled here (bytes of its compact form). */
export const MAX_TOKEN_LENGTH = 64 * 1024;

/**
 * Decodes a compact JWS strictly: three base64url parts, JSON objects for header and payload, a
 * string `alg`, no `crit`. Does **not** verify anything.
 */
export function decodeJwt<H extends Record<string, unknown> = Record<string, unknown>, P extends Record<string, unknown> = Record<string, unknown>>(
  compact: string,
  maxLength = MAX_TOKEN_LENGTH,
): DecodedJwt<H, P> {
  if (typeof compact !== 'string') throw new MaskidError('ERR_JWT_MALFORMED', 'JWT must be a string');
  if (compact.length > maxLength) throw new MaskidError('ERR_TOKEN_TOO_LARGE', `JWT longer than ${maxLength} characters`);
  const first = compact.indexOf('.');
  const second = first < 0 ? -1 : compact.indexOf('.', first + 1);
  if (first < 0 || second < 0 || compact.indexOf('.', second + 1) >= 0) {
    throw new MaskidError('ERR_JWT_MALFORMED', 'JWT must have exactly three parts');
  }
  const header = parseJsonPart(compact.slice(0, first), 'header') as H;
  const payload = parseJsonPart(compact.slice(first + 1, second), 'payload') as P;
  const signature = fromBase64url(compact.slice(second + 1));
  if (!signature || signature.length === 0) throw new MaskidError('ERR_JWT_MALFORMED', 'JWT signature is not base64url');
  if (typeof header['alg'] !== 'string') throw new MaskidError('ERR_JWT_MALFORMED', 'JWT header has no alg');
  if ('crit' in header) throw new MaskidError('ERR_JWT_MALFORMED', 'JWT header crit is not supported');
  return { header, payload, signingInput: compact.slice(0, second), signature };
}

/** Parses one base64url JSON-object part of a JWT or a disclosure's JSON. */
export function parseJsonPart(part: string, what: string): Record<string, unknown> {
  const value = parseBase64urlJson(part, what);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MaskidError('ERR_JWT_MALFORMED', `JWT ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** base64url → UTF-8 (strict) → JSON without duplicate member names, with one error code for every failure. */
export function parseBase64urlJson(part: string, what: string): unknown {
  const bytes = fromBase64url(part);
  if (!bytes) throw new MaskidError('ERR_JWT_MALFORMED', `${what} is not base64url`);
  let text: string;
  try {
    text = fromUtf8(bytes);
  } catch (cause) {
    throw new MaskidError('ERR_JWT_MALFORMED', `${what} is not UTF-8`, { cause });
  }
  return parseJsonStrict(text, what, 'ERR_JWT_MALFORMED');
}

/**
 * Signs a JWT: `header.alg` is set from the signer.
 *
 * @example
 * ```ts
 * const jwt = await signJwt({ typ: 'vc+jwt', kid }, payload, signer)
 * ```
 */
export async function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, signer: JwsSigner): Promise<string> {
  const signingInput = `${base64urlText(JSON.stringify({ ...header, alg: signer.alg }))}.${base64urlText(JSON.stringify(payload))}`;
  const signature = await signer.sign(utf8(signingInput));
  return `${signingInput}.${base64url(signature)}`;
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new MaskidError('ERR_INTERNAL', 'WebCrypto is not available');
  return s;
}

function importParams(jwk: Jwk, alg: JwsAlgorithm): EcKeyImportParams | Algorithm {
  if (alg === 'ES256') {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new MaskidError('ERR_ALG_NOT_ALLOWED', 'ES256 needs an EC P-256 key');
    return { name: 'ECDSA', namedCurve: 'P-256' };
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new MaskidError('ERR_ALG_NOT_ALLOWED', 'EdDSA needs an OKP Ed25519 key');
  return { name: 'Ed25519' };
}

/** The algorithm a public JWK is used with in this profile. */
export function algForJwk(jwk: Jwk): JwsAlgorithm {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  throw new MaskidError('ERR_ALG_NOT_ALLOWED', `unsupported key type ${String(jwk.kty)}/${String(jwk.crv)}`);
}

/** Only the public members of a JWK (RFC 7638 required members). */
export function publicJwk(jwk: Jwk): Jwk {
  if (jwk.kty === 'EC') return { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y } as Jwk;
  if (jwk.kty === 'OKP') return { kty: 'OKP', crv: jwk.crv, x: jwk.x } as Jwk;
  throw new MaskidError('ERR_ALG_NOT_ALLOWED', `unsupported key type ${String(jwk.kty)}`);
}

const keyCache = new WeakMap<object, Map<string, Promise<CryptoKey>>>();

async function importPublic(jwk: Jwk, alg: JwsAlgorithm): Promise<CryptoKey> {
  let perJwk = keyCache.get(jwk);
  if (!perJwk) {
    perJwk = new Map();
    keyCache.set(jwk, perJwk);
  }
  let key = perJwk.get(alg);
  if (!key) {
    key = subtle().importKey('jwk', publicJwk(jwk) as JsonWebKey, importParams(jwk, alg), false, ['verify']);
    perJwk.set(alg, key);
  }
  return key;
}

/**
 * Verifies a JOSE signature over `data` with a public JWK. Returns false for a wrong signature and
 * throws `ERR_ALG_NOT_ALLOWED` when the key does not fit the algorithm.
 */
export async function verifySignature(alg: JwsAlgorithm, jwk: Jwk, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = await importPublic(jwk, alg);
  if (alg === 'ES256' && signature.length !== 64) return false;
  if (alg === 'EdDSA' && signature.length !== 64) return false;
  const params = alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
  try {
    return await subtle().verify(params, key, signature as BufferSource, data as BufferSource);
  } catch {
    return false;
  }
}

/**
 * Decodes and verifies a compact JWS: `typ` must equal `expectedTyp`, `alg` must be allowed and fit
 * the key. Returns the decoded token; throws a {@link MaskidError} otherwise.
 */
export async function verifyJwt<P extends Record<string, unknown> = Record<string, unknown>>(
  compact: string,
  options: { expectedTyp: string; key: Jwk | ((header: Record<string, unknown>, payload: P) => Promise<Jwk> | Jwk); algorithms?: readonly string[]; maxLength?: number },
): Promise<DecodedJwt<Record<string, unknown>, P>> {
  const decoded = decodeJwt<Record<string, unknown>, P>(compact, options.maxLength);
  if (decoded.header['typ'] !== options.expectedTyp) {
    throw new MaskidError('ERR_TYP_INVALID', `expected typ ${options.expectedTyp}, got ${String(decoded.header['typ'])}`);
  }
  const alg = decoded.header['alg'];
  if (!isAllowedAlg(alg, options.algorithms)) throw new MaskidError('ERR_ALG_NOT_ALLOWED', `alg ${String(alg)} is not allowed`);
  const jwk = typeof options.key === 'function' ? await options.key(decoded.header, decoded.payload) : options.key;
  if (algForJwk(jwk) !== alg) throw new MaskidError('ERR_ALG_NOT_ALLOWED', `alg ${alg} does not fit the key`);
  if (!(await verifySignature(alg, jwk, utf8(decoded.signingInput), decoded.signature))) {
    throw new MaskidError('ERR_SIGNATURE_INVALID', 'signature does not verify');
  }
  return decoded;
}

/** SHA-256 with WebCrypto. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', data as BufferSource));
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url). */
export async function jwkThumbprint(jwk: Jwk): Promise<string> {
  return base64url(await sha256(utf8(jwkThumbprintInput(jwk))));
}

/** The RFC 7638 input of a JWK's thumbprint (its required members, sorted, no whitespace): hash it with SHA-256. */
export function jwkThumbprintInput(jwk: Jwk): string {
  const p = publicJwk(jwk);
  return p.kty === 'EC' ? `{"crv":"${p.crv}","kty":"EC","x":"${p.x}","y":"${p.y}"}` : `{"crv":"${p.crv}","kty":"OKP","x":"${p.x}"}`;
}

/** did:jwk for a public JWK (did:jwk method: base64url of the JWK's JSON). */
export function didJwkFor(jwk: Jwk): string {
  return `did:jwk:${base64urlText(JSON.stringify(publicJwk(jwk)))}`;
}

/** The public JWK inside a did:jwk; throws `ERR_INPUT_INVALID` for anything else. */
export function jwkFromDidJwk(did: string): Jwk {
  if (typeof did !== 'string' || !did.startsWith('did:jwk:')) throw new MaskidError('ERR_INPUT_INVALID', 'not a did:jwk');
  let jwk: unknown;
  try {
    jwk = parseBase64urlJson(did.slice('did:jwk:'.length).split('#')[0]!, 'did:jwk');
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', 'did:jwk does not hold a JWK', { cause });
  }
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk)) throw new MaskidError('ERR_INPUT_INVALID', 'did:jwk does not hold a JWK');
  const j = jwk as Jwk;
  if ('d' in j) throw new MaskidError('ERR_INPUT_INVALID', 'did:jwk must not hold a private key');
  algForJwk(j);
  if (typeof j.x !== 'string' || (j.kty === 'EC' && typeof j.y !== 'string')) throw new MaskidError('ERR_INPUT_INVALID', 'did:jwk key is incomplete');
  return publicJwk(j);
}

/** Random bytes from WebCrypto. */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/**
 * A {@link JwsSigner} over a WebCrypto private key (non-extractable keys work).
 *
 * @example
 * ```ts
 * const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])
 * const signer = webCryptoSigner(privateKey, 'ES256')
 * ```
 */
export function webCryptoSigner(privateKey: CryptoKey, alg: JwsAlgorithm): JwsSigner {
  const params = alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
  return {
    alg,
    async sign(data) {
      return new Uint8Array(await subtle().sign(params, privateKey, data as BufferSource));
    },
  };
}

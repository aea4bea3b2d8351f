/**
 * PresentationVerifier: the hot path. Verifies an Internet ID presentation completely and offline:
 * either form of the credential (VCDM 2.0 `vc+sd-jwt` or SD-JWT VCLD `dc+sd-jwt`, told apart by `typ`):
 * structure, `typ`, `alg` allow-list, trusted issuer and signature (cached `KeyObject`), disclosures
 * (each referenced exactly once), profile, validity with an injected clock, platform, key binding
 * (`typ`, signature by `cnf.jwk`, nonce issued here and unused, `aud` = `origin:<registered origin>`,
 * fresh `iat`, `sd_hash`), exactly the requested and allowed claims, and revocation/suspension bits
 * from the in-memory StatusListCache.
 *
 * The rules and codes are `@maskid/core`'s (`presentation-checks`, `checkProfileOf`, `applyDisclosures`),
 * the same functions the WebCrypto reference verifier calls; this engine has its own decoding, and
 * node:crypto does the hashing and signature work (WebCrypto's async round trips would double the cost
 * per login).
 */
import { createHash, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { verifyJoseSignature } from './signature.js';
import {
  ALLOWED_ALGS,
  CHECK_NAMES,
  FORMAT_DC_SD_JWT,
  FORMAT_ID,
  MaskidError,
  applyDisclosures,
  audienceForOrigin,
  buildDcApiRequest,
  checkDisclosedClaims,
  checkIssuerAlg,
  credentialFormOf,
  checkKbAudience,
  checkKbHeader,
  checkKbIat,
  checkKbNonce,
  checkKbSdHash,
  checkKeyFitsAlg,
  checkPlatform,
  checkProfileOf,
  checkSdAlg,
  checkValidity,
  cnfAlgOf,
  decodeDisclosure,
  duplicateMemberName,
  fromBase64url,
  isClaimName,
  issuerAndKidOf,
  statusBitError,
  type BitstringStatusListEntry,
  type CheckName,
  type CheckResult,
  type CredentialFormat,
  type ClaimName,
  type DcApiRequest,
  type ErrorCode,
  type Jwk,
  type ParsedDisclosure,
  type PersonClaims,
} from '@maskid/core';
import type { IssuerKeyCache } from './issuer-keys.js';
import type { NonceStore } from './nonce-store.js';

/** The longest presentation accepted (characters); a profile presentation is 1–3 KB. */
export const MAX_PRESENTATION_LENGTH = 16 * 1024;
const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The result of a verification: the masked ID and exactly the requested claims, or the first failing
 * check's stable code; `checks` lists the checks that passed, in order.
 */
export type VerifyResult =
  | { verified: true; maskedId: string; claims: Partial<PersonClaims>; issuer: string; platform: string; checks: CheckResult[] }
  | { verified: false; error: { code: ErrorCode; message: string }; checks: CheckResult[] };

/** Looks up a status bit (the StatusListCache, or a stub in tests). */
export interface StatusSource {
  lookup(entry: BitstringStatusListEntry, issuer: string): boolean;
}

/** Options of {@link PresentationVerifier}: the platform, its origins and claims, and the injected key, status and nonce sources. */
export interface EngineOptions {
  platform: string;
  origins: readonly string[];
  allowedClaims: readonly ClaimName[];
  keys: IssuerKeyCache;
  status: StatusSource;
  nonces: NonceStore;
  requestTtlMs?: number;
  skewSeconds?: number;
  maxKbAgeSeconds?: number;
  algorithms?: readonly string[];
  now?: () => number;
  /** The trusted issuers' DIDs: their expanded type IRIs go into the request's DCQL `type_values`. */
  issuers?: readonly string[];
  /** The trusted issuers' URLs: their `vct`s go into a VCLD-form request's DCQL `vct_values`. */
  issuerUrls?: readonly string[];
}

interface Decoded {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Uint8Array;
}

const fail = (code: ErrorCode, message: string): never => {
  throw new MaskidError(code, message);
};

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function parseJson(b64: string, what: string, code: ErrorCode): Record<string, unknown> {
  if (!B64URL.test(b64)) fail(code, `${what} is not base64url`);
  let v: unknown;
  let text = '';
  try {
    text = utf8Strict.decode(Buffer.from(b64, 'base64url'));
    v = JSON.parse(text);
  } catch {
    fail(code, `${what} is not UTF-8 JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(code, `${what} is not a JSON object`);
  // A member named twice would let two parsers read two documents under one signature (~1 % of a login).
  if (duplicateMemberName(text) !== undefined) fail(code, `${what} names a member twice`);
  return v as Record<string, unknown>;
}

/** Parsed issuer headers: every credential signed with one key has the same header (frozen, bounded). */
const headerCache = new Map<string, Record<string, unknown>>();

function decodeCompact(jwt: string, code: ErrorCode, cacheHeader = false): Decoded {
  const a = jwt.indexOf('.');
  const b = a < 0 ? -1 : jwt.indexOf('.', a + 1);
  if (a <= 0 || b < 0 || jwt.indexOf('.', b + 1) >= 0) fail(code, 'JWT must have three parts');
  // Core's strict decoder: the unused trailing bits must be zero, so a signature has exactly one text
  // (otherwise its last character could change without changing the signature).
  const signature = fromBase64url(jwt.slice(b + 1));
  if (!signature || signature.length === 0) fail(code, 'JWT signature is not canonical base64url');
  const h = jwt.slice(0, a);
  let header = cacheHeader ? headerCache.get(h) : undefined;
  if (!header) {
    header = parseJson(h, 'JWT header', code);
    if (cacheHeader && h.length < 512) {
      if (headerCache.size >= 64) headerCache.clear();
      headerCache.set(h, Object.freeze(header));
    }
  }
  if ('crit' in header) fail(code, 'crit is not supported');
  return { header, payload: parseJson(jwt.slice(a + 1, b), 'JWT payload', code), signingInput: jwt.slice(0, b), signature: signature! };
}

const sha256b64 = (s: string) => createHash('sha256').update(s).digest('base64url');

const passedChecks = (from: number, count: number): CheckResult[] => CHECK_NAMES.slice(from, from + count).map((check) => ({ check, ok: true }));
const ALL_PASSED = Object.freeze(passedChecks(1, CHECK_NAMES.length - 1));
const ALL_PASSED_WITH_REQUEST = Object.freeze(passedChecks(0, CHECK_NAMES.length));

/** Counts passed checks without allocating per check. */
class Progress {
  n = 0;
}

/**
 * The verification engine for one platform.
 *
 * @example
 * ```ts
 * const { requestId, request } = await engine.createRequest(['ageOver18'])
 * // … the page calls navigator.credentials.get({ digital: { requests: [request] } }) …
 * const result = await engine.verify(vpToken, { requestId, origin: 'https://forum.example' })
 * ```
 */
export class PresentationVerifier {
  readonly #o: Required<Omit<EngineOptions, 'algorithms'>> & { algorithms: readonly string[] };
  readonly #cnfKeys = new Map<string, KeyObject>();
  /** `origin:<origin>` for each registered origin: the KB-JWT audiences accepted. */
  readonly #audiences: readonly string[];
  #workMs = 0;

  constructor(options: EngineOptions) {
    this.#o = {
      requestTtlMs: 300_000,
      skewSeconds: 60,
      maxKbAgeSeconds: 300,
      algorithms: ALLOWED_ALGS,
      now: Date.now,
      issuers: [],
      issuerUrls: [],
      ...options,
    };
    this.#audiences = this.#o.origins.map(audienceForOrigin);
  }

  /**
   * Creates a presentation request for `claims` (each must be allowed for this platform), asking for the
   * VCDM form (`vc+sd-jwt`, default) or the SD-JWT VCLD form (`dc+sd-jwt`); the answer must be that form.
   */
  async createRequest(claims: unknown, format: unknown = FORMAT_ID): Promise<{ requestId: string; expiresAt: string; request: DcApiRequest }> {
    if (format !== FORMAT_ID && format !== FORMAT_DC_SD_JWT) throw new MaskidError('ERR_INPUT_INVALID', `format must be ${FORMAT_ID} or ${FORMAT_DC_SD_JWT}`);
    if (!Array.isArray(claims) || claims.length === 0 || claims.length > 10) throw new MaskidError('ERR_INPUT_INVALID', 'claims must be a non-empty list of claim names');
    const list: ClaimName[] = [];
    for (const c of claims) {
      if (!isClaimName(c)) throw new MaskidError('ERR_INPUT_INVALID', `unknown claim ${JSON.stringify(c)}`);
      if (!this.#o.allowedClaims.includes(c)) throw new MaskidError('ERR_CLAIM_NOT_ALLOWED', `this platform is not registered for ${c}`);
      if (!list.includes(c)) list.push(c);
    }
    const requestId = randomBytes(16).toString('base64url');
    const nonce = randomBytes(24).toString('base64url');
    const expiresAt = this.#o.now() + this.#o.requestTtlMs;
    await this.#o.nonces.put(requestId, { nonce, claims: list, expiresAt, format }, this.#o.requestTtlMs);
    const issuers = format === FORMAT_DC_SD_JWT ? this.#o.issuerUrls : this.#o.issuers;
    return { requestId, expiresAt: new Date(expiresAt).toISOString(), request: buildDcApiRequest(nonce, list, issuers, format) };
  }

  /**
   * Verifies a presentation for a request created here. The request is consumed by the first attempt
   * (single use, also under concurrent submission). Never throws for a bad presentation.
   */
  async verify(presentation: unknown, context: { requestId: string; origin?: string }): Promise<VerifyResult> {
    let requestOk = false;
    const progress = new Progress();
    try {
      if (typeof context?.requestId !== 'string' || context.requestId.length > 64) fail('ERR_INPUT_INVALID', 'requestId is required');
      const record = await this.#o.nonces.take(context.requestId);
      if (!record) fail('ERR_NONCE_REPLAYED', 'the request is unknown, already answered or expired');
      requestOk = true;
      return { ...this.#timed(presentation, record!.nonce, record!.claims, context.origin, progress, record!.format), checks: ALL_PASSED_WITH_REQUEST as CheckResult[] };
    } catch (e) {
      const error = e instanceof MaskidError ? e.toJSON() : { code: 'ERR_INTERNAL' as const, message: 'verification failed unexpectedly' };
      return { verified: false, error, checks: requestOk ? passedChecks(0, 1 + progress.n) : [] };
    }
  }

  /** The synchronous core of {@link verify}, with the expected nonce and claims given. */
  verifyWith(presentation: unknown, nonce: string, claims: readonly ClaimName[], origin?: string): VerifyResult {
    const progress = new Progress();
    try {
      return { ...this.#timed(presentation, nonce, claims, origin, progress), checks: ALL_PASSED as CheckResult[] };
    } catch (e) {
      const error = e instanceof MaskidError ? e.toJSON() : { code: 'ERR_INTERNAL' as const, message: 'verification failed unexpectedly' };
      return { verified: false, error, checks: passedChecks(1, progress.n) };
    }
  }

  /**
   * Milliseconds this engine has spent verifying (the synchronous work, passed or failed), cumulative:
   * the load shedder tells verification load from other pauses of the event loop by it.
   */
  get workMs(): number {
    return this.#workMs;
  }

  #timed(presentation: unknown, nonce: string, requested: readonly ClaimName[], origin: string | undefined, progress: Progress, format?: CredentialFormat) {
    const t0 = performance.now();
    try {
      return this.#verify(presentation, nonce, requested, origin, progress, format);
    } finally {
      this.#workMs += performance.now() - t0;
    }
  }

  #verify(presentation: unknown, nonce: string, requested: readonly ClaimName[], origin: string | undefined, progress: Progress, format?: CredentialFormat) {
    const o = this.#o;
    const pass = (_check: CheckName) => {
      progress.n++;
    };
    const nowSec = Math.floor(o.now() / 1000);

    // Structure (this engine's own decoding: node:crypto hashing, cached headers)
    if (typeof presentation !== 'string') fail('ERR_SDJWT_MALFORMED', 'the presentation must be a string');
    const p = presentation as string;
    if (p.length > MAX_PRESENTATION_LENGTH) fail('ERR_TOKEN_TOO_LARGE', `the presentation is longer than ${MAX_PRESENTATION_LENGTH} characters`);
    const last = p.lastIndexOf('~');
    if (last < 0) fail('ERR_SDJWT_MALFORMED', 'SD-JWT has no ~ separator');
    const parts = p.slice(0, last).split('~');
    const issuerJwt = decodeCompact(parts[0]!, 'ERR_SDJWT_MALFORMED', true);
    const disclosures = parts.slice(1);
    if (disclosures.length > 16) fail('ERR_SDJWT_MALFORMED', 'too many disclosures');
    for (const d of disclosures) if (!d) fail('ERR_SDJWT_MALFORMED', 'empty disclosure');
    const kbCompact = p.slice(last + 1);
    pass('structure');

    // The rules are @maskid/core's (presentation-checks); only decoding and signatures are ours.
    const { header, payload } = issuerJwt;
    const form = credentialFormOf(header);
    // The form the request's DCQL query named (OpenID4VP: the answer matches the query).
    if (format !== undefined && form !== format) fail('ERR_TYP_INVALID', `the request asked for a ${format} credential`);
    pass('typ');
    const alg = checkIssuerAlg(header, o.algorithms);
    pass('alg');
    const { issuer, kid } = issuerAndKidOf(form, header, payload);
    const key = o.keys.get(issuer, kid);
    checkKeyFitsAlg(key.alg, alg);
    pass('issuer');
    if (!verifyJoseSignature(alg, key.key, issuerJwt.signingInput, issuerJwt.signature)) fail('ERR_SIGNATURE_INVALID', 'issuer signature does not verify');
    pass('signature');

    checkSdAlg(payload);
    const parsed: ParsedDisclosure[] = disclosures.map((d) => {
      if (!B64URL.test(d)) fail('ERR_DISCLOSURE_MALFORMED', 'disclosure is not base64url');
      return decodeDisclosure(d, sha256b64(d));
    });
    const vc = applyDisclosures(payload, parsed);
    pass('disclosures');
    const profile = checkProfileOf(form, vc, issuer);
    pass('profile');
    checkValidity(profile.validFrom, profile.validUntil, nowSec, o.skewSeconds);
    pass('validity');
    checkPlatform(profile.platform, o.platform);
    pass('platform');

    // Key binding
    if (!kbCompact) fail('ERR_KB_MISSING', 'presentation has no key-binding JWT');
    let kb: Decoded;
    try {
      kb = decodeCompact(kbCompact, 'ERR_KB_MISSING');
    } catch {
      return fail('ERR_KB_MISSING', 'key-binding JWT is malformed');
    }
    const kbAlg = checkKbHeader(kb.header, o.algorithms, cnfAlgOf(profile.cnf));
    if (!verifyJoseSignature(kbAlg, this.#cnfKey(profile.cnf), kb.signingInput, kb.signature)) fail('ERR_KB_SIGNATURE_INVALID', 'KB-JWT is not signed by the credential key');
    pass('kb.signature');
    checkKbNonce(kb.payload, nonce);
    pass('kb.nonce');
    checkKbAudience(kb.payload, this.#audiences, origin);
    pass('kb.aud');
    checkKbIat(kb.payload, nowSec, o.skewSeconds, o.maxKbAgeSeconds);
    pass('kb.iat');
    checkKbSdHash(kb.payload, sha256b64(p.slice(0, last + 1)));
    pass('kb.sd_hash');

    checkDisclosedClaims(
      parsed.map((d) => d.name),
      requested,
      o.allowedClaims,
    );
    pass('claims');

    for (const entry of profile.credentialStatus) if (o.status.lookup(entry, issuer)) throw statusBitError(entry.statusPurpose);
    pass('status');

    const claims: Partial<PersonClaims> = {};
    for (const c of requested) (claims as Record<string, unknown>)[c] = profile.subject[c];
    return { verified: true as const, maskedId: profile.maskedId, claims, issuer, platform: profile.platform };
  }

  #cnfKey(jwk: Jwk): KeyObject {
    const id = `${jwk.kty}|${jwk.crv}|${jwk.x}|${jwk.y ?? ''}`;
    let k = this.#cnfKeys.get(id);
    if (!k) {
      try {
        k = createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, ...(jwk.y ? { y: jwk.y } : {}) } as import('node:crypto').JsonWebKey, format: 'jwk' });
      } catch {
        return fail('ERR_KB_SIGNATURE_INVALID', 'cnf.jwk is not a valid public key');
      }
      if (this.#cnfKeys.size >= 100_000) this.#cnfKeys.clear();
      this.#cnfKeys.set(id, k);
    }
    return k;
  }
}

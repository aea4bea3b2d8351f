/**
 * SD-JWT (RFC 9901) for the maskid profile: issue, present and a strict reference verifier.
 *
 * Issuing and presenting use `@sd-jwt/core`; verifying is done here, because the profile needs checks
 * the library does not make (typ, every disclosure referenced exactly once, KB `aud`/`iat`, exact
 * claim sets). Everything here runs on WebCrypto.
 */
import { SDJwtInstance } from '@sd-jwt/core';
import type { DisclosureFrame, PresentationFrame } from '@sd-jwt/types';
import { base64url, utf8 } from './encoding.js';
import { maskidContext } from './context.js';
import { MaskidError, type ErrorCode } from './errors.js';
import { algForJwk, decodeJwt, parseBase64urlJson, randomBytes, sha256, verifySignature, ALLOWED_ALGS, MAX_TOKEN_LENGTH, type DecodedJwt, type JwsSigner } from './jose.js';
import {
  CREDENTIAL_TYPES,
  CTY_VC,
  DIGEST_COUNT,
  DISCLOSABLE_CLAIMS,
  ENVELOPED_SD_JWT_PREFIX,
  SALT_BYTES,
  TYP_DC_SD_JWT,
  TYP_VC_SD_JWT,
  VC_CONTEXT_V2,
  contextUrlFor,
  isClaimName,
  type BitstringStatusListEntry,
  type ClaimName,
  type InternetIdCredentialClaims,
  type Jwk,
  type PersonClaims,
} from './profile.js';
import { checkProfileOf, issuerAndKidOf } from './vcld.js';
import {
  checkDisclosedClaims,
  credentialFormOf,
  cnfAlgOf,
  checkIssuerAlg,
  checkKbAudience,
  checkKbHeader,
  checkKbIat,
  checkKbNonce,
  checkKbSdHash,
  checkKeyFitsAlg,
  checkPlatform,
  checkSdAlg,
  checkValidity,
  statusBitError,
  type CheckName,
} from './presentation-checks.js';

const hasher = async (data: string | ArrayBuffer, alg: string): Promise<Uint8Array> => {
  if (alg.toLowerCase() !== 'sha-256') throw new MaskidError('ERR_ALG_NOT_ALLOWED', `hash ${alg} is not supported`);
  return sha256(typeof data === 'string' ? utf8(data) : new Uint8Array(data));
};
const saltGenerator = (length: number): string => base64url(randomBytes(length));

function sdJwtFor(signer?: JwsSigner, kbSigner?: JwsSigner): SDJwtInstance<Record<string, unknown>> {
  return new SDJwtInstance({
    hasher,
    hashAlg: 'sha-256',
    saltGenerator: () => saltGenerator(SALT_BYTES),
    omitTyp: true,
    ...(signer ? { signer: async (input: string) => base64url(await signer.sign(utf8(input))), signAlg: signer.alg } : {}),
    ...(kbSigner ? { kbSigner: async (input: string) => base64url(await kbSigner.sign(utf8(input))), kbSignAlg: kbSigner.alg } : {}),
  });
}

/** Input of {@link issueInternetIdCredential}: the always-visible claims plus the person's claims. */
export interface IssueInput {
  issuer: string;
  kid: string;
  /** Omitted by the issuer (see `InternetIdCredentialClaims.validFrom`); kept for callers that set one. */
  validFrom?: string;
  validUntil: string;
  holder: { id: string; jwk: Jwk };
  maskedId: string;
  platform: string;
  credentialStatus: [BitstringStatusListEntry, BitstringStatusListEntry];
  claims: PersonClaims;
  /** `sha384-…` of the issuer's maskid context (`maskidContext(issuer).digestSRI`). */
  contextDigestSRI: string;
}

/** The credential claims set before disclosure packing (what the issuer signs, claims in clear). */
export function buildCredentialClaims(input: IssueInput): InternetIdCredentialClaims {
  const subject: InternetIdCredentialClaims['credentialSubject'] = {
    id: input.holder.id,
    maskedId: input.maskedId,
    platform: input.platform,
  };
  for (const name of DISCLOSABLE_CLAIMS) (subject as Record<string, unknown>)[name] = input.claims[name];
  return {
    '@context': [VC_CONTEXT_V2, contextUrlFor(input.issuer)],
    type: [...CREDENTIAL_TYPES],
    issuer: input.issuer,
    ...(input.validFrom === undefined ? {} : { validFrom: input.validFrom }),
    validUntil: input.validUntil,
    credentialSubject: subject,
    credentialStatus: input.credentialStatus,
    cnf: { jwk: input.holder.jwk },
    relatedResource: [{ id: contextUrlFor(input.issuer), digestSRI: input.contextDigestSRI }],
  };
}

/**
 * Issues one Internet ID credential as an SD-JWT (`typ: vc+sd-jwt`, `cty: vc`): all ten person
 * claims disclosable, padded with decoys to {@link DIGEST_COUNT} digests, 128-bit salts, no `iat`.
 * Returns the compact SD-JWT with every disclosure (ending in `~`).
 *
 * @example
 * ```ts
 * const sdJwt = await issueInternetIdCredential(input, kmsSigner)
 * const vc = envelope(sdJwt) // { '@context': ..., type: 'EnvelopedVerifiableCredential', id: 'data:application/vc+sd-jwt,...' }
 * ```
 */
export async function issueInternetIdCredential(input: Omit<IssueInput, 'contextDigestSRI'> & { contextDigestSRI?: string }, signer: JwsSigner): Promise<string> {
  const contextDigestSRI = input.contextDigestSRI ?? (await maskidContext(input.issuer)).digestSRI;
  return issueSdJwtCredential(buildCredentialClaims({ ...input, contextDigestSRI }) as unknown as Record<string, unknown>, signer, input.kid);
}

/**
 * Secures a VCDM 2.0 credential claims set as a profile SD-JWT: every profile claim present in
 * `credentialSubject` becomes a disclosure, decoys pad `_sd` to {@link DIGEST_COUNT}; header
 * `typ: vc+sd-jwt`, `cty: vc`, `kid`.
 */
export async function issueSdJwtCredential(claims: Record<string, unknown>, signer: JwsSigner, kid: string): Promise<string> {
  const subject = claims['credentialSubject'];
  if (!subject || typeof subject !== 'object' || Array.isArray(subject)) throw new MaskidError('ERR_PROFILE_INVALID', 'credentialSubject must be an object');
  const sd = DISCLOSABLE_CLAIMS.filter((c) => c in subject);
  const frame = { credentialSubject: { _sd: sd, _sd_decoy: DIGEST_COUNT - sd.length } } as unknown as DisclosureFrame<Record<string, unknown>>;
  return sdJwtFor(signer).issue(claims, frame, { header: { typ: TYP_VC_SD_JWT, cty: CTY_VC, kid } });
}

/** An `EnvelopedVerifiableCredential` (VCDM 2.0 §4.13) around a compact SD-JWT. */
export interface EnvelopedVerifiableCredential {
  '@context': string[];
  type: 'EnvelopedVerifiableCredential';
  id: string;
}

/** Wraps a compact SD-JWT as an `EnvelopedVerifiableCredential`. */
export function envelope(sdJwt: string): EnvelopedVerifiableCredential {
  return { '@context': [VC_CONTEXT_V2], type: 'EnvelopedVerifiableCredential', id: ENVELOPED_SD_JWT_PREFIX + sdJwt };
}

/** The compact SD-JWT inside an `EnvelopedVerifiableCredential` (or the string itself). */
export function unwrapEnvelope(vc: EnvelopedVerifiableCredential | string): string {
  if (typeof vc === 'string') return vc.startsWith(ENVELOPED_SD_JWT_PREFIX) ? vc.slice(ENVELOPED_SD_JWT_PREFIX.length) : vc;
  if (vc?.type !== 'EnvelopedVerifiableCredential' || typeof vc.id !== 'string' || !vc.id.startsWith(ENVELOPED_SD_JWT_PREFIX)) {
    throw new MaskidError('ERR_INPUT_INVALID', 'not an EnvelopedVerifiableCredential with a vc+sd-jwt');
  }
  return vc.id.slice(ENVELOPED_SD_JWT_PREFIX.length);
}

/** Options of {@link presentInternetIdCredential}. */
export interface PresentOptions {
  /** The claims to disclose; nothing else is. */
  claims: readonly ClaimName[];
  /** Signs the KB-JWT: the credential's own holder key. */
  kbSigner: JwsSigner;
  nonce: string;
  aud: string;
  /** Seconds since the epoch (default: now). */
  iat?: number;
}

/**
 * Builds a presentation of either form: the SD-JWT with exactly the chosen disclosures, then a KB-JWT
 * (`typ: kb+jwt`, `nonce`, `aud`, `iat`, `sd_hash`) signed by the holder key.
 */
export async function presentInternetIdCredential(sdJwt: string, options: PresentOptions): Promise<string> {
  for (const c of options.claims) if (!isClaimName(c)) throw new MaskidError('ERR_CLAIM_NOT_ALLOWED', `unknown claim ${String(c)}`);
  const subjectFrame: Record<string, boolean> = {};
  for (const c of options.claims) subjectFrame[c] = true;
  // Either form: the VCLD form keeps the subject under `ld` (told by the issuer JWT's typ).
  const vcld = parseSdJwt(sdJwt).jwt.header['typ'] === TYP_DC_SD_JWT;
  const frame = (vcld ? { ld: { credentialSubject: subjectFrame } } : { credentialSubject: subjectFrame }) as unknown as PresentationFrame<Record<string, unknown>>;
  return sdJwtFor(undefined, options.kbSigner).present(sdJwt, frame, {
    kb: { payload: { iat: options.iat ?? Math.floor(Date.now() / 1000), aud: options.aud, nonce: options.nonce } },
  });
}

// ---------------------------------------------------------------------------------------------
// Parsing and verification

/** One decoded disclosure. */
export interface ParsedDisclosure {
  encoded: string;
  digest: string;
  salt: string;
  /** Claim name; undefined for an array-element disclosure. */
  name: string | undefined;
  value: unknown;
}

/** The parts of a compact SD-JWT (+KB). */
export interface ParsedSdJwt {
  jwt: DecodedJwt;
  /** The issuer-signed JWT as received. */
  jwtCompact: string;
  disclosures: string[];
  /** The KB-JWT compact form, or undefined when the presentation ends in `~`. */
  kbJwt: string | undefined;
  /** Everything up to and including the last `~` (the `sd_hash` input). */
  sdHashInput: string;
}

/** Splits and decodes a compact SD-JWT (RFC 9901 §4) without verifying anything. */
export function parseSdJwt(compact: string, maxLength = MAX_TOKEN_LENGTH): ParsedSdJwt {
  if (typeof compact !== 'string') throw new MaskidError('ERR_SDJWT_MALFORMED', 'SD-JWT must be a string');
  if (compact.length > maxLength) throw new MaskidError('ERR_TOKEN_TOO_LARGE', `SD-JWT longer than ${maxLength} characters`);
  const lastTilde = compact.lastIndexOf('~');
  if (lastTilde < 0) throw new MaskidError('ERR_SDJWT_MALFORMED', 'SD-JWT has no ~ separator');
  const parts = compact.slice(0, lastTilde).split('~');
  const jwtCompact = parts[0]!;
  const disclosures = parts.slice(1);
  for (const d of disclosures) if (d.length === 0) throw new MaskidError('ERR_SDJWT_MALFORMED', 'empty disclosure');
  const kb = compact.slice(lastTilde + 1);
  let jwt: DecodedJwt;
  try {
    jwt = decodeJwt(jwtCompact, maxLength);
  } catch (e) {
    if (e instanceof MaskidError && e.code === 'ERR_JWT_MALFORMED') throw new MaskidError('ERR_SDJWT_MALFORMED', `issuer JWT: ${e.message}`, { cause: e });
    throw e;
  }
  return { jwt, jwtCompact, disclosures, kbJwt: kb.length > 0 ? kb : undefined, sdHashInput: compact.slice(0, lastTilde + 1) };
}

/** Decodes one disclosure and computes its digest with `digest` (SHA-256 → base64url). */
export function decodeDisclosure(encoded: string, digest: string): ParsedDisclosure {
  let arr: unknown;
  try {
    arr = parseBase64urlJson(encoded, 'disclosure');
  } catch (cause) {
    throw new MaskidError('ERR_DISCLOSURE_MALFORMED', 'disclosure is not base64url JSON', { cause });
  }
  if (!Array.isArray(arr) || (arr.length !== 3 && arr.length !== 2) || typeof arr[0] !== 'string') {
    throw new MaskidError('ERR_DISCLOSURE_MALFORMED', 'disclosure must be [salt, name, value] or [salt, value]');
  }
  if (arr.length === 3) {
    const name = arr[1];
    if (typeof name !== 'string' || name === '_sd' || name === '...' || name === '_sd_alg') {
      throw new MaskidError('ERR_DISCLOSURE_MALFORMED', 'disclosure claim name is invalid');
    }
    return { encoded, digest, salt: arr[0], name, value: arr[2] };
  }
  return { encoded, digest, salt: arr[0], name: undefined, value: arr[1] };
}

/** Decodes disclosures with their SHA-256 digests (WebCrypto). */
export async function decodeDisclosures(encoded: readonly string[]): Promise<ParsedDisclosure[]> {
  const out: ParsedDisclosure[] = [];
  for (const e of encoded) out.push(decodeDisclosure(e, base64url(await sha256(utf8(e)))));
  return out;
}

/**
 * Replaces digests in an issuer-signed payload by the disclosed claims (RFC 9901 §7.1 step 3),
 * rejecting a digest that occurs twice, a disclosure that is referenced twice or never, and a
 * disclosed name that already exists. `_sd` and `_sd_alg` are removed; undisclosed array elements
 * are dropped.
 */
export function applyDisclosures(payload: Record<string, unknown>, disclosures: readonly ParsedDisclosure[]): Record<string, unknown> {
  const byDigest = new Map<string, ParsedDisclosure>();
  for (const d of disclosures) {
    if (byDigest.has(d.digest)) throw new MaskidError('ERR_DISCLOSURE_DUPLICATE', 'the same disclosure is present twice');
    byDigest.set(d.digest, d);
  }
  const seenDigests = new Set<string>();
  const used = new Set<string>();
  const walk = (value: unknown, depth: number): unknown => {
    if (depth > 32) throw new MaskidError('ERR_SDJWT_MALFORMED', 'payload nested too deeply');
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const el of value) {
        if (el && typeof el === 'object' && !Array.isArray(el) && '...' in el) {
          const keys = Object.keys(el);
          const digest = (el as Record<string, unknown>)['...'];
          if (keys.length !== 1 || typeof digest !== 'string') throw new MaskidError('ERR_SDJWT_MALFORMED', 'array digest element is malformed');
          noteDigest(digest);
          const d = byDigest.get(digest);
          if (!d) continue;
          if (d.name !== undefined) throw new MaskidError('ERR_DISCLOSURE_MALFORMED', 'object disclosure used for an array element');
          used.add(digest);
          out.push(walk(d.value, depth + 1));
        } else {
          out.push(walk(el, depth + 1));
        }
      }
      return out;
    }
    if (value && typeof value === 'object') {
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) {
        if (k === '_sd' || k === '_sd_alg') continue;
        out[k] = walk(v, depth + 1);
      }
      const sd = obj['_sd'];
      if (sd !== undefined) {
        if (!Array.isArray(sd)) throw new MaskidError('ERR_SDJWT_MALFORMED', '_sd must be an array');
        for (const digest of sd) {
          if (typeof digest !== 'string') throw new MaskidError('ERR_SDJWT_MALFORMED', '_sd entries must be strings');
          noteDigest(digest);
          const d = byDigest.get(digest);
          if (!d) continue;
          if (d.name === undefined) throw new MaskidError('ERR_DISCLOSURE_MALFORMED', 'array disclosure used for an object property');
          if (Object.hasOwn(out, d.name) || d.name === '__proto__') {
            throw new MaskidError('ERR_DISCLOSURE_MALFORMED', `disclosed claim ${d.name} already exists`);
          }
          used.add(digest);
          out[d.name] = walk(d.value, depth + 1);
        }
      }
      return out;
    }
    return value;
  };
  const noteDigest = (digest: string): void => {
    if (seenDigests.has(digest)) throw new MaskidError('ERR_DISCLOSURE_DUPLICATE', 'a digest occurs more than once');
    seenDigests.add(digest);
  };
  const result = walk(payload, 0) as Record<string, unknown>;
  if (used.size !== byDigest.size) throw new MaskidError('ERR_DISCLOSURE_UNREFERENCED', 'a disclosure is not referenced by the credential');
  return result;
}

/** Result of one named check. */
export interface CheckResult {
  check: string;
  ok: boolean;
}

/** A verified presentation. */
export interface VerifiedPresentation {
  verified: true;
  maskedId: string;
  claims: Partial<PersonClaims>;
  issuer: string;
  platform: string;
  holderJwk: Jwk;
  credentialStatus: BitstringStatusListEntry[];
  validUntil: string;
  checks: CheckResult[];
}

/** A rejected presentation: the first failing check's stable code. */
export interface RejectedPresentation {
  verified: false;
  error: { code: ErrorCode; message: string };
  checks: CheckResult[];
}

export type PresentationResult = VerifiedPresentation | RejectedPresentation;

/** Status lookup: return true when the bit for this entry is set. Throw `ERR_STATUS_*` when unknown. */
export type StatusLookup = (entry: BitstringStatusListEntry, issuer: string) => Promise<boolean> | boolean;

/** Options of {@link verifyInternetIdPresentation}. */
export interface VerifyOptions {
  /**
   * Returns the public key for `kid` of a trusted `issuer`, or throws `ERR_ISSUER_UNTRUSTED` /
   * `ERR_KEY_UNKNOWN`. Trust is decided here, never by the token.
   */
  issuerKey: (issuer: string, kid: string) => Promise<Jwk> | Jwk;
  /** The nonce this verifier issued for this request. */
  nonce: string;
  /** Accepted `aud` values (e.g. `origin:https://shop.example`). */
  audiences: readonly string[];
  /** The platform this verifier serves: `credentialSubject.platform` must equal it. */
  platform: string;
  /** The exact claims requested: the disclosed set must equal it. */
  requestedClaims: readonly ClaimName[];
  /** Claims this platform may receive. Defaults to `requestedClaims`. */
  allowedClaims?: readonly ClaimName[];
  /** Status bit lookup (revocation, suspension). Omit only in tests that do not cover status. */
  status?: StatusLookup;
  /** Allowed JWS algorithms (subset of ES256, EdDSA). */
  algorithms?: readonly string[];
  /** Clock (default `Date.now`). */
  now?: () => number;
  /** Allowed clock skew in seconds (default 60). */
  skewSeconds?: number;
  /** How old a KB-JWT `iat` may be, in seconds (default 300). */
  maxKbAgeSeconds?: number;
  maxLength?: number;
}

class Checks {
  readonly list: CheckResult[] = [];
  pass(check: CheckName): void {
    this.list.push({ check, ok: true });
  }
}

/**
 * Verifies an Internet ID presentation (SD-JWT + KB-JWT) completely: structure, `typ`, `alg`
 * allow-list, issuer trust and signature, disclosures, profile, validity, platform, key binding
 * (`typ`, signature by `cnf.jwk`, `nonce`, `aud`, `iat`, `sd_hash`), requested and allowed claims,
 * and status. Never throws for a bad token; the first failing check's code is returned.
 *
 * @example
 * ```ts
 * const r = await verifyInternetIdPresentation(vpToken, { issuerKey, nonce, audiences: ['origin:https://a.example'],
 *   platform: 'shop-a', requestedClaims: ['ageOver18'], status })
 * if (r.verified) login(r.maskedId, r.claims)
 * else reject(r.error.code)
 * ```
 */
export async function verifyInternetIdPresentation(presentation: string, options: VerifyOptions): Promise<PresentationResult> {
  const checks = new Checks();
  try {
    const verified = await verifyOrThrow(presentation, options, checks);
    return { ...verified, checks: checks.list };
  } catch (e) {
    if (e instanceof MaskidError) return { verified: false, error: e.toJSON(), checks: checks.list };
    return { verified: false, error: { code: 'ERR_INTERNAL', message: 'verification failed unexpectedly' }, checks: checks.list };
  }
}

async function verifyOrThrow(presentation: string, o: VerifyOptions, checks: Checks): Promise<Omit<VerifiedPresentation, 'checks'>> {
  const algorithms = o.algorithms ?? ALLOWED_ALGS;
  const nowSec = Math.floor((o.now ?? Date.now)() / 1000);
  const skew = o.skewSeconds ?? 60;

  const parsed = parseSdJwt(presentation, o.maxLength);
  checks.pass('structure');
  const { header, payload } = parsed.jwt;
  const form = credentialFormOf(header);
  checks.pass('typ');
  const alg = checkIssuerAlg(header, algorithms);
  checks.pass('alg');
  const { issuer, kid } = issuerAndKidOf(form, header, payload);
  const issuerJwk = await o.issuerKey(issuer, kid);
  checkKeyFitsAlg(algForJwk(issuerJwk), alg);
  checks.pass('issuer');
  if (!(await verifySignature(alg, issuerJwk, utf8(parsed.jwt.signingInput), parsed.jwt.signature))) {
    throw new MaskidError('ERR_SIGNATURE_INVALID', 'issuer signature does not verify');
  }
  checks.pass('signature');

  checkSdAlg(payload);
  const disclosures = await decodeDisclosures(parsed.disclosures);
  const vc = applyDisclosures(payload, disclosures);
  checks.pass('disclosures');
  const profile = checkProfileOf(form, vc, issuer);
  checks.pass('profile');
  checkValidity(profile.validFrom, profile.validUntil, nowSec, skew);
  checks.pass('validity');
  checkPlatform(profile.platform, o.platform);
  checks.pass('platform');

  // Key binding
  if (!parsed.kbJwt) throw new MaskidError('ERR_KB_MISSING', 'presentation has no key-binding JWT');
  let kb: DecodedJwt;
  try {
    kb = decodeJwt(parsed.kbJwt, o.maxLength);
  } catch (e) {
    throw new MaskidError('ERR_KB_MISSING', 'key-binding JWT is malformed', { cause: e });
  }
  const kbAlg = checkKbHeader(kb.header, algorithms, cnfAlgOf(profile.cnf));
  if (!(await verifySignature(kbAlg, profile.cnf, utf8(kb.signingInput), kb.signature))) {
    throw new MaskidError('ERR_KB_SIGNATURE_INVALID', 'KB-JWT is not signed by the credential key');
  }
  checks.pass('kb.signature');
  checkKbNonce(kb.payload, o.nonce);
  checks.pass('kb.nonce');
  checkKbAudience(kb.payload, o.audiences);
  checks.pass('kb.aud');
  checkKbIat(kb.payload, nowSec, skew, o.maxKbAgeSeconds ?? 300);
  checks.pass('kb.iat');
  checkKbSdHash(kb.payload, base64url(await sha256(utf8(parsed.sdHashInput))));
  checks.pass('kb.sd_hash');

  checkDisclosedClaims(
    disclosures.map((d) => d.name),
    o.requestedClaims,
    o.allowedClaims ?? o.requestedClaims,
  );
  checks.pass('claims');

  if (o.status) {
    for (const entry of profile.credentialStatus) if (await o.status(entry, issuer)) throw statusBitError(entry.statusPurpose);
    checks.pass('status');
  }

  const claims: Partial<PersonClaims> = {};
  for (const name of o.requestedClaims) (claims as Record<string, unknown>)[name] = profile.subject[name];
  return {
    verified: true,
    maskedId: profile.maskedId,
    claims,
    issuer,
    platform: profile.platform,
    holderJwk: profile.cnf,
    credentialStatus: profile.credentialStatus,
    validUntil: profile.validUntil,
  };
}

/** Decodes every disclosure of an issued credential (wallet side: what it holds). */
export async function disclosedClaimsOf(sdJwt: string): Promise<Record<string, unknown>> {
  const parsed = parseSdJwt(sdJwt);
  return applyDisclosures(parsed.jwt.payload, await decodeDisclosures(parsed.disclosures));
}

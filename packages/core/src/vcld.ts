/**
 * The SD-JWT VCLD form of the Internet ID credential (OpenID4VP 1.0 §B.3.7, "SD-JWT VCLD"): the same
 * person, masked ID, claims, key and status index as the VCDM form, secured as an SD-JWT VC
 * (`typ: dc+sd-jwt`) that OpenID4VP 1.0 / HAIP software can ask for by `vct`.
 *
 * - `iss` is the issuer's https URL (the base URL of its did:web); the header's `kid` is the key's
 *   fragment in the issuer's DID document, and the same key is in its JWT VC Issuer Metadata
 *   (`/.well-known/jwt-vc-issuer`). A maskid verifier maps `iss` to the did:web and takes the key
 *   from the signed key list it already trusts: nothing is fetched per login.
 * - one `vct` per issuer, for every person and platform ({@link vctFor}); `exp` (and `nbf` only when
 *   the VCDM form has a `validFrom`); `cnf`; `status.status_list { idx, uri }` naming an IETF Token
 *   Status List (2 bits: valid, invalid, suspended) at the same list and index as the Bitstring lists.
 * - `ld` holds the VCDM-shaped object: `@context`, `type`, `credentialSubject` (masked ID, platform,
 *   holder DID, the ten claims selectively disclosable) and `relatedResource` (the context digest),
 *   without `issuer`, validity or `credentialStatus`, which the JWT claims carry.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { base64url, fromBase64url } from './encoding.js';
import { MaskidError } from './errors.js';
import { checkProfile, type ProfileView } from './profile-check.js';
import { didWebToUrl, FORMAT_DC_SD_JWT, type InternetIdCredentialClaims, type Jwk, urlToDidWeb } from './profile.js';
import { issuerAndKid } from './presentation-checks.js';
import { statusListUrl } from './status-manifest.js';
import { PLATFORM_ID_PATTERN, type CredentialFormat } from './wire.js';

/** JOSE `typ` of an IETF Token Status List in JWT format. */
export const TYP_STATUS_LIST_JWT = 'statuslist+jwt';
/** Media type of a Token Status List in JWT format. */
export const STATUS_LIST_JWT_MEDIA_TYPE = 'application/statuslist+jwt';
/** Path of the issuer's JWT VC Issuer Metadata (SD-JWT VC §5). */
export const JWT_VC_ISSUER_METADATA_PATH = '/.well-known/jwt-vc-issuer';
/** Where, under the issuer's disclosable claims, the VCLD form keeps them. */
export const VCLD_SUBJECT_PATH = ['ld', 'credentialSubject'] as const;
/** Token Status List values (2 bits each). */
export const TOKEN_STATUS = { valid: 0, invalid: 1, suspended: 2 } as const;

/**
 * The one `vct` of an issuer's Internet ID credentials: a URL under the issuer's own origin (so it is
 * collision-resistant), the same for every person and platform, versioned. Verifiers compare it; none
 * needs to fetch it.
 *
 * @example
 * ```ts
 * vctFor('https://id.example.gov') // 'https://id.example.gov/vct/internet-id/v1'
 * ```
 */
export function vctFor(issuerUrl: string): string {
  return issuerUrl + VCT_PATH;
}
/** Where, under an issuer's URL, its `vct` is. */
export const VCT_PATH = '/vct/internet-id/v1';

/**
 * What a holder reads of an issued credential of either form: the subject (masked ID, platform, and
 * the claims once disclosures are applied) and `validUntil` (ISO; the VCLD form's `exp`).
 */
export function credentialViewOf(payload: Record<string, unknown>): { subject: Record<string, unknown>; validUntil: string } {
  const ld = payload['ld'] as Record<string, unknown> | undefined;
  if (ld && typeof ld === 'object' && typeof payload['exp'] === 'number') {
    return { subject: (ld['credentialSubject'] ?? {}) as Record<string, unknown>, validUntil: isoOfSeconds(payload['exp']) };
  }
  return { subject: (payload['credentialSubject'] ?? {}) as Record<string, unknown>, validUntil: String(payload['validUntil']) };
}

/** True when `iss` is the base URL of the did:web `issuer` (the VCLD form's `iss` for that issuer). */
export function isIssuerUrlOf(iss: unknown, issuer: string): boolean {
  return issuerOfUrl(iss) === issuer;
}

/** The URL of a platform's Token Status List number `list` (the same list number as its Bitstring lists). */
export function tokenStatusListUrl(issuerUrl: string, platformId: string, list: number): string {
  return `${issuerUrl}/status/${platformId}/token-${list}`;
}

/** The claims of the VCLD form, before selective disclosure is applied. */
export interface VcldClaims {
  iss: string;
  nbf?: number;
  exp: number;
  vct: string;
  cnf: { jwk: Jwk };
  status: { status_list: { idx: number; uri: string } };
  ld: {
    '@context': InternetIdCredentialClaims['@context'];
    type: InternetIdCredentialClaims['type'];
    credentialSubject: InternetIdCredentialClaims['credentialSubject'];
    relatedResource: InternetIdCredentialClaims['relatedResource'];
  };
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
/** The VCDM date-time of a JWT `exp`/`nbf` (whole seconds, as the issuer writes `validUntil`). */
const isoOfSeconds = (t: number) => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/**
 * The VCLD form of a VCDM-form claims set: the same subject, key, dates and status position. `list` is
 * the status list number of the credential (its Bitstring entries' list).
 *
 * @example
 * ```ts
 * const vcld = vcldClaimsOf(buildCredentialClaims(input), 'https://id.example.gov', 3)
 * ```
 */
export function vcldClaimsOf(vc: InternetIdCredentialClaims, issuerUrl: string, list: number): VcldClaims {
  const platform = vc.credentialSubject.platform;
  return {
    iss: issuerUrl,
    ...(vc.validFrom === undefined ? {} : { nbf: seconds(vc.validFrom) }),
    exp: seconds(vc.validUntil),
    vct: vctFor(issuerUrl),
    cnf: vc.cnf,
    status: { status_list: { idx: Number(vc.credentialStatus[0].statusListIndex), uri: tokenStatusListUrl(issuerUrl, platform, list) } },
    ld: { '@context': vc['@context'], type: vc.type, credentialSubject: vc.credentialSubject, relatedResource: vc.relatedResource },
  };
}

/**
 * The issuer DID and key (a DID URL of it) of a VCLD credential: `iss` must be the base URL of a did:web
 * (https; http only for a loopback host, which a verifier trusts only in its dev mode), and `kid` a
 * fragment of that DID's document. Whether that DID is trusted is the caller's key lookup
 * (`ERR_ISSUER_UNTRUSTED` there).
 */
export function vcldIssuerAndKid(header: Record<string, unknown>, payload: Record<string, unknown>): { issuer: string; kid: string } {
  const issuer = issuerOfUrl(payload['iss']);
  if (!issuer) throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'iss must be the https URL of a did:web issuer');
  const kid = header['kid'];
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256 || kid.includes('#')) throw new MaskidError('ERR_KEY_UNKNOWN', 'kid must name a key of the issuer');
  return { issuer, kid: `${issuer}#${kid}` };
}

const LOOPBACK = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?(\/|$)/;

/** The did:web whose base URL `iss` is exactly (https, or http on a loopback host), or undefined. */
function issuerOfUrl(iss: unknown): string | undefined {
  if (typeof iss !== 'string' || iss.length > 512) return undefined;
  // Every credential of an issuer names the same iss: the URL parsing runs once per value (bounded).
  if (issuers.has(iss)) return issuers.get(iss);
  let did: string | undefined;
  if (iss.startsWith('https://') || LOOPBACK.test(iss)) {
    try {
      did = urlToDidWeb(iss);
      if (didWebToUrl(did, iss.startsWith('https://') ? 'https:' : 'http:') !== iss) did = undefined;
    } catch {
      did = undefined;
    }
  }
  if (issuers.size >= 64) issuers.clear();
  issuers.set(iss, did);
  return did;
}
const issuers = new Map<string, string | undefined>();

/** The issuer DID and key DID URL of an issuer JWT of either form (check `issuer`, first half). */
export function issuerAndKidOf(format: CredentialFormat, header: Record<string, unknown>, payload: Record<string, unknown>): { issuer: string; kid: string } {
  return format === FORMAT_DC_SD_JWT ? vcldIssuerAndKid(header, payload) : issuerAndKid(header, payload);
}

/** The profile check of a credential of either form (disclosures applied), as one view (check `profile`). */
export function checkProfileOf(format: CredentialFormat, vc: Record<string, unknown>, issuer: string): ProfileView {
  return format === FORMAT_DC_SD_JWT ? checkVcldProfile(vc, issuer) : checkProfile(vc, issuer);
}

/**
 * Checks a VCLD credential (disclosures applied) against the profile and returns the same view as the
 * VCDM form's {@link checkProfile}: `ld` must be exactly the VCDM object without issuer, validity and
 * status; `vct`, `exp`/`nbf`, `cnf` and `status` must be as the issuer writes them. The status entry is
 * returned as the two Bitstring entries at the same list and index, which is where a maskid verifier
 * reads it. Throws `ERR_PROFILE_INVALID`.
 */
export function checkVcldProfile(payload: Record<string, unknown>, issuer: string): ProfileView {
  const fail = (what: string): never => {
    throw new MaskidError('ERR_PROFILE_INVALID', `credential does not follow the maskid VCLD profile: ${what}`);
  };
  const issuerUrl = payload['iss'] as string;
  if (issuerOfUrl(issuerUrl) !== issuer) fail('iss');
  for (const key of Object.keys(payload)) if (!VCLD_MEMBERS.has(key)) fail(`unexpected member ${key.slice(0, 40)}`);
  if (payload['vct'] !== vctFor(issuerUrl)) fail('vct');
  const exp = payload['exp'];
  const nbf = payload['nbf'];
  if (typeof exp !== 'number' || !Number.isSafeInteger(exp) || exp <= 0) fail('exp');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isSafeInteger(nbf) || nbf < 0)) fail('nbf');
  const ld = payload['ld'];
  if (!ld || typeof ld !== 'object' || Array.isArray(ld)) fail('ld');
  for (const key of Object.keys(ld as object)) if (!LD_MEMBERS.has(key)) fail(`unexpected ld member ${key.slice(0, 40)}`);
  const status = (payload['status'] as Record<string, unknown> | undefined)?.['status_list'] as Record<string, unknown> | undefined;
  if (!status || typeof status !== 'object' || Object.keys(payload['status'] as object).length !== 1) fail('status must hold exactly status_list');
  const { idx, uri } = status as { idx: unknown; uri: unknown };
  if (typeof idx !== 'number' || !Number.isSafeInteger(idx) || idx < 0) fail('status.status_list.idx');
  const list = typeof uri === 'string' ? bitstringListsOf(uri, issuerUrl) : undefined;
  if (!list) fail('status.status_list.uri is not a token status list of this issuer');
  // The VCDM object the two forms share: the profile's checks on subject, key, context and dates are one set.
  const l = ld as Record<string, unknown>;
  const entry = (purpose: 'revocation' | 'suspension') => {
    const url = list![purpose];
    return { id: `${url}#${idx}`, type: 'BitstringStatusListEntry', statusPurpose: purpose, statusListIndex: String(idx), statusListCredential: url };
  };
  const view = checkProfile(
    {
      '@context': l['@context'],
      type: l['type'],
      relatedResource: l['relatedResource'],
      ...(nbf === undefined ? {} : { validFrom: isoOfSeconds(nbf as number) }),
      validUntil: isoOfSeconds(exp as number),
      credentialSubject: l['credentialSubject'],
      cnf: payload['cnf'],
      credentialStatus: [entry('revocation'), entry('suspension')],
    },
    issuer,
  );
  if (view.platform !== list!.platform) fail('status.status_list.uri names another platform');
  return view;
}

/** The platform and the two Bitstring list URLs of a Token Status List URL of this issuer (memoised: lists are shared by many credentials). */
function bitstringListsOf(uri: string, issuerUrl: string): { platform: string; revocation: string; suspension: string } | undefined {
  const key = `${issuerUrl} ${uri}`;
  let lists = tokenLists.get(key);
  if (lists === undefined) {
    const named = tokenListOf(uri, issuerUrl);
    if (!named) return undefined;
    lists = {
      platform: named.platform,
      revocation: statusListUrl(issuerUrl, named.platform, 'revocation', named.list),
      suspension: statusListUrl(issuerUrl, named.platform, 'suspension', named.list),
    };
    if (tokenLists.size >= 65_536) tokenLists.clear();
    tokenLists.set(key, lists);
  }
  return lists;
}
const tokenLists = new Map<string, { platform: string; revocation: string; suspension: string }>();

const VCLD_MEMBERS = new Set(['iss', 'nbf', 'exp', 'vct', 'cnf', 'status', 'ld']);
const LD_MEMBERS = new Set(['@context', 'type', 'credentialSubject', 'relatedResource']);
const TOKEN_LIST = /^\/status\/([a-z0-9-]+)\/token-(\d{1,7})$/;

/** The platform and list number a Token Status List URL of this issuer names, or undefined. */
export function tokenListOf(uri: string, issuerUrl: string): { platform: string; list: number } | undefined {
  if (!uri.startsWith(issuerUrl + '/')) return undefined;
  const m = TOKEN_LIST.exec(uri.slice(issuerUrl.length));
  if (!m || !PLATFORM_ID_PATTERN.test(m[1]!)) return undefined;
  const list = Number(m[2]);
  return tokenStatusListUrl(issuerUrl, m[1]!, list) === uri ? { platform: m[1]!, list } : undefined;
}

/**
 * Packs a Token Status List (2 bits per entry, entry 0 in the least significant bits of byte 0, ZLIB,
 * base64url) from the two Bitstring lists of the same list number (bit 0 = the most significant bit of
 * byte 0, as the W3C list packs them): revoked → INVALID (1), else suspended → SUSPENDED (2), else VALID.
 * `entries` is the list size (a multiple of 8).
 *
 * @example
 * ```ts
 * const lst = encodeTokenStatusList(revocationBytes, suspensionBytes, 131072)
 * ```
 */
export function encodeTokenStatusList(
  revocation: Uint8Array,
  suspension: Uint8Array,
  entries: number,
  zlib: (bytes: Uint8Array) => Uint8Array = (b) => zlibSync(b, { level: 9 }),
): string {
  if (entries % 8 !== 0 || revocation.length * 8 < entries || suspension.length * 8 < entries) throw new MaskidError('ERR_INPUT_INVALID', 'lists are shorter than the entries');
  const out = new Uint8Array(entries / 4);
  for (let byte = 0; byte < entries / 8; byte++) {
    const r = revocation[byte]!;
    const s = suspension[byte]!;
    if ((r | s) === 0) continue;
    for (let bit = 0; bit < 8; bit++) {
      const mask = 0x80 >> bit;
      const value = r & mask ? TOKEN_STATUS.invalid : s & mask ? TOKEN_STATUS.suspended : TOKEN_STATUS.valid;
      if (value === 0) continue;
      const i = byte * 8 + bit;
      out[i >> 2]! |= value << ((i & 3) * 2);
    }
  }
  return base64url(zlib(out));
}

/** The status (0–3) of entry `idx` of a packed 2-bit Token Status List (`lst`), or undefined past its end. */
export function tokenStatusAt(lst: string, idx: number): number | undefined {
  const bytes = fromBase64url(lst);
  if (!bytes) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'lst is not base64url');
  let raw: Uint8Array;
  try {
    raw = unzlibSync(bytes);
  } catch (cause) {
    throw new MaskidError('ERR_STATUS_LIST_INVALID', 'lst is not ZLIB', { cause });
  }
  const byte = raw[idx >> 2];
  return byte === undefined ? undefined : (byte >> ((idx & 3) * 2)) & 3;
}

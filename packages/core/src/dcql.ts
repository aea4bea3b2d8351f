/**
 * DCQL (OpenID4VP 1.0 §6) and DC API request helpers for the maskid profile: one credential query
 * `internet_id` of format `vc+sd-jwt`, claim paths `["credentialSubject", <claim>]`, no value matching.
 */
import { MaskidError } from './errors.js';
import { ALLOWED_ALGS } from './jose.js';
import { vocabularyFor } from './context.js';
import { CREDENTIAL_TYPES, DC_API_PROTOCOL, DCQL_CREDENTIAL_ID, FORMAT_DC_SD_JWT, FORMAT_ID, MASKID_VOCAB_PATH, isClaimName, type ClaimName } from './profile.js';
import { VCLD_SUBJECT_PATH, VCT_PATH, vctFor } from './vcld.js';
import type { CredentialFormat } from './wire.js';

/** The fully expanded IRI of `VerifiableCredential` under the VCDM 2.0 context. */
export const VERIFIABLE_CREDENTIAL_IRI = 'https://www.w3.org/2018/credentials#VerifiableCredential';

/**
 * DCQL `type_values` for the Internet ID (OpenID4VP 1.0 §B.1.1: fully expanded type IRIs): one
 * alternative per trusted issuer, `[VerifiableCredential IRI, <issuer vocabulary>#InternetIdCredential]`,
 * then the compact terms as a last alternative for wallets that do not expand.
 */
export function internetIdTypeValues(issuerDids: readonly string[]): string[][] {
  return [...issuerDids.map((did) => [VERIFIABLE_CREDENTIAL_IRI, `${vocabularyFor(did)}${CREDENTIAL_TYPES[1]}`]), [...CREDENTIAL_TYPES]];
}

/** True when one `type_values` alternative matches an Internet ID of `issuerDid` (expanded or compact). */
export function typeValuesMatch(typeValues: readonly (readonly string[])[], issuerDid: string): boolean {
  const internetId = `${vocabularyFor(issuerDid)}${CREDENTIAL_TYPES[1]}`;
  return typeValues.some(
    (alt) => alt.length === 2 && ((alt[0] === CREDENTIAL_TYPES[0] && alt[1] === CREDENTIAL_TYPES[1]) || (alt[0] === VERIFIABLE_CREDENTIAL_IRI && alt[1] === internetId)),
  );
}

/** `client_metadata.vp_formats_supported` of a maskid request (OpenID4VP 1.0 §11.1; the SD-JWT parameters of §B.3.4), for the form asked for. */
export function vpFormatsSupported(format: CredentialFormat = FORMAT_ID): Partial<Record<CredentialFormat, { 'sd-jwt_alg_values': string[]; 'kb-jwt_alg_values': string[] }>> {
  return { [format]: { 'sd-jwt_alg_values': [...ALLOWED_ALGS], 'kb-jwt_alg_values': [...ALLOWED_ALGS] } };
}

/** The DCQL query of a maskid request. */
export interface DcqlQuery {
  credentials: [
    {
      id: typeof DCQL_CREDENTIAL_ID;
      format: typeof FORMAT_ID;
      meta: { type_values: string[][] };
      claims: { path: [string, string] }[];
    },
  ];
}

/** The DC API request (`navigator.credentials.get({ digital: { requests: [this] } })`). */
export interface DcApiRequest {
  protocol: typeof DC_API_PROTOCOL;
  data: {
    response_type: 'vp_token';
    response_mode: 'dc_api';
    nonce: string;
    dcql_query: DcqlQuery | VcldDcqlQuery;
    client_metadata: { vp_formats_supported: ReturnType<typeof vpFormatsSupported> };
  };
}

/**
 * Builds the DCQL query for the given claims.
 *
 * @example
 * ```ts
 * buildDcqlQuery(['ageOver18', 'region'])
 * // { credentials: [{ id: 'internet_id', format: 'vc+sd-jwt', meta: {...}, claims: [{ path: ['credentialSubject','ageOver18'] }, ...] }] }
 * ```
 */
export function buildDcqlQuery(claims: readonly ClaimName[], issuerDids: readonly string[] = []): DcqlQuery {
  const unique = checkClaimList(claims);
  return {
    credentials: [
      {
        id: DCQL_CREDENTIAL_ID,
        format: FORMAT_ID,
        meta: { type_values: internetIdTypeValues(issuerDids) },
        claims: unique.map((c) => ({ path: ['credentialSubject', c] as [string, string] })),
      },
    ],
  };
}

/** The DCQL query of a request for the SD-JWT VCLD form (OpenID4VP 1.0 §B.3.5 and §B.3.7). */
export interface VcldDcqlQuery {
  credentials: [
    {
      id: typeof DCQL_CREDENTIAL_ID;
      format: typeof FORMAT_DC_SD_JWT;
      meta: { vct_values: string[] };
      claims: { path: [string, string, string] }[];
    },
  ];
}

/**
 * Builds the DCQL query that asks for the SD-JWT VCLD form: `format: dc+sd-jwt`, `meta.vct_values` the
 * trusted issuers' one `vct` each, claim paths `["ld", "credentialSubject", <claim>]`.
 *
 * @example
 * ```ts
 * buildVcldDcqlQuery(['ageOver18'], ['https://id.example.gov'])
 * // { credentials: [{ id: 'internet_id', format: 'dc+sd-jwt', meta: { vct_values: ['https://id.example.gov/vct/internet-id/v1'] }, claims: [{ path: ['ld','credentialSubject','ageOver18'] }] }] }
 * ```
 */
export function buildVcldDcqlQuery(claims: readonly ClaimName[], issuerUrls: readonly string[]): VcldDcqlQuery {
  const unique = checkClaimList(claims);
  if (issuerUrls.length === 0) throw new MaskidError('ERR_DCQL_INVALID', 'a dc+sd-jwt query names the vct of at least one issuer');
  return {
    credentials: [
      {
        id: DCQL_CREDENTIAL_ID,
        format: FORMAT_DC_SD_JWT,
        meta: { vct_values: issuerUrls.map(vctFor) },
        claims: unique.map((c) => ({ path: [...VCLD_SUBJECT_PATH, c] as [string, string, string] })),
      },
    ],
  };
}

/**
 * Builds the unsigned OpenID4VP DC API request, for the VCDM form (default; `issuers` are DIDs, for the
 * expanded `type_values`) or the SD-JWT VCLD form (`format: 'dc+sd-jwt'`; `issuers` are the issuers' URLs,
 * for `vct_values`).
 */
export function buildDcApiRequest(nonce: string, claims: readonly ClaimName[], issuers: readonly string[] = [], format: CredentialFormat = FORMAT_ID): DcApiRequest {
  return {
    protocol: DC_API_PROTOCOL,
    data: {
      response_type: 'vp_token',
      response_mode: 'dc_api',
      nonce,
      dcql_query: format === FORMAT_DC_SD_JWT ? buildVcldDcqlQuery(claims, issuers) : buildDcqlQuery(claims, issuers),
      client_metadata: { vp_formats_supported: vpFormatsSupported(format) },
    },
  };
}

function checkClaimList(claims: readonly unknown[]): ClaimName[] {
  if (!Array.isArray(claims) || claims.length === 0) throw new MaskidError('ERR_DCQL_INVALID', 'at least one claim must be requested');
  const out: ClaimName[] = [];
  for (const c of claims) {
    if (!isClaimName(c)) throw new MaskidError('ERR_DCQL_INVALID', `unknown claim ${JSON.stringify(c)}`);
    if (out.includes(c)) throw new MaskidError('ERR_DCQL_INVALID', `claim ${c} requested twice`);
    out.push(c);
  }
  return out;
}

/**
 * Parses a DCQL query strictly (wallet side) and returns the requested claim names. Anything outside
 * the profile (other formats, several credentials, `values`, `claim_sets`, unknown members) is refused.
 */
export function parseDcqlQuery(query: unknown): ClaimName[] {
  return parseDcqlQueryFull(query).claims;
}

/**
 * {@link parseDcqlQuery} with the form the query asks for and its type constraint: `type_values`
 * alternatives for the VCDM form (`vc+sd-jwt`), `vct_values` for the SD-JWT VCLD form (`dc+sd-jwt`,
 * claim paths `["ld", "credentialSubject", <claim>]`).
 */
export function parseDcqlQueryFull(query: unknown): { claims: ClaimName[]; format: CredentialFormat; typeValues: string[][]; vctValues: string[] } {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_DCQL_INVALID', `DCQL query is not a maskid query: ${why}`);
  };
  if (!query || typeof query !== 'object' || Array.isArray(query)) fail('not an object');
  const q = query as Record<string, unknown>;
  if (Object.keys(q).some((k) => k !== 'credentials')) fail('unknown member');
  const creds = q['credentials'];
  if (!Array.isArray(creds) || creds.length !== 1) fail('exactly one credential query is supported');
  const c = (creds as unknown[])[0] as Record<string, unknown>;
  if (!c || typeof c !== 'object') fail('credential query is not an object');
  if (Object.keys(c).some((k) => !['id', 'format', 'meta', 'claims'].includes(k))) fail('unsupported credential query member');
  if (c['id'] !== DCQL_CREDENTIAL_ID) fail(`id must be ${DCQL_CREDENTIAL_ID}`);
  const format = c['format'];
  if (format !== FORMAT_ID && format !== FORMAT_DC_SD_JWT) fail(`format must be ${FORMAT_ID} or ${FORMAT_DC_SD_JWT}`);
  const vcld = format === FORMAT_DC_SD_JWT;
  const meta = c['meta'] as Record<string, unknown> | undefined;
  const metaMember = vcld ? 'vct_values' : 'type_values';
  if (!meta || typeof meta !== 'object' || Object.keys(meta).some((k) => k !== metaMember)) fail(`meta may only hold ${metaMember}`);
  let typeValues: string[][] = [];
  let vctValues: string[] = [];
  if (vcld) {
    const vv = meta?.['vct_values'];
    if (!Array.isArray(vv) || vv.length === 0 || vv.length > 8 || !vv.every((v) => typeof v === 'string' && v.length <= 512)) fail('meta.vct_values must list 1 to 8 vct values');
    vctValues = vv as string[];
  } else {
    const tv = meta?.['type_values'];
    // Each alternative: the compact terms, or the expanded IRIs (an https vocabulary of maskid's path).
    const expandedId = (t: unknown) => typeof t === 'string' && /^https:\/\/[^\s#]+#InternetIdCredential$/.test(t) && t.endsWith(`${MASKID_VOCAB_PATH}#${CREDENTIAL_TYPES[1]}`);
    const alternative = (a: unknown) =>
      Array.isArray(a) && a.length === 2 && ((a[0] === CREDENTIAL_TYPES[0] && a[1] === CREDENTIAL_TYPES[1]) || (a[0] === VERIFIABLE_CREDENTIAL_IRI && expandedId(a[1])));
    if (!Array.isArray(tv) || tv.length === 0 || tv.length > 8 || !tv.every(alternative)) fail('meta.type_values must name InternetIdCredential (expanded IRIs or compact terms)');
    typeValues = tv as string[][];
  }
  const prefix: readonly string[] = vcld ? VCLD_SUBJECT_PATH : ['credentialSubject'];
  const claims = c['claims'];
  if (!Array.isArray(claims)) fail('claims must be an array');
  const names: unknown[] = [];
  for (const cl of claims as unknown[]) {
    if (!cl || typeof cl !== 'object' || Object.keys(cl).some((k) => k !== 'path')) fail('claim query may only have a path');
    const path = (cl as Record<string, unknown>)['path'];
    if (!Array.isArray(path) || path.length !== prefix.length + 1 || prefix.some((p, i) => path[i] !== p)) fail(`claim path must be ${JSON.stringify([...prefix, '<claim>'])}`);
    names.push((path as unknown[])[prefix.length]);
  }
  return { claims: checkClaimList(names), format: format as CredentialFormat, typeValues, vctValues };
}

/** Parses a DC API request (wallet side) into its nonce and claims; refuses anything else. */
export function parseDcApiRequest(request: unknown): { nonce: string } & ReturnType<typeof parseDcqlQueryFull> {
  const r = request as { protocol?: unknown; data?: Record<string, unknown> } | undefined;
  if (!r || r.protocol !== DC_API_PROTOCOL || !r.data || typeof r.data !== 'object') {
    throw new MaskidError('ERR_DCQL_INVALID', `request protocol must be ${DC_API_PROTOCOL}`);
  }
  const d = r.data;
  if (d['response_type'] !== 'vp_token' || d['response_mode'] !== 'dc_api') throw new MaskidError('ERR_DCQL_INVALID', 'response_type/response_mode must be vp_token/dc_api');
  const nonce = d['nonce'];
  if (typeof nonce !== 'string' || nonce.length < 16 || nonce.length > 256) throw new MaskidError('ERR_DCQL_INVALID', 'nonce must be a string of 16..256 characters');
  return { nonce, ...parseDcqlQueryFull(d['dcql_query']) };
}

/**
 * True when a DC API request entry (`{ protocol, data }`) is addressed to an Internet ID wallet: the
 * protocol is `openid4vp-v1-unsigned` and one credential query asks for the profile's format and
 * type, or for the SD-JWT VCLD form by a maskid `vct`. A loose test for routing only (the extension leaves every other request to the browser);
 * the wallet then parses the request strictly with {@link parseDcApiRequest}.
 */
export function isInternetIdRequest(entry: unknown): boolean {
  const r = entry as { protocol?: unknown; data?: { dcql_query?: { credentials?: unknown } } } | null | undefined;
  if (!r || typeof r !== 'object' || r.protocol !== DC_API_PROTOCOL) return false;
  const creds = r.data?.dcql_query?.credentials;
  if (!Array.isArray(creds)) return false;
  return creds.some((c: { format?: unknown; meta?: { type_values?: unknown; vct_values?: unknown } } | null) => {
    const tv = c?.meta?.type_values;
    const vv = c?.meta?.vct_values;
    return (
      (c?.format === FORMAT_ID &&
        Array.isArray(tv) &&
        tv.some((t) => Array.isArray(t) && t.some((x) => x === CREDENTIAL_TYPES[1] || (typeof x === 'string' && x.endsWith(`#${CREDENTIAL_TYPES[1]}`))))) ||
      (c?.format === FORMAT_DC_SD_JWT && Array.isArray(vv) && vv.some((v) => typeof v === 'string' && v.endsWith(VCT_PATH)))
    );
  });
}

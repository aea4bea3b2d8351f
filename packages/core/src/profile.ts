/**
 * The maskid credential profile (docs/design.md "The credential profile"): constants, claim names and the
 * shape of an `InternetIdCredential` secured as SD-JWT.
 */

/** VC Data Model 2.0 base context. */
export const VC_CONTEXT_V2 = 'https://www.w3.org/ns/credentials/v2';
/**
 * Path, relative to the issuer's base URL, of the maskid JSON-LD context. Versioned: the bytes at a
 * version never change (v1 redefined VCDM 2.0's protected `cnf`, which every JSON-LD processor
 * refuses; v2 does not).
 */
export const MASKID_CONTEXT_PATH = '/contexts/v2';
/** Path of the maskid vocabulary (the terms' IRIs are `<issuer URL>/vocab/v2#<term>`). */
export const MASKID_VOCAB_PATH = '/vocab/v2';
/** JOSE `typ` of an issued credential. */
export const TYP_VC_SD_JWT = 'vc+sd-jwt';
/** JOSE `typ` of the SD-JWT VCLD form (an SD-JWT VC, OpenID4VP 1.0 §B.3.7), and its format identifier. */
export const TYP_DC_SD_JWT = 'dc+sd-jwt';
/** The format identifier of the SD-JWT VCLD form in OpenID4VCI metadata, DCQL and `vp_formats_supported`. */
export const FORMAT_DC_SD_JWT = 'dc+sd-jwt';
/** JOSE `typ` of a status list credential and other signed issuer documents. */
export const TYP_VC_JWT = 'vc+jwt';
/** JOSE `typ` of a key-binding JWT (RFC 9901). */
export const TYP_KB_JWT = 'kb+jwt';
/** JOSE `cty` of a VC secured with JOSE (VC-JOSE-COSE). */
export const CTY_VC = 'vc';
/** The credential's `type`. */
export const CREDENTIAL_TYPES = ['VerifiableCredential', 'InternetIdCredential'] as const;
/** Media type prefix of an `EnvelopedVerifiableCredential` id. */
export const ENVELOPED_SD_JWT_PREFIX = 'data:application/vc+sd-jwt,';
/** Media type prefix of an enveloped `vc+jwt` (status lists, the registry). */
export const ENVELOPED_VC_JWT_PREFIX = 'data:application/vc+jwt,';
/** Format identifier used in OpenID4VCI metadata, DCQL and `vp_formats_supported`. */
export const FORMAT_ID = 'vc+sd-jwt';
/** DCQL credential query id. */
export const DCQL_CREDENTIAL_ID = 'internet_id';
/** The DC API protocol identifier of an unsigned OpenID4VP 1.0 request. */
export const DC_API_PROTOCOL = 'openid4vp-v1-unsigned';

/** Selectively disclosable claims, present for every person. */
/** The age claims and the birthday (years) at which each turns true. */
export const AGE_CLAIMS = [
  ['ageOver14', 14],
  ['ageOver16', 16],
  ['ageOver18', 18],
] as const;

/**
 * `birthDate` + `years`, as a UTC midnight timestamp (29 February → 1 March in common years). The issuer
 * sets the age claims by it and the wallet schedules an age-boundary renewal by it: one rule for both.
 */
export function birthdayAt(birthDate: string, years: number): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const t = Date.UTC(y + years, m - 1, d);
  return new Date(t).getUTCDate() === d ? t : Date.UTC(y + years, m, 1);
}

export const DISCLOSABLE_CLAIMS = ['givenName', 'familyName', 'birthDate', 'ageOver14', 'ageOver16', 'ageOver18', 'gender', 'region', 'nationality', 'realNameVerified'] as const;

/** Name of a selectively disclosable claim. */
export type ClaimName = (typeof DISCLOSABLE_CLAIMS)[number];

/** The fixed number of digests in `credentialSubject._sd` (claims padded with decoys). */
export const DIGEST_COUNT = 16;

/** Salt length in bytes (128 bits). */
export const SALT_BYTES = 16;

/**
 * Province-level divisions (GB/T 2260): the first two digits of an address code and the values of the
 * `region` claim, with the names a wallet or a site shows for them (Chinese, English).
 */
export const PROVINCE_NAMES: Readonly<Record<string, { zh: string; en: string }>> = {
  '11': { zh: '北京市', en: 'Beijing' },
  '12': { zh: '天津市', en: 'Tianjin' },
  '13': { zh: '河北省', en: 'Hebei' },
  '14': { zh: '山西省', en: 'Shanxi' },
  '15': { zh: '内蒙古自治区', en: 'Inner Mongolia' },
  '21': { zh: '辽宁省', en: 'Liaoning' },
  '22': { zh: '吉林省', en: 'Jilin' },
  '23': { zh: '黑龙江省', en: 'Heilongjiang' },
  '31': { zh: '上海市', en: 'Shanghai' },
  '32': { zh: '江苏省', en: 'Jiangsu' },
  '33': { zh: '浙江省', en: 'Zhejiang' },
  '34': { zh: '安徽省', en: 'Anhui' },
  '35': { zh: '福建省', en: 'Fujian' },
  '36': { zh: '江西省', en: 'Jiangxi' },
  '37': { zh: '山东省', en: 'Shandong' },
  '41': { zh: '河南省', en: 'Henan' },
  '42': { zh: '湖北省', en: 'Hubei' },
  '43': { zh: '湖南省', en: 'Hunan' },
  '44': { zh: '广东省', en: 'Guangdong' },
  '45': { zh: '广西壮族自治区', en: 'Guangxi' },
  '46': { zh: '海南省', en: 'Hainan' },
  '50': { zh: '重庆市', en: 'Chongqing' },
  '51': { zh: '四川省', en: 'Sichuan' },
  '52': { zh: '贵州省', en: 'Guizhou' },
  '53': { zh: '云南省', en: 'Yunnan' },
  '54': { zh: '西藏自治区', en: 'Xizang' },
  '61': { zh: '陕西省', en: 'Shaanxi' },
  '62': { zh: '甘肃省', en: 'Gansu' },
  '63': { zh: '青海省', en: 'Qinghai' },
  '64': { zh: '宁夏回族自治区', en: 'Ningxia' },
  '65': { zh: '新疆维吾尔自治区', en: 'Xinjiang' },
  '71': { zh: '台湾省', en: 'Taiwan' },
  '81': { zh: '香港特别行政区', en: 'Hong Kong' },
  '82': { zh: '澳门特别行政区', en: 'Macao' },
};
export const PROVINCE_CODES: ReadonlySet<string> = new Set(Object.keys(PROVINCE_NAMES));

/**
 * A province's name (GB/T 2260 code → its official Chinese name, or the English one), or undefined for
 * a code that is not a province.
 *
 * @example
 * ```ts
 * provinceName('11', 'zh') // '北京市'
 * ```
 */
export function provinceName(code: string, language: 'zh' | 'en'): string | undefined {
  return Object.hasOwn(PROVINCE_NAMES, code) ? PROVINCE_NAMES[code]![language] : undefined;
}

/** Allowed values of `gender` (ISO/IEC 5218 wording). */
export const GENDERS = ['female', 'male', 'not-known', 'not-applicable'] as const;
export type Gender = (typeof GENDERS)[number];

/** True when `name` is a selectively disclosable claim of the profile. */
export function isClaimName(name: unknown): name is ClaimName {
  return typeof name === 'string' && (DISCLOSABLE_CLAIMS as readonly string[]).includes(name);
}

/** Values of the disclosable claims of one person at one moment. */
export interface PersonClaims {
  givenName: string;
  familyName: string;
  birthDate: string;
  ageOver14: boolean;
  ageOver16: boolean;
  ageOver18: boolean;
  gender: Gender;
  region: string;
  nationality: string;
  realNameVerified: boolean;
}

/** A `BitstringStatusListEntry` (W3C Bitstring Status List v1.0 §2.1). */
export interface BitstringStatusListEntry {
  id: string;
  type: 'BitstringStatusListEntry';
  statusPurpose: 'revocation' | 'suspension';
  statusListIndex: string;
  statusListCredential: string;
}

/** A JSON Web Key (public parts used here). */
export interface Jwk {
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  kid?: string;
  alg?: string;
  use?: string;
  [other: string]: unknown;
}

/** The issuer-signed claims of an Internet ID credential, before selective disclosure is applied. */
export interface InternetIdCredentialClaims {
  '@context': [typeof VC_CONTEXT_V2, string];
  type: ['VerifiableCredential', 'InternetIdCredential'];
  issuer: string;
  /** Optional in VCDM 2.0 and omitted by maskid: an issuance date would be shared by a person's batch. */
  validFrom?: string;
  validUntil: string;
  credentialSubject: {
    id: string;
    maskedId: string;
    platform: string;
  } & Partial<PersonClaims>;
  credentialStatus: [BitstringStatusListEntry, BitstringStatusListEntry];
  cnf: { jwk: Jwk };
  /** The maskid context by its digest (VCDM 2.0 §5.3 Integrity of Related Resources). */
  relatedResource: [{ id: string; digestSRI: string }];
}

/** Masked IDs: `m1` + 26 base32 characters (one AES block). */
export const MASKED_ID_PATTERN = /^m[1-9][a-z2-7]{26}$/;

/**
 * The URL of the maskid JSON-LD context for an issuer's did:web (the issuer serves it at
 * `/contexts/v2`; verifiers use the bundled copy, see `maskidContext`, and never fetch it).
 *
 * @example
 * ```ts
 * contextUrlFor('did:web:id.example.gov') // 'https://id.example.gov/contexts/v2'
 * ```
 */
export function contextUrlFor(issuerDid: string): string {
  let url = contextUrls.get(issuerDid);
  if (url === undefined) {
    url = didWebToUrl(issuerDid, 'https:') + MASKID_CONTEXT_PATH;
    if (contextUrls.size > 256) contextUrls.clear();
    contextUrls.set(issuerDid, url);
  }
  return url;
}
const contextUrls = new Map<string, string>();

/**
 * The base URL of a did:web (did-web.txt §3.2: `:` separates path segments, `%3A` encodes a port).
 * The DID document lives at `<base>/.well-known/did.json` when there is no path.
 */
export function didWebToUrl(did: string, protocol: 'https:' | 'http:' = 'https:'): string {
  if (!did.startsWith('did:web:')) throw new TypeError(`not a did:web: ${did}`);
  const parts = did.slice('did:web:'.length).split(':');
  const host = decodeURIComponent(parts[0]!);
  if (!/^[a-z0-9.-]+(:[0-9]{1,5})?$/i.test(host)) throw new TypeError(`invalid did:web host: ${host}`);
  const path = parts.slice(1).map(decodeURIComponent).join('/');
  return `${protocol}//${host}${path ? '/' + path : ''}`;
}

/**
 * The did:web for a base URL (inverse of {@link didWebToUrl}).
 *
 * @example
 * ```ts
 * urlToDidWeb('http://localhost:8443') // 'did:web:localhost%3A8443'
 * ```
 */
export function urlToDidWeb(url: string): string {
  const u = new URL(url);
  const host = u.port ? `${u.hostname}%3A${u.port}` : u.hostname;
  const path = u.pathname.split('/').filter(Boolean).map(encodeURIComponent);
  return ['did:web', host, ...path].join(':');
}

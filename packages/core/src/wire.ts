/**
 * What issuer, wallet, extension and verifier must agree on over the wire, written once: OpenID4VCI
 * constants, the key-binding audience for a web origin, the platform id pattern, and RFC 9457 problem
 * details with one code → HTTP status table.
 */
import type { ErrorCode } from './errors.js';
import { FORMAT_DC_SD_JWT, FORMAT_ID } from './profile.js';

/** The two forms a credential is issued in, by their format identifiers. */
export type CredentialFormat = typeof FORMAT_ID | typeof FORMAT_DC_SD_JWT;

/** The OpenID4VCI 1.0 pre-authorized code grant type. */
export const PRE_AUTHORIZED_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
/**
 * The credential configuration of maskid's wallet: it asks for it in the token request's
 * `authorization_details` and gets one `credential_identifier` per registered platform (OpenID4VCI 1.0 §8.2).
 */
export const CREDENTIAL_CONFIGURATION_ID = 'InternetIdCredential';
/** Where a platform's own configuration id starts: `InternetIdCredential.<platform id>`. */
const PLATFORM_CONFIGURATION_PREFIX = `${CREDENTIAL_CONFIGURATION_ID}.`;

/**
 * maskid's wallet configuration of the SD-JWT VCLD form: a wallet that holds both forms names it in
 * `authorization_details` beside {@link CREDENTIAL_CONFIGURATION_ID} and gets one identifier per
 * platform for it, `<platform id>.vcld` (see {@link credentialIdentifier}).
 */
export const VCLD_CONFIGURATION_ID = 'InternetIdCredentialVCLD';
/** maskid's wallet configuration of a form: {@link CREDENTIAL_CONFIGURATION_ID} or {@link VCLD_CONFIGURATION_ID}. */
export function walletConfigurationId(format: CredentialFormat): string {
  return format === FORMAT_DC_SD_JWT ? VCLD_CONFIGURATION_ID : CREDENTIAL_CONFIGURATION_ID;
}

/** Where the configuration id (and the credential identifier) of a platform's credential in the SD-JWT VCLD form ends. */
const VCLD_CONFIGURATION_SUFFIX = '.vcld';

/**
 * The `credential_identifier` of a platform's credential in a form: the platform id for the VCDM form,
 * `<platform id>.vcld` for the SD-JWT VCLD form (identifiers of one token are distinct across its
 * configurations).
 */
export function credentialIdentifier(platformId: string, format: CredentialFormat = FORMAT_ID): string {
  return platformId + (format === FORMAT_DC_SD_JWT ? VCLD_CONFIGURATION_SUFFIX : '');
}

/** The platform and form a credential identifier names, or undefined. */
export function identifierOf(id: unknown): { platform: string; format: CredentialFormat } | undefined {
  if (typeof id !== 'string') return undefined;
  const vcld = id.endsWith(VCLD_CONFIGURATION_SUFFIX);
  const platform = vcld ? id.slice(0, -VCLD_CONFIGURATION_SUFFIX.length) : id;
  return PLATFORM_ID_PATTERN.test(platform) ? { platform, format: vcld ? FORMAT_DC_SD_JWT : FORMAT_ID } : undefined;
}

/**
 * The credential configuration of one platform's credential in one form, which a standard OpenID4VCI
 * client requests by `credential_configuration_id`: `InternetIdCredential.<platform>` for the profile's
 * `vc+sd-jwt` form, `InternetIdCredential.<platform>.vcld` for the SD-JWT VCLD (`dc+sd-jwt`) form.
 *
 * @example
 * ```ts
 * platformConfigurationId('forum') // 'InternetIdCredential.forum'
 * platformConfigurationId('forum', 'dc+sd-jwt') // 'InternetIdCredential.forum.vcld'
 * ```
 */
export function platformConfigurationId(platformId: string, format: CredentialFormat = FORMAT_ID): string {
  return PLATFORM_CONFIGURATION_PREFIX + platformId + (format === FORMAT_DC_SD_JWT ? VCLD_CONFIGURATION_SUFFIX : '');
}

/** The platform id and form a configuration id names, or undefined when it names none (or is not a string). */
export function configurationOf(id: unknown): { platform: string; format: CredentialFormat } | undefined {
  if (typeof id !== 'string' || !id.startsWith(PLATFORM_CONFIGURATION_PREFIX)) return undefined;
  const vcld = id.endsWith(VCLD_CONFIGURATION_SUFFIX);
  const platform = id.slice(PLATFORM_CONFIGURATION_PREFIX.length, vcld ? -VCLD_CONFIGURATION_SUFFIX.length : undefined);
  return PLATFORM_ID_PATTERN.test(platform) ? { platform, format: vcld ? FORMAT_DC_SD_JWT : FORMAT_ID } : undefined;
}

/**
 * Why a grant (an offer's code or a wallet's refresh token) no longer works, or that its person is
 * suspended: a member of the token endpoint's answer, `maskid_grant_state`, so that a wallet can tell a
 * person what happened instead of showing `invalid_grant`. On an error: `spent` (unknown, used or
 * expired: ask for a new offer), `revoked`, `replaced` (a newer offer was issued to this person: lost
 * device, reissue). On success: `suspended` (credentials are issued, their suspension bits set).
 * `since` is the date of the person's last change (ISO 8601), when there is one.
 */
export interface GrantState {
  state: (typeof GRANT_STATES)[number];
  since?: string;
}
/** Every {@link GrantState} `state`. */
export const GRANT_STATES = ['spent', 'revoked', 'replaced', 'suspended'] as const;
/** The token answer member carrying a {@link GrantState}. */
export const GRANT_STATE_MEMBER = 'maskid_grant_state';
/** The token error member carrying the PIN attempts left after a wrong `tx_code`. */
export const TX_CODE_ATTEMPTS_LEFT_MEMBER = 'maskid_tx_code_attempts_left';

/** The path under the issuer URL where an offer passed by reference (`credential_offer_uri`) is served. */
export const CREDENTIAL_OFFER_PATH = '/credential-offer';
/** JOSE `typ` of an OpenID4VCI key proof. */
export const TYP_PROOF = 'openid4vci-proof+jwt';
/** JOSE `typ` of a DPoP proof (RFC 9449). */
export const TYP_DPOP = 'dpop+jwt';
/** Where an offer's URI starts. */
export const CREDENTIAL_OFFER_SCHEME = 'openid-credential-offer://';

/** A platform's id: 2–63 characters of a-z, 0-9 and `-` (it appears in URLs and credentials). */
export const PLATFORM_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

const ORIGIN_AUDIENCE = 'origin:';

/**
 * The key-binding `aud` of a presentation made over the W3C DC API (OpenID4VP 1.0 Appendix A.2):
 * the exact origin, prefixed with `origin:` (no trailing slash).
 *
 * @example
 * ```ts
 * audienceForOrigin('https://forum.example') // 'origin:https://forum.example'
 * ```
 */
export function audienceForOrigin(origin: string): string {
  return ORIGIN_AUDIENCE + origin;
}

/** The origin an `origin:` audience names, or undefined for any other value. */
export function originOfAudience(aud: unknown): string | undefined {
  return typeof aud === 'string' && aud.startsWith(ORIGIN_AUDIENCE) ? aud.slice(ORIGIN_AUDIENCE.length) : undefined;
}

/** An RFC 9457 problem with maskid's stable `code`. */
export interface ProblemDetails {
  type: string;
  title: ErrorCode;
  status: number;
  detail: string;
  code: ErrorCode;
}

/**
 * The HTTP status of an error code, for every maskid HTTP surface: refused input 400, too large 413,
 * not found 404, wrong state 409, a claim beyond the registration 403, unavailable or overloaded 503,
 * internal 500, and 401 for everything a presentation or credential fails verification with.
 */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'ERR_INPUT_INVALID':
    case 'ERR_SDJWT_MALFORMED':
    case 'ERR_JWT_MALFORMED':
    case 'ERR_DISCLOSURE_MALFORMED':
    case 'ERR_DCQL_INVALID':
    case 'ERR_NATIONAL_ID_INVALID':
    case 'ERR_CONFIG_INVALID':
      return 400;
    case 'ERR_TOKEN_TOO_LARGE':
      return 413;
    case 'ERR_CLAIM_NOT_ALLOWED':
      return 403;
    case 'ERR_NOT_FOUND':
      return 404;
    case 'ERR_STATE_INVALID':
    case 'ERR_CONFLICT':
    case 'ERR_PERSON_DUPLICATE':
      return 409;
    case 'ERR_STATUS_UNAVAILABLE':
    case 'ERR_OVERLOADED':
      return 503;
    case 'ERR_INTERNAL':
      return 500;
    default:
      return 401;
  }
}

/**
 * The RFC 9457 body for a code (`type` is `urn:maskid:error:<code>`).
 *
 * @example
 * ```ts
 * problemDetails('ERR_STATUS_REVOKED', 'credential is revoked') // { type: 'urn:maskid:error:ERR_STATUS_REVOKED', status: 401, … }
 * ```
 */
export function problemDetails(code: ErrorCode, detail: string, status = httpStatusFor(code)): ProblemDetails {
  return { type: `urn:maskid:error:${code}`, title: code, status, detail, code };
}

/** The media type of a problem body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

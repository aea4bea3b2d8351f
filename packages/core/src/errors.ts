/**
 * The closed set of stable error codes used across maskid. Codes never change meaning once published;
 * HTTP layers map them to RFC 9457 problem types and status codes.
 */
export const ERROR_CODES = [
  // input and structure
  'ERR_INPUT_INVALID',
  'ERR_TOKEN_TOO_LARGE',
  'ERR_SDJWT_MALFORMED',
  'ERR_JWT_MALFORMED',
  'ERR_TYP_INVALID',
  'ERR_ALG_NOT_ALLOWED',
  'ERR_PROFILE_INVALID',
  // issuer trust and signatures
  'ERR_ISSUER_UNTRUSTED',
  'ERR_KEY_UNKNOWN',
  'ERR_SIGNATURE_INVALID',
  'ERR_KEY_LIST_INVALID',
  // documents that may only move forward (key lists, registries, manifests, status lists)
  'ERR_ROLLBACK',
  // disclosures
  'ERR_DISCLOSURE_MALFORMED',
  'ERR_DISCLOSURE_UNREFERENCED',
  'ERR_DISCLOSURE_DUPLICATE',
  // validity
  'ERR_CREDENTIAL_NOT_YET_VALID',
  'ERR_CREDENTIAL_EXPIRED',
  'ERR_PLATFORM_MISMATCH',
  // key binding
  'ERR_KB_MISSING',
  'ERR_KB_TYP_INVALID',
  'ERR_KB_SIGNATURE_INVALID',
  'ERR_KB_NONCE_INVALID',
  'ERR_NONCE_REPLAYED',
  'ERR_KB_AUDIENCE_INVALID',
  'ERR_KB_IAT_INVALID',
  'ERR_KB_SD_HASH_INVALID',
  // claims
  'ERR_CLAIMS_MISMATCH',
  'ERR_CLAIM_NOT_ALLOWED',
  'ERR_DCQL_INVALID',
  // status
  'ERR_STATUS_REVOKED',
  'ERR_STATUS_SUSPENDED',
  'ERR_STATUS_UNAVAILABLE',
  'ERR_STATUS_LIST_INVALID',
  'ERR_STATUS_MANIFEST_INVALID',
  // service
  'ERR_OVERLOADED',
  // issuer operations
  'ERR_NATIONAL_ID_INVALID',
  'ERR_PERSON_DUPLICATE',
  'ERR_NOT_FOUND',
  'ERR_CONFLICT',
  'ERR_STATE_INVALID',
  'ERR_APPROVAL_INVALID',
  'ERR_AUDIT_CHAIN_BROKEN',
  'ERR_KEK_MISSING',
  'ERR_KEK_INVALID',
  'ERR_CONFIG_INVALID',
  'ERR_INTERNAL',
] as const;

/** One of the stable maskid error codes. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The one error type of maskid. `code` is stable and machine-readable; `message` is for people.
 *
 * @example
 * ```ts
 * try { await verifyPresentation(token, opts) } catch (e) {
 *   if (e instanceof MaskidError && e.code === 'ERR_STATUS_REVOKED') { ... }
 * }
 * ```
 */
export class MaskidError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MaskidError';
    this.code = code;
    this.details = options?.details;
  }

  /** A JSON-safe view: code and message only (never the cause, which may hold input). */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** True when `value` is a {@link MaskidError}, optionally with the given code. */
export function isMaskidError(value: unknown, code?: ErrorCode): value is MaskidError {
  return value instanceof MaskidError && (code === undefined || value.code === code);
}

/** True when `code` is one of the stable codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

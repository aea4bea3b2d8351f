/**
 * The maskid credential profile's check of a disclosed credential (the VCDM 2.0 form; the VCLD form
 * maps onto the same check): context, type, related resource, dates, subject, key and status entries.
 */
import { MaskidError } from './errors.js';
import { CREDENTIAL_TYPES, MASKED_ID_PATTERN, VC_CONTEXT_V2, contextUrlFor, type BitstringStatusListEntry, type Jwk } from './profile.js';

const SRI_384 = /^sha384-[A-Za-z0-9+/]{64}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** What the profile checks return: the parts of a credential a verifier goes on with. */
export interface ProfileView {
  validFrom?: string;
  validUntil: string;
  maskedId: string;
  platform: string;
  cnf: Jwk;
  subject: Record<string, unknown>;
  credentialStatus: BitstringStatusListEntry[];
}

/** Checks the disclosed credential against the maskid profile; throws `ERR_PROFILE_INVALID`. */
export function checkProfile(vc: Record<string, unknown>, issuer: string): ProfileView {
  const fail = (what: string): never => {
    throw new MaskidError('ERR_PROFILE_INVALID', `credential does not follow the maskid profile: ${what}`);
  };
  const ctx = vc['@context'];
  if (!Array.isArray(ctx) || ctx.length !== 2 || ctx[0] !== VC_CONTEXT_V2 || ctx[1] !== contextUrlFor(issuer)) fail('@context');
  const type = vc['type'];
  if (!Array.isArray(type) || type.length !== 2 || type[0] !== CREDENTIAL_TYPES[0] || type[1] !== CREDENTIAL_TYPES[1]) fail('type');
  const related = vc['relatedResource'] as { id?: unknown; digestSRI?: unknown }[] | undefined;
  if (
    !Array.isArray(related) ||
    related.length !== 1 ||
    related[0]?.id !== (ctx as unknown[])[1] ||
    typeof related[0]?.digestSRI !== 'string' ||
    !SRI_384.test(related[0].digestSRI)
  ) {
    fail('relatedResource must name the maskid context with its sha384 digest');
  }
  const validFrom = vc['validFrom'];
  const validUntil = vc['validUntil'];
  if (validFrom !== undefined && (typeof validFrom !== 'string' || !DATE_TIME.test(validFrom) || Number.isNaN(Date.parse(validFrom)))) fail('validFrom');
  if (typeof validUntil !== 'string' || !DATE_TIME.test(validUntil) || Number.isNaN(Date.parse(validUntil))) fail('validUntil');
  const subject = vc['credentialSubject'];
  if (!subject || typeof subject !== 'object' || Array.isArray(subject)) fail('credentialSubject');
  const s = subject as Record<string, unknown>;
  if (typeof s['id'] !== 'string' || !s['id'].startsWith('did:jwk:')) fail('credentialSubject.id');
  if (typeof s['maskedId'] !== 'string' || !MASKED_ID_PATTERN.test(s['maskedId'])) fail('credentialSubject.maskedId');
  if (typeof s['platform'] !== 'string' || s['platform'].length === 0) fail('credentialSubject.platform');
  const cnf = vc['cnf'];
  const jwk = cnf && typeof cnf === 'object' ? (cnf as Record<string, unknown>)['jwk'] : undefined;
  if (!jwk || typeof jwk !== 'object' || Array.isArray(jwk) || 'd' in jwk) fail('cnf.jwk');
  const status = vc['credentialStatus'];
  if (!Array.isArray(status) || status.length !== 2) fail('credentialStatus');
  const entries = status as BitstringStatusListEntry[];
  const purposes = new Set<string>();
  for (const e of entries) {
    if (
      !e ||
      typeof e !== 'object' ||
      e.type !== 'BitstringStatusListEntry' ||
      (e.statusPurpose !== 'revocation' && e.statusPurpose !== 'suspension') ||
      typeof e.statusListIndex !== 'string' ||
      typeof e.statusListCredential !== 'string'
    )
      fail('credentialStatus entry');
    purposes.add(e.statusPurpose);
  }
  if (purposes.size !== 2 || entries[0]!.statusListIndex !== entries[1]!.statusListIndex) fail('credentialStatus purposes');
  return {
    ...(validFrom === undefined ? {} : { validFrom: validFrom as string }),
    validUntil: validUntil as string,
    maskedId: s['maskedId'] as string,
    platform: s['platform'] as string,
    cnf: jwk as Jwk,
    subject: s,
    credentialStatus: entries,
  };
}

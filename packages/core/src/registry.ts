/**
 * The platform registry (`GET /platforms`): a `vc+jwt` `PlatformRegistryCredential` signed by an
 * assertion key of the issuer's key list, with a `version` that only grows and a short validity. The
 * wallet maps a page's origin to a platform through it and nothing else, so it refuses a registry
 * signed by any key outside the anchored key list, and one older than the registry it holds.
 */
import { MaskidError } from './errors.js';
import { FORMAT_DC_SD_JWT, FORMAT_ID, isClaimName, type ClaimName } from './profile.js';
import type { CredentialFormat } from './wire.js';

/** The registry credential's type. */
export const PLATFORM_REGISTRY_TYPE = 'PlatformRegistryCredential';
/** Path of the registry, relative to the issuer's base URL. */
export const PLATFORM_REGISTRY_PATH = '/platforms';
/** The registry is valid this long after it is signed (the issuer re-signs it well before). */
export const REGISTRY_VALIDITY_SECONDS = 2 * 86_400;
/**
 * The longest signed registry a wallet reads (characters): ~270 characters per platform once signed, so
 * 400 platforms are ~110 KB (beyond the 64 KiB every other JWT is held to) and this allows ~7,500.
 */
export const MAX_REGISTRY_LENGTH = 2 * 1024 * 1024;

/** A platform as the signed registry lists it. */
export interface RegistryPlatform {
  id: string;
  name: string;
  origins: string[];
  claims: ClaimName[];
  manifest: string;
  /**
   * The credential forms its verifiers ask for (`vc+sd-jwt`, `dc+sd-jwt`); absent: the VCDM form only.
   * A wallet holds a credential for the platform in each of these forms it supports, and no other: a
   * form nobody asks for would cost the issuer a signature per person and renewal for nothing.
   */
  formats?: CredentialFormat[];
}

/** The forms a registry platform asks for ({@link RegistryPlatform.formats}, default the VCDM form). */
export function platformFormats(p: Pick<RegistryPlatform, 'formats'>): CredentialFormat[] {
  return p.formats ?? [FORMAT_ID];
}

/** Whether `v` is a list of credential forms, each once, at least one. */
export function isFormatList(v: unknown): v is CredentialFormat[] {
  return Array.isArray(v) && v.length > 0 && v.every((f) => f === FORMAT_ID || f === FORMAT_DC_SD_JWT) && new Set(v).size === v.length;
}

/** A checked registry. */
export interface PlatformRegistry {
  version: number;
  /** Signed time (seconds, from `validFrom`). */
  signedAt: number;
  validUntil: number;
  platforms: RegistryPlatform[];
}

/**
 * Checks a registry payload (its signature and key were checked by the caller): issuer, type,
 * validity, a positive `version` not lower than `held`'s (the same version must list the same
 * platforms), and well-formed platforms. Throws `ERR_PROFILE_INVALID`, `ERR_CREDENTIAL_EXPIRED` or
 * `ERR_ROLLBACK`.
 */
export function checkRegistry(payload: Record<string, unknown>, o: { issuer: string; now: number; held?: PlatformRegistry | undefined }): PlatformRegistry {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_PROFILE_INVALID', `platform registry: ${why}`);
  };
  if (payload['issuer'] !== o.issuer) fail('another issuer');
  const type = payload['type'];
  if (!Array.isArray(type) || !type.includes(PLATFORM_REGISTRY_TYPE)) fail(`not a ${PLATFORM_REGISTRY_TYPE}`);
  const validFrom = Date.parse(String(payload['validFrom']));
  const validUntil = Date.parse(String(payload['validUntil']));
  if (!Number.isFinite(validFrom) || !Number.isFinite(validUntil)) fail('validFrom and validUntil are required');
  if (validFrom > o.now + 60_000) fail('it is not valid yet');
  if (validUntil <= o.now) throw new MaskidError('ERR_CREDENTIAL_EXPIRED', 'the platform registry has expired');
  if (validUntil - validFrom > REGISTRY_VALIDITY_SECONDS * 1000 + 60_000) fail('its validity is longer than the profile allows');
  const subject = payload['credentialSubject'] as Record<string, unknown> | undefined;
  const version = subject?.['version'];
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) fail('version is missing');
  const raw = subject?.['platforms'];
  if (!Array.isArray(raw)) fail('platforms is missing');
  const platforms: RegistryPlatform[] = (raw as unknown[]).map((x) => {
    const p = x as Record<string, unknown>;
    if (
      !p ||
      typeof p['id'] !== 'string' ||
      typeof p['name'] !== 'string' ||
      typeof p['manifest'] !== 'string' ||
      !Array.isArray(p['origins']) ||
      !(p['origins'] as unknown[]).every((u) => typeof u === 'string') ||
      !Array.isArray(p['claims']) ||
      !(p['claims'] as unknown[]).every(isClaimName) ||
      (p['formats'] !== undefined && !isFormatList(p['formats']))
    )
      fail('a platform entry is malformed');
    return {
      id: p['id'] as string,
      name: p['name'] as string,
      origins: [...(p['origins'] as string[])],
      claims: [...(p['claims'] as ClaimName[])],
      manifest: p['manifest'] as string,
      ...(p['formats'] !== undefined ? { formats: [...(p['formats'] as CredentialFormat[])] } : {}),
    };
  });
  const registry: PlatformRegistry = { version: version as number, signedAt: Math.floor(validFrom / 1000), validUntil: Math.floor(validUntil / 1000), platforms };
  const held = o.held;
  if (held) {
    if (registry.version < held.version) throw new MaskidError('ERR_ROLLBACK', `platform registry version ${registry.version} is older than the held version ${held.version}`);
    if (registry.version === held.version && JSON.stringify(registry.platforms) !== JSON.stringify(held.platforms)) {
      throw new MaskidError('ERR_ROLLBACK', `platform registry version ${registry.version} lists other platforms than the held one`);
    }
  }
  return registry;
}

/**
 * The verifier's configuration (one JSON file per platform deployment), validated once at start into
 * a frozen object. A bad file fails fast with one clear message naming the field.
 */
import { readFileSync } from 'node:fs';
import { PLATFORM_ID_PATTERN, isClaimName, parseJsonStrict, MaskidError, urlToDidWeb, type ClaimName } from '@maskid/core';

/**
 * A trusted issuer: its base URL (the did:web is derived from it) and the RFC 7638 thumbprint of its
 * offline root key, the trust anchor: assertion keys come only from the key list signed by that root
 * (`maskid-issuer key anchor` prints both).
 */
export interface TrustedIssuer {
  url: string;
  did: string;
  rootThumbprint: string;
}

/** A validated, frozen verifier configuration (see {@link parseConfig}). */
export interface VerifierConfig {
  /** The platform this verifier serves (its id in the issuer's registry). */
  platform: string;
  /** The platform's registered web origins: `aud` must be `origin:<one of these>`. */
  origins: string[];
  trustedIssuers: TrustedIssuer[];
  /** Claims this platform may request. */
  allowedClaims: ClaimName[];
  /**
   * How long status may be used without a newer signed manifest (ms), measured from the manifest's
   * signed `iat` (and a list's from the `iat` of the first manifest that named a newer version of it).
   * Undefined (the default): the manifest's own lifetime (3 epochs, at most 1 h). Raising it is an
   * availability override: this verifier then accepts revoked credentials for up to this long when the
   * network withholds updates.
   */
  maxStalenessMs?: number;
  /**
   * Status entries per purpose accepted from an issuer (default 2³¹, the national sizing). The
   * manifest size limit follows from it (~234 KiB at 2³¹); an issuer with a larger `--capacity`
   * needs a verifier configured for it.
   */
  statusCapacity?: number;
  /** How often the key list is re-read (ms). Keys are announced at least twice this long before they sign. */
  keyRefreshMs: number;
  /** How often the manifest is polled (ms); default: the issuer's epoch length from the manifest. */
  manifestPollMs?: number;
  /** Lifetime of a presentation request (ms). */
  requestTtlMs: number;
  skewSeconds: number;
  maxKbAgeSeconds: number;
  /** Allow http:// issuer URLs on localhost (development only). */
  dev: boolean;
  /** Optional Redis URL for a nonce store shared by replicas. */
  redisUrl?: string;
  /**
   * Load shedding: while the event loop is this late (ms) because of verification work (see
   * `LoadShedder`), verification requests are answered 503 `ERR_OVERLOADED` with `Retry-After` at
   * once, before the body is read or a nonce consumed. 0 = never.
   */
  maxEventLoopDelayMs: number;
  port: number;
  host: string;
}

const DEFAULTS = { keyRefreshMs: 3600_000, requestTtlMs: 300_000, skewSeconds: 60, maxKbAgeSeconds: 300, maxEventLoopDelayMs: 20, dev: false, port: 8080, host: '127.0.0.1' };

/**
 * Validates a config object.
 *
 * @example
 * ```ts
 * parseConfig({ platform: 'forum', origins: ['https://forum.example'], trustedIssuers: [{ url: 'https://id.example.gov' }], allowedClaims: ['ageOver18'] })
 * ```
 */
export function parseConfig(input: unknown): Readonly<VerifierConfig> {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_CONFIG_INVALID', `verifier config: ${why}`);
  };
  if (!input || typeof input !== 'object' || Array.isArray(input)) fail('must be a JSON object');
  const c = { ...DEFAULTS, ...(input as Record<string, unknown>) } as Record<string, unknown>;
  const known = new Set([
    'platform',
    'origins',
    'trustedIssuers',
    'allowedClaims',
    'maxStalenessMs',
    'keyRefreshMs',
    'manifestPollMs',
    'statusCapacity',
    'requestTtlMs',
    'skewSeconds',
    'maxKbAgeSeconds',
    'maxEventLoopDelayMs',
    'dev',
    'redisUrl',
    'port',
    'host',
    '$schema',
  ]);
  for (const k of Object.keys(c)) if (!known.has(k)) fail(`unknown field "${k}"`);
  if (typeof c['platform'] !== 'string' || !PLATFORM_ID_PATTERN.test(c['platform'])) fail('"platform" must be the platform id (a-z, 0-9, -)');
  const dev = c['dev'] === true;
  if (typeof c['dev'] !== 'boolean') fail('"dev" must be true or false');
  const origins = c['origins'];
  if (!Array.isArray(origins) || origins.length === 0) fail('"origins" must list the platform\'s web origins');
  for (const o of origins as unknown[]) {
    let u: URL | undefined;
    try {
      u = new URL(String(o));
    } catch {
      fail(`origin ${JSON.stringify(o)} is not a URL`);
    }
    if (u!.origin !== o) fail(`origin ${JSON.stringify(o)} must be scheme://host[:port] without a path or slash`);
    if (u!.protocol !== 'https:' && !(dev && u!.protocol === 'http:')) fail(`origin ${o} must be https (http only with "dev": true)`);
  }
  const issuers = c['trustedIssuers'];
  if (!Array.isArray(issuers) || issuers.length === 0) fail('"trustedIssuers" must list at least one issuer { "url": … }');
  const trustedIssuers: TrustedIssuer[] = (issuers as unknown[]).map((raw, i) => {
    const t = raw as { url?: unknown; rootThumbprint?: unknown; pinnedThumbprints?: unknown };
    if (!t || typeof t.url !== 'string') fail(`trustedIssuers[${i}].url is required`);
    let u: URL | undefined;
    try {
      u = new URL(t.url as string);
    } catch {
      fail(`trustedIssuers[${i}].url is not a URL`);
    }
    const local = u!.hostname === 'localhost' || u!.hostname === '127.0.0.1';
    if (u!.protocol !== 'https:' && !(dev && local && u!.protocol === 'http:')) fail(`trustedIssuers[${i}].url must be https (http://localhost only with "dev": true)`);
    const url = (t.url as string).replace(/\/+$/, '');
    if (t.pinnedThumbprints !== undefined) fail(`trustedIssuers[${i}].pinnedThumbprints is replaced by "rootThumbprint" (the issuer's root key; keys rotate under it)`);
    if (typeof t.rootThumbprint !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(t.rootThumbprint)) {
      fail(`trustedIssuers[${i}].rootThumbprint is required: the issuer's root key thumbprint (43 base64url characters), printed on the issuer by \`maskid-issuer key anchor\``);
    }
    return { url, did: urlToDidWeb(url), rootThumbprint: t.rootThumbprint as string };
  });
  const claims = c['allowedClaims'];
  if (!Array.isArray(claims) || claims.length === 0 || claims.some((x) => !isClaimName(x))) fail('"allowedClaims" must list claims of the profile');
  for (const k of ['keyRefreshMs', 'requestTtlMs', 'skewSeconds', 'maxKbAgeSeconds', 'maxEventLoopDelayMs', 'port'] as const) {
    if (typeof c[k] !== 'number' || !Number.isInteger(c[k]) || (c[k] as number) < 0) fail(`"${k}" must be a non-negative integer`);
  }
  for (const k of ['maxStalenessMs', 'manifestPollMs'] as const) {
    if (c[k] !== undefined && (typeof c[k] !== 'number' || !Number.isInteger(c[k]) || (c[k] as number) < 1000)) fail(`"${k}" must be an integer ≥ 1000 (ms)`);
  }
  const capacity = c['statusCapacity'];
  if (capacity !== undefined && (typeof capacity !== 'number' || !Number.isSafeInteger(capacity) || capacity < 2 ** 17 || capacity > 2 ** 40)) {
    fail('"statusCapacity" must be an integer from 131072 (2^17) to 2^40 (status entries per purpose)');
  }
  if ((c['keyRefreshMs'] as number) < 1000) fail('"keyRefreshMs" must be at least 1000 (ms)');
  if (c['redisUrl'] !== undefined && (typeof c['redisUrl'] !== 'string' || !/^rediss?:\/\//.test(c['redisUrl']))) fail('"redisUrl" must be redis://…');
  if (typeof c['host'] !== 'string') fail('"host" must be a string');
  return Object.freeze({
    platform: c['platform'] as string,
    origins: origins as string[],
    trustedIssuers,
    allowedClaims: claims as ClaimName[],
    ...(c['maxStalenessMs'] !== undefined ? { maxStalenessMs: c['maxStalenessMs'] as number } : {}),
    ...(c['manifestPollMs'] !== undefined ? { manifestPollMs: c['manifestPollMs'] as number } : {}),
    ...(capacity !== undefined ? { statusCapacity: capacity as number } : {}),
    keyRefreshMs: c['keyRefreshMs'] as number,
    requestTtlMs: c['requestTtlMs'] as number,
    skewSeconds: c['skewSeconds'] as number,
    maxKbAgeSeconds: c['maxKbAgeSeconds'] as number,
    maxEventLoopDelayMs: c['maxEventLoopDelayMs'] as number,
    dev,
    ...(c['redisUrl'] ? { redisUrl: c['redisUrl'] as string } : {}),
    port: c['port'] as number,
    host: c['host'] as string,
  });
}

/** Reads and validates a config file. */
export function loadConfig(file: string): Readonly<VerifierConfig> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new MaskidError('ERR_CONFIG_INVALID', `cannot read verifier config ${file}`, { cause });
  }
  let json: unknown;
  try {
    json = parseJsonStrict(text, `verifier config ${file}`);
  } catch (cause) {
    throw new MaskidError('ERR_CONFIG_INVALID', `verifier config ${file} is not JSON (or names a field twice): ${(cause as Error).message}`, { cause });
  }
  return parseConfig(json);
}

/**
 * The wallet's trust in an issuer: its key list, verified under the root thumbprint the wallet was built
 * with (never taken from an offer), and the platform registry, verified under a key of that list. Both
 * only move forward; on any failure the caller keeps what it held.
 */
import {
  KEY_LIST_PATH,
  MAX_REGISTRY_LENGTH,
  MaskidError,
  PLATFORM_REGISTRY_PATH,
  TYP_VC_JWT,
  assertionKeyFor,
  checkRegistry,
  urlToDidWeb,
  verifyJwt,
  verifyKeyList,
  type KeyList,
  type PlatformRegistry,
} from '@maskid/core';
import { fetchText, type HttpFetch } from './http.js';

/**
 * An issuer this wallet accepts: its base URL and the RFC 7638 thumbprint of its offline root key
 * (from the wallet's build configuration, never from an offer, which anyone can write).
 */
export interface TrustedIssuer {
  url: string;
  rootThumbprint: string;
}

/** Validates and normalises the configured issuers (`ERR_CONFIG_INVALID` without a root thumbprint). */
export function checkTrustedIssuers(issuers: readonly TrustedIssuer[]): TrustedIssuer[] {
  return issuers.map((t) => {
    if (!t || typeof t.url !== 'string' || typeof t.rootThumbprint !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(t.rootThumbprint)) {
      throw new MaskidError('ERR_CONFIG_INVALID', 'a trusted issuer needs its url and rootThumbprint (`maskid-issuer key anchor` prints both)');
    }
    return { url: t.url.replace(/\/+$/, ''), rootThumbprint: t.rootThumbprint };
  });
}

/** What the wallet holds of an issuer's documents (stored between refreshes). */
export interface HeldTrust {
  keyList?: KeyList | undefined;
  registry?: (PlatformRegistry & { issuer?: string }) | undefined;
}

/**
 * Fetches and verifies the key list (not lower than `held`'s) and then the registry under a key of it
 * (not lower than `held`'s). Throws without changing anything on any failure.
 *
 * @example
 * ```ts
 * const { keyList, registry } = await fetchTrustedRegistry(fetch, { url, rootThumbprint }, held, Date.now)
 * ```
 */
export async function fetchTrustedRegistry(http: HttpFetch, anchor: TrustedIssuer, held: HeldTrust, now: () => number): Promise<{ keyList: KeyList; registry: PlatformRegistry }> {
  const did = urlToDidWeb(anchor.url);
  const heldList = held.keyList?.issuer === did && held.keyList.rootThumbprint === anchor.rootThumbprint ? held.keyList : undefined;
  const keyList = await verifyKeyList(await fetchText(http, `${anchor.url}${KEY_LIST_PATH}`), { rootThumbprint: anchor.rootThumbprint, issuer: did, held: heldList, now });
  const jwt = await fetchText(http, `${anchor.url}${PLATFORM_REGISTRY_PATH}`);
  const verified = await verifyJwt(jwt, {
    expectedTyp: TYP_VC_JWT,
    // Every platform is in it: hundreds of platforms are ~100 KB and more (not the 64 KiB of other JWTs).
    maxLength: MAX_REGISTRY_LENGTH,
    key: (header, payload) => {
      const validFrom = Date.parse(String(payload['validFrom']));
      return assertionKeyFor(keyList, header['kid'], { now: now(), ...(Number.isFinite(validFrom) ? { signedAt: Math.floor(validFrom / 1000) } : {}) }).jwk;
    },
  });
  const registry = checkRegistry(verified.payload, { issuer: did, now: now(), held: held.registry?.issuer === did ? held.registry : undefined });
  return { keyList, registry };
}

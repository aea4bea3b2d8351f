/**
 * The maskid JSON-LD context, bundled: each issuer serves it at `<issuer URL>/contexts/v2` (immutable),
 * and credentials name it with its digest (VCDM 2.0 `relatedResource` + `digestSRI`), so a verifier
 * bundles it and never fetches it per login. It defines only maskid's own terms (never a term the VCDM
 * 2.0 context protects, such as `cnf`), with IRIs under the issuer's vocabulary `<issuer URL>/vocab/v2#`.
 */
import { utf8 } from './encoding.js';
import { MASKID_VOCAB_PATH, contextUrlFor, didWebToUrl } from './profile.js';

const XSD = 'http://www.w3.org/2001/XMLSchema#';

/** The vocabulary base of an issuer's terms (`<issuer URL>/vocab/v2#`). */
export function vocabularyFor(issuerDid: string): string {
  return `${didWebToUrl(issuerDid, 'https:')}${MASKID_VOCAB_PATH}#`;
}

/** The maskid context document of an issuer (a fresh object). */
export function maskidContextDocument(issuerDid: string): { '@context': Record<string, unknown> } {
  const v = vocabularyFor(issuerDid);
  const bool = (term: string) => ({ '@id': v + term, '@type': `${XSD}boolean` });
  return {
    '@context': {
      '@protected': true,
      InternetIdCredential: v + 'InternetIdCredential',
      PlatformRegistryCredential: v + 'PlatformRegistryCredential',
      maskedId: v + 'maskedId',
      platform: v + 'platform',
      givenName: 'https://schema.org/givenName',
      familyName: 'https://schema.org/familyName',
      birthDate: { '@id': 'https://schema.org/birthDate', '@type': `${XSD}date` },
      ageOver14: bool('ageOver14'),
      ageOver16: bool('ageOver16'),
      ageOver18: bool('ageOver18'),
      gender: 'https://schema.org/gender',
      region: v + 'region',
      nationality: 'https://schema.org/nationality',
      realNameVerified: bool('realNameVerified'),
      epoch: { '@id': v + 'epoch', '@type': `${XSD}integer` },
      version: { '@id': v + 'registryVersion', '@type': `${XSD}integer` },
      platforms: { '@id': v + 'platforms', '@type': '@json' },
    },
  };
}

/** The bundled context of an issuer: its URL, the exact bytes the issuer serves, and their SRI digest. */
export interface MaskidContext {
  url: string;
  /** The served bytes (JSON text): the digest is over exactly these. */
  text: string;
  document: { '@context': Record<string, unknown> };
  /** `sha384-<base64>` (W3C Subresource Integrity), as VCDM 2.0 `digestSRI` expects. */
  digestSRI: string;
}

const contexts = new Map<string, Promise<MaskidContext>>();

/**
 * The bundled maskid context of an issuer (computed once per issuer).
 *
 * @example
 * ```ts
 * const { url, digestSRI } = await maskidContext('did:web:id.example.gov')
 * // url: 'https://id.example.gov/contexts/v2', digestSRI: 'sha384-…'
 * ```
 */
export function maskidContext(issuerDid: string): Promise<MaskidContext> {
  let c = contexts.get(issuerDid);
  if (!c) {
    c = (async () => {
      const document = maskidContextDocument(issuerDid);
      const text = JSON.stringify(document);
      const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-384', utf8(text) as BufferSource));
      return { url: contextUrlFor(issuerDid), text, document, digestSRI: `sha384-${standardBase64(digest)}` };
    })();
    if (contexts.size > 256) contexts.clear();
    contexts.set(issuerDid, c);
  }
  return c;
}

/** `relatedResource` naming the maskid context by its digest (every credential maskid signs carries it). */
export async function contextRelatedResource(issuerDid: string): Promise<[{ id: string; digestSRI: string }]> {
  const { url, digestSRI } = await maskidContext(issuerDid);
  return [{ id: url, digestSRI }];
}

function standardBase64(bytes: Uint8Array): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += A[(n >> 18) & 63]! + A[(n >> 12) & 63]! + (i + 1 < bytes.length ? A[(n >> 6) & 63]! : '=') + (i + 2 < bytes.length ? A[n & 63]! : '=');
  }
  return out;
}

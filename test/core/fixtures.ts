/** Core fixtures: an issuer key, a holder, a credential, and helpers to forge variants of it. */
import {
  maskidContext,
  MaskidError,
  base64url,
  base64urlText,
  issueInternetIdCredential,
  presentInternetIdCredential,
  sha256,
  signJwt,
  utf8,
  webCryptoSigner,
  type ClaimName,
  type IssueInput,
  type Jwk,
  type JwsSigner,
  type VerifyOptions,
} from '@maskid/core';
import { newHolder, type Holder } from '../helpers.js';

export const ISSUER = 'did:web:id.example.gov';
export const PLATFORM = 'shop-a';
export const ORIGIN = 'https://shop-a.example';
export const AUD = `origin:${ORIGIN}`;
export const NONCE = 'nonce-0123456789abcdef';
/** 2026-06-15T12:00:00Z: inside the fixture's validity. */
export const NOW = Date.UTC(2026, 5, 15, 12);

export interface Fixture {
  issuerJwk: Jwk;
  issuerSigner: JwsSigner;
  kid: string;
  holder: Holder;
  sdJwt: string;
  input: IssueInput;
  options: (over?: Partial<VerifyOptions>) => VerifyOptions;
  present: (claims?: ClaimName[], over?: { nonce?: string; aud?: string; iat?: number; signer?: JwsSigner }) => Promise<string>;
}

export async function makeFixture(overrides: Partial<IssueInput> = {}): Promise<Fixture> {
  const kp = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const issuerJwk = (await crypto.subtle.exportKey('jwk', kp.publicKey)) as Jwk;
  const issuerSigner = webCryptoSigner(kp.privateKey, 'ES256');
  const holder = await newHolder();
  const kid = `${ISSUER}#key-1`;
  const listUrl = (p: string) => `https://id.example.gov/status/${PLATFORM}/${p}-0`;
  const input: IssueInput = {
    issuer: ISSUER,
    kid,
    validFrom: '2026-06-01T00:00:00Z',
    validUntil: '2026-07-01T00:00:00Z',
    holder: { id: holder.did, jwk: holder.jwk },
    maskedId: 'm1' + 'a'.repeat(26),
    platform: PLATFORM,
    contextDigestSRI: (await maskidContext(ISSUER)).digestSRI,
    credentialStatus: [
      { id: `${listUrl('revocation')}#7`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: '7', statusListCredential: listUrl('revocation') },
      { id: `${listUrl('suspension')}#7`, type: 'BitstringStatusListEntry', statusPurpose: 'suspension', statusListIndex: '7', statusListCredential: listUrl('suspension') },
    ],
    claims: {
      givenName: '三',
      familyName: '张',
      birthDate: '2000-01-01',
      ageOver14: true,
      ageOver16: true,
      ageOver18: true,
      gender: 'male',
      region: '11',
      nationality: 'CN',
      realNameVerified: true,
    },
    ...overrides,
  };
  const sdJwt = await issueInternetIdCredential(input, issuerSigner);
  const options = (over: Partial<VerifyOptions> = {}): VerifyOptions => ({
    issuerKey: (iss, k) => {
      if (iss !== ISSUER) throw new MaskidError('ERR_ISSUER_UNTRUSTED', `${iss} is not a trusted issuer`);
      if (k !== kid) throw new MaskidError('ERR_KEY_UNKNOWN', `unknown key ${k}`);
      return issuerJwk;
    },
    nonce: NONCE,
    audiences: [AUD],
    platform: PLATFORM,
    requestedClaims: ['ageOver18', 'region'],
    now: () => NOW,
    status: () => false,
    ...over,
  });
  const present = (claims: ClaimName[] = ['ageOver18', 'region'], over: { nonce?: string; aud?: string; iat?: number; signer?: JwsSigner } = {}) =>
    presentInternetIdCredential(sdJwt, {
      claims,
      kbSigner: over.signer ?? holder.signer,
      nonce: over.nonce ?? NONCE,
      aud: over.aud ?? AUD,
      iat: over.iat ?? Math.floor(NOW / 1000),
    });
  return { issuerJwk, issuerSigner, kid, holder, sdJwt, input, options, present };
}

/** Re-signs the issuer JWT of an SD-JWT after changing its header or payload. */
export async function resign(sdJwt: string, signer: JwsSigner, change: (header: Record<string, unknown>, payload: Record<string, unknown>) => void): Promise<string> {
  const [jwt, ...rest] = sdJwt.split('~');
  const [h, p] = jwt!.split('.');
  const header = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(h!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
  const payload = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(p!.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
  change(header, payload);
  const { alg: _alg, ...headerRest } = header;
  const signed = await signJwt(headerRest, payload, signer);
  return [signed, ...rest].join('~');
}

/** A KB-JWT for `sdJwtWithoutKb` (which ends in `~`), with any payload or header changes. */
export async function kbJwt(sdJwtWithoutKb: string, signer: JwsSigner, payload: Record<string, unknown>, header: Record<string, unknown> = { typ: 'kb+jwt' }): Promise<string> {
  const sdHash = base64url(await sha256(utf8(sdJwtWithoutKb)));
  return signJwt(header, { iat: Math.floor(NOW / 1000), aud: AUD, nonce: NONCE, sd_hash: sdHash, ...payload }, signer);
}

/** Splits a presentation into its SD-JWT part (ending in ~) and KB-JWT. */
export function splitKb(presentation: string): { sd: string; kb: string } {
  const i = presentation.lastIndexOf('~');
  return { sd: presentation.slice(0, i + 1), kb: presentation.slice(i + 1) };
}

/** A compact JWS with a raw header (for alg none / HS256 forgeries). */
export function rawJws(header: Record<string, unknown>, payloadB64: string, signature: Uint8Array): string {
  return `${base64urlText(JSON.stringify(header))}.${payloadB64}.${base64url(signature)}`;
}

/**
 * Forged and broken presentations built from one fixture, each with the code it must get. The same
 * list runs against @maskid/core's reference verifier and the @maskid/verifier hot-path engine.
 */
import { createHash, createHmac } from 'node:crypto';
import { base64urlText, webCryptoSigner, type ErrorCode, type VerifyOptions, type ClaimName } from '@maskid/core';
import { AUD, NONCE, NOW, kbJwt, rawJws, resign, splitKb, type Fixture } from './fixtures.js';
import { newHolder } from '../helpers.js';

export interface ForgeryCase {
  name: string;
  presentation: string;
  /** Overrides of the verification context (clock, platform, requested claims, status). */
  context?: { now?: number; platform?: string; requestedClaims?: ClaimName[]; revoked?: boolean; suspended?: boolean };
  expect: ErrorCode | 'ok';
}

export async function forgeryCases(f: Fixture): Promise<ForgeryCase[]> {
  const p = await f.present();
  const [jwt, ...rest] = p.split('~');
  const [h, payloadB64, sig] = jwt!.split('.');
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString());
  const { sd } = splitKb(p);
  const one = splitKb(await f.present(['ageOver18']));
  const otherIssuer = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const otherHolder = await newHolder();
  const tamperedPayload = JSON.parse(Buffer.from(payloadB64!, 'base64url').toString());
  tamperedPayload.credentialSubject.platform = 'shop-b';
  const extra = sd + base64urlText(JSON.stringify(['c2FsdHNhbHRzYWx0c2FsdA', 'ageOver18', false])) + '~';
  const dupParts = one.sd.split('~');
  const dup = `${dupParts[0]}~${dupParts[1]}~${dupParts[1]}~`;
  const hs = { ...header, alg: 'HS256' };
  const hsInput = `${Buffer.from(JSON.stringify(hs)).toString('base64url')}.${payloadB64}`;
  const evil = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const [d0, ...dMore] = sd.split('~').slice(1, -1);
  const tamperedDisclosure = (() => {
    const [salt, name] = JSON.parse(Buffer.from(d0!, 'base64url').toString()) as [string, string, unknown];
    return base64urlText(JSON.stringify([salt, name, name === 'ageOver18' ? false : '99']));
  })();
  const withDisclosures = async (ds: string[]) => {
    const s = `${jwt}~${ds.map((d) => `${d}~`).join('')}`;
    return s + (await kbJwt(s, f.holder.signer, {}));
  };
  const kbRaw = async (payloadText: string) => `${sd}${await signRaw({ typ: 'kb+jwt', alg: 'ES256' }, payloadText, f.holder.signer)}`;
  const signRaw = async (hdr: Record<string, unknown>, payloadText: string, signer: typeof f.issuerSigner) => {
    const input = `${base64urlText(JSON.stringify(hdr))}.${base64urlText(payloadText)}`;
    return `${input}.${Buffer.from(await signer.sign(new TextEncoder().encode(input))).toString('base64url')}`;
  };
  const sdHash = createHash('sha256').update(sd).digest('base64url');
  const iatNow = Math.floor(NOW / 1000);
  let nested = '0';
  for (let i = 0; i < 2000; i++) nested = `[${nested}]`;
  return [
    { name: 'valid', presentation: p, expect: 'ok' },
    {
      name: 'tampered payload',
      presentation: [`${h}.${Buffer.from(JSON.stringify(tamperedPayload)).toString('base64url')}.${sig}`, ...rest].join('~'),
      context: { platform: 'shop-b' },
      expect: 'ERR_SIGNATURE_INVALID',
    },
    { name: 'signed by another key', presentation: await resign(p, webCryptoSigner(otherIssuer.privateKey, 'ES256'), () => {}), expect: 'ERR_SIGNATURE_INVALID' },
    {
      name: 'kid of another DID',
      presentation: await resign(p, f.issuerSigner, (hh) => {
        hh['kid'] = 'did:web:evil.example#key-1';
      }),
      expect: 'ERR_KEY_UNKNOWN',
    },
    {
      name: 'typ JWT',
      presentation: await resign(p, f.issuerSigner, (hh) => {
        hh['typ'] = 'JWT';
      }),
      expect: 'ERR_TYP_INVALID',
    },
    {
      name: 'typ dc+sd-jwt',
      presentation: await resign(p, f.issuerSigner, (hh) => {
        hh['typ'] = 'dc+sd-jwt';
      }),
      expect: 'ERR_TYP_INVALID',
    },
    {
      name: 'no cty',
      presentation: await resign(p, f.issuerSigner, (hh) => {
        delete hh['cty'];
      }),
      expect: 'ERR_TYP_INVALID',
    },
    { name: 'alg none', presentation: [rawJws({ ...header, alg: 'none' }, payloadB64!, new Uint8Array([0])), ...rest].join('~'), expect: 'ERR_ALG_NOT_ALLOWED' },
    {
      name: 'HS256 keyed with the public key',
      presentation: [rawJws(hs, payloadB64!, createHmac('sha256', JSON.stringify(f.issuerJwk)).update(hsInput).digest()), ...rest].join('~'),
      expect: 'ERR_ALG_NOT_ALLOWED',
    },
    { name: 'unreferenced disclosure', presentation: extra + (await kbJwt(extra, f.holder.signer, {})), expect: 'ERR_DISCLOSURE_UNREFERENCED' },
    { name: 'duplicated disclosure', presentation: dup + (await kbJwt(dup, f.holder.signer, {})), context: { requestedClaims: ['ageOver18'] }, expect: 'ERR_DISCLOSURE_DUPLICATE' },
    {
      name: 'expired',
      presentation: await f.present(undefined, { iat: Math.floor(Date.UTC(2026, 6, 2) / 1000) }),
      context: { now: Date.UTC(2026, 6, 2) },
      expect: 'ERR_CREDENTIAL_EXPIRED',
    },
    {
      name: 'not yet valid',
      presentation: await f.present(undefined, { iat: Math.floor(Date.UTC(2026, 4, 30) / 1000) }),
      context: { now: Date.UTC(2026, 4, 30) },
      expect: 'ERR_CREDENTIAL_NOT_YET_VALID',
    },
    { name: 'another platform', presentation: p, context: { platform: 'shop-b' }, expect: 'ERR_PLATFORM_MISMATCH' },
    { name: 'no key binding', presentation: sd, expect: 'ERR_KB_MISSING' },
    { name: 'KB typ JWT', presentation: sd + (await kbJwt(sd, f.holder.signer, {}, { typ: 'JWT' })), expect: 'ERR_KB_TYP_INVALID' },
    { name: 'KB by another key', presentation: await f.present(undefined, { signer: otherHolder.signer }), expect: 'ERR_KB_SIGNATURE_INVALID' },
    { name: 'KB wrong nonce', presentation: await f.present(undefined, { nonce: 'another-nonce-000000' }), expect: 'ERR_KB_NONCE_INVALID' },
    { name: 'KB aud with slash', presentation: await f.present(undefined, { aud: `${AUD}/` }), expect: 'ERR_KB_AUDIENCE_INVALID' },
    { name: 'KB aud of another origin', presentation: await f.present(undefined, { aud: 'origin:https://shop-b.example' }), expect: 'ERR_KB_AUDIENCE_INVALID' },
    { name: 'KB stale iat', presentation: await f.present(undefined, { iat: Math.floor(NOW / 1000) - 3600 }), expect: 'ERR_KB_IAT_INVALID' },
    { name: 'KB future iat', presentation: await f.present(undefined, { iat: Math.floor(NOW / 1000) + 3600 }), expect: 'ERR_KB_IAT_INVALID' },
    { name: 'KB sd_hash over other disclosures', presentation: sd + one.kb, expect: 'ERR_KB_SD_HASH_INVALID' },
    { name: 'fewer claims than requested', presentation: await f.present(['ageOver18']), expect: 'ERR_CLAIMS_MISMATCH' },
    { name: 'claim not allowed', presentation: await f.present(['ageOver18', 'givenName']), context: { requestedClaims: ['ageOver18'] }, expect: 'ERR_CLAIM_NOT_ALLOWED' },
    {
      name: 'untrusted issuer (its own DID and key)',
      presentation: await resign(p, webCryptoSigner(evil.privateKey, 'ES256'), (hh, pp) => {
        hh['kid'] = 'did:web:evil.example#key-1';
        pp['issuer'] = 'did:web:evil.example';
      }),
      expect: 'ERR_ISSUER_UNTRUSTED',
    },
    {
      name: 'alg ES384',
      presentation: await resign(p, f.issuerSigner, (hh) => {
        hh['alg'] = 'ES384';
      }).then((x) => x.replace(/^[^.]+/, base64urlText(JSON.stringify({ ...header, alg: 'ES384' })))),
      expect: 'ERR_ALG_NOT_ALLOWED',
    },
    { name: 'alg EdDSA on an ES256 key', presentation: [rawJws({ ...header, alg: 'EdDSA' }, payloadB64!, new Uint8Array(64)), ...rest].join('~'), expect: 'ERR_ALG_NOT_ALLOWED' },
    { name: 'signature stripped', presentation: [`${h}.${payloadB64}.`, ...rest].join('~'), expect: 'ERR_SDJWT_MALFORMED' },
    { name: 'signature of zeros', presentation: [`${h}.${payloadB64}.${Buffer.alloc(64).toString('base64url')}`, ...rest].join('~'), expect: 'ERR_SIGNATURE_INVALID' },
    { name: 'tampered disclosure value', presentation: await withDisclosures([tamperedDisclosure, ...dMore]), expect: 'ERR_DISCLOSURE_UNREFERENCED' },
    { name: 'disclosure not base64url', presentation: await withDisclosures(['not*base64', ...dMore]), expect: 'ERR_DISCLOSURE_MALFORMED' },
    { name: 'disclosure not an array', presentation: await withDisclosures([base64urlText('{"salt":"x"}'), ...dMore]), expect: 'ERR_DISCLOSURE_MALFORMED' },
    {
      name: 'KB alg none',
      presentation: `${sd}${base64urlText('{"typ":"kb+jwt","alg":"none"}')}.${base64urlText(JSON.stringify({ iat: iatNow, aud: AUD, nonce: NONCE, sd_hash: sdHash }))}.AAAA`,
      expect: 'ERR_ALG_NOT_ALLOWED',
    },
    {
      name: 'KB signature stripped',
      presentation: (await kbRaw(JSON.stringify({ iat: iatNow, aud: AUD, nonce: NONCE, sd_hash: sdHash }))).replace(/\.[^.]*$/, '.'),
      expect: 'ERR_KB_MISSING',
    },
    {
      name: 'KB signature not canonical base64url (last character changed, same bytes)',
      presentation: (() => {
        const last = p[p.length - 1]!;
        const B = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        return p.slice(0, -1) + B[B.indexOf(last) ^ 1];
      })(),
      expect: 'ERR_KB_MISSING',
    },
    {
      name: 'KB signature of zeros',
      presentation: (await kbRaw(JSON.stringify({ iat: iatNow, aud: AUD, nonce: NONCE, sd_hash: sdHash }))).replace(/\.[^.]*$/, `.${Buffer.alloc(64).toString('base64url')}`),
      expect: 'ERR_KB_SIGNATURE_INVALID',
    },
    { name: 'KB without nonce', presentation: await kbRaw(JSON.stringify({ iat: iatNow, aud: AUD, sd_hash: sdHash })), expect: 'ERR_KB_NONCE_INVALID' },
    { name: 'KB without sd_hash', presentation: await kbRaw(JSON.stringify({ iat: iatNow, aud: AUD, nonce: NONCE })), expect: 'ERR_KB_SD_HASH_INVALID' },
    { name: 'KB aud as array', presentation: await kbRaw(JSON.stringify({ iat: iatNow, aud: [AUD], nonce: NONCE, sd_hash: sdHash })), expect: 'ERR_KB_AUDIENCE_INVALID' },
    {
      name: 'KB iat as a huge number',
      presentation: await kbRaw(`{"iat":1e400,"aud":${JSON.stringify(AUD)},"nonce":${JSON.stringify(NONCE)},"sd_hash":${JSON.stringify(sdHash)}}`),
      expect: 'ERR_KB_IAT_INVALID',
    },
    { name: 'KB iat as a string', presentation: await kbRaw(JSON.stringify({ iat: String(iatNow), aud: AUD, nonce: NONCE, sd_hash: sdHash })), expect: 'ERR_KB_IAT_INVALID' },
    { name: 'KB iat fractional', presentation: await kbRaw(JSON.stringify({ iat: iatNow + 0.5, aud: AUD, nonce: NONCE, sd_hash: sdHash })), expect: 'ERR_KB_IAT_INVALID' },
    {
      name: 'KB payload deeply nested',
      presentation: await kbRaw(`{"iat":${iatNow},"aud":${JSON.stringify(AUD)},"nonce":${JSON.stringify(NONCE)},"sd_hash":"x","x":${nested}}`),
      expect: 'ERR_KB_SD_HASH_INVALID',
    },
    {
      name: 'payload deeply nested',
      presentation: [await signRaw(header, `{"x":${nested},${Buffer.from(payloadB64!, 'base64url').toString().slice(1)}`, f.issuerSigner), ...rest].join('~'),
      expect: 'ERR_SDJWT_MALFORMED',
    },
    {
      name: 'validUntil far future (huge year)',
      presentation: await resign(p, f.issuerSigner, (_hh, pp) => {
        pp['validUntil'] = '+275760-09-13T00:00:00Z';
      }),
      expect: 'ERR_PROFILE_INVALID',
    },
    {
      name: 'statusListIndex beyond safe integers',
      presentation: await resign(p, f.issuerSigner, (_hh, pp) => {
        (pp['credentialStatus'] as Record<string, unknown>[])[0]!['statusListIndex'] = '99999999999999999999999';
      }),
      expect: 'ERR_PROFILE_INVALID',
    },
    { name: 'issuer JWT with four segments', presentation: [`${h}.${payloadB64}.${sig}.x`, ...rest].join('~'), expect: 'ERR_SDJWT_MALFORMED' },
    { name: 'issuer payload is an array', presentation: [`${h}.${base64urlText('[1,2]')}.${sig}`, ...rest].join('~'), expect: 'ERR_SDJWT_MALFORMED' },
    {
      name: 'issuer payload names a member twice (validly signed)',
      presentation: await (async () => {
        // A second "validUntil" after the first: a last-wins parser would see another expiry under the same signature.
        const text = Buffer.from(payloadB64!, 'base64url').toString().replace('{', '{"validUntil":"2099-01-01T00:00:00Z",');
        const input = `${h}.${base64urlText(text)}`;
        return [`${input}.${Buffer.from(await f.issuerSigner.sign(new TextEncoder().encode(input))).toString('base64url')}`, ...rest].join('~');
      })(),
      expect: 'ERR_SDJWT_MALFORMED',
    },
    { name: 'revoked', presentation: p, context: { revoked: true }, expect: 'ERR_STATUS_REVOKED' },
    { name: 'suspended', presentation: p, context: { suspended: true }, expect: 'ERR_STATUS_SUSPENDED' },
    { name: 'empty', presentation: '', expect: 'ERR_SDJWT_MALFORMED' },
    { name: 'garbage', presentation: 'a.b.c~', expect: 'ERR_SDJWT_MALFORMED' },
    { name: 'oversized', presentation: 'x'.repeat(70_000) + '~', expect: 'ERR_TOKEN_TOO_LARGE' },
    {
      name: 'non-UTF-8 header',
      presentation: `${Buffer.from([0xff, 0xfe]).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.AAAA~`,
      expect: 'ERR_SDJWT_MALFORMED',
    },
  ];
}

/** The core verifier's options for a case. */
export function coreOptions(f: Fixture, c: ForgeryCase): VerifyOptions {
  return f.options({
    ...(c.context?.now ? { now: () => c.context!.now! } : {}),
    ...(c.context?.platform ? { platform: c.context.platform } : {}),
    ...(c.context?.requestedClaims ? { requestedClaims: c.context.requestedClaims } : {}),
    allowedClaims: c.context?.requestedClaims ?? ['ageOver18', 'region'],
    status: (e) => (e.statusPurpose === 'revocation' ? !!c.context?.revoked : !!c.context?.suspended),
  });
}

import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { DIGEST_COUNT, base64urlText, disclosedClaimsOf, parseSdJwt, verifyInternetIdPresentation, webCryptoSigner, MaskidError, type ErrorCode, type Jwk } from '@maskid/core';
import { AUD, NONCE, NOW, kbJwt, makeFixture, rawJws, resign, splitKb, type Fixture } from './fixtures.js';
import { newHolder } from '../helpers.js';

async function expectCode(presentation: string, options: Parameters<typeof verifyInternetIdPresentation>[1], code: ErrorCode) {
  const r = await verifyInternetIdPresentation(presentation, options);
  assert.equal(r.verified, false, `expected ${code}, but the presentation verified`);
  if (!r.verified) assert.equal(r.error.code, code, r.error.message);
}

describe('SD-JWT profile: issue → present → verify', () => {
  let f: Fixture;
  before(async () => {
    f = await makeFixture();
  });

  it('verifies a presentation of two chosen claims and returns only those', async () => {
    const r = await verifyInternetIdPresentation(await f.present(), f.options());
    assert.equal(r.verified, true, JSON.stringify(r));
    if (!r.verified) return;
    assert.deepEqual(r.claims, { ageOver18: true, region: '11' });
    assert.equal(r.maskedId, f.input.maskedId);
    assert.equal(r.platform, 'shop-a');
    assert.deepEqual(
      r.checks.map((c) => c.check),
      [
        'structure',
        'typ',
        'alg',
        'issuer',
        'signature',
        'disclosures',
        'profile',
        'validity',
        'platform',
        'kb.signature',
        'kb.nonce',
        'kb.aud',
        'kb.iat',
        'kb.sd_hash',
        'claims',
        'status',
      ],
    );
  });

  it('leaves undisclosed claims out of the presentation entirely', async () => {
    const p = await f.present(['ageOver18']);
    const parsed = parseSdJwt(p);
    assert.equal(parsed.disclosures.length, 1);
    const text = parsed.disclosures.map((d) => atob(d.replace(/-/g, '+').replace(/_/g, '/'))).join('');
    assert.match(text, /ageOver18/);
    for (const hidden of ['givenName', 'familyName', 'birthDate', 'region']) assert.doesNotMatch(p, new RegExp(base64urlText(hidden).slice(0, 6)));
    assert.ok(!p.includes('2000-01-01'));
  });

  it('has the profile header, a fixed digest count, 128-bit salts and no iat', async () => {
    const parsed = parseSdJwt(f.sdJwt);
    assert.deepEqual(
      { typ: parsed.jwt.header['typ'], cty: parsed.jwt.header['cty'], alg: parsed.jwt.header['alg'], kid: parsed.jwt.header['kid'] },
      { typ: 'vc+sd-jwt', cty: 'vc', alg: 'ES256', kid: f.kid },
    );
    const subject = parsed.jwt.payload['credentialSubject'] as Record<string, unknown>;
    assert.equal((subject['_sd'] as string[]).length, DIGEST_COUNT);
    assert.ok(!('iat' in parsed.jwt.payload));
    assert.ok(!('givenName' in subject));
    assert.equal(parsed.disclosures.length, 10);
    for (const d of parsed.disclosures) {
      const [salt] = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(d.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))));
      assert.equal(salt.length, 22, 'salt is base64url of 16 bytes');
    }
    const all = await disclosedClaimsOf(f.sdJwt);
    assert.equal((all['credentialSubject'] as Record<string, unknown>)['givenName'], '三');
  });

  describe('rejects', () => {
    it('a tampered payload (ERR_SIGNATURE_INVALID)', async () => {
      const p = await f.present();
      const [jwt, ...rest] = p.split('~');
      const [h, , s] = jwt!.split('.');
      const payload = JSON.parse(Buffer.from(jwt!.split('.')[1]!, 'base64url').toString());
      payload.credentialSubject.platform = 'shop-b';
      const forged = [`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`, ...rest].join('~');
      await expectCode(forged, f.options({ platform: 'shop-b' }), 'ERR_SIGNATURE_INVALID');
    });

    it('a credential signed by another key (ERR_SIGNATURE_INVALID)', async () => {
      const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
      const forged = await resign(await f.present(), webCryptoSigner(other.privateKey, 'ES256'), () => {});
      await expectCode(forged, f.options(), 'ERR_SIGNATURE_INVALID');
    });

    it('an untrusted issuer (ERR_ISSUER_UNTRUSTED)', async () => {
      const p = await f.present();
      await expectCode(
        p,
        f.options({
          issuerKey: () => {
            throw new MaskidError('ERR_ISSUER_UNTRUSTED', 'not trusted');
          },
        }),
        'ERR_ISSUER_UNTRUSTED',
      );
    });

    it('a kid that is not a DID URL of the issuer (ERR_KEY_UNKNOWN)', async () => {
      const forged = await resign(await f.present(), f.issuerSigner, (h) => {
        h['kid'] = 'did:web:evil.example#key-1';
      });
      await expectCode(forged, f.options(), 'ERR_KEY_UNKNOWN');
    });

    it('a wrong typ (ERR_TYP_INVALID)', async () => {
      for (const typ of ['JWT', 'vc+jwt', 'dc+sd-jwt', undefined]) {
        const forged = await resign(await f.present(), f.issuerSigner, (h) => {
          if (typ) h['typ'] = typ;
          else delete h['typ'];
        });
        await expectCode(forged, f.options(), 'ERR_TYP_INVALID');
      }
    });

    it('alg none (ERR_ALG_NOT_ALLOWED)', async () => {
      const p = await f.present();
      const [jwt, ...rest] = p.split('~');
      const [h, payload] = jwt!.split('.');
      const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString()), alg: 'none' };
      await expectCode([rawJws(header, payload!, new Uint8Array([0])), ...rest].join('~'), f.options(), 'ERR_ALG_NOT_ALLOWED');
    });

    it('algorithm confusion: HS256 keyed with the issuer public key (ERR_ALG_NOT_ALLOWED)', async () => {
      const p = await f.present();
      const [jwt, ...rest] = p.split('~');
      const [h, payload] = jwt!.split('.');
      const header = { ...JSON.parse(Buffer.from(h!, 'base64url').toString()), alg: 'HS256' };
      const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}`;
      const mac = createHmac('sha256', JSON.stringify(f.issuerJwk)).update(input).digest();
      await expectCode([rawJws(header, payload!, mac), ...rest].join('~'), f.options(), 'ERR_ALG_NOT_ALLOWED');
    });

    it('an algorithm outside the caller allow-list (ERR_ALG_NOT_ALLOWED)', async () => {
      await expectCode(await f.present(), f.options({ algorithms: ['EdDSA'] }), 'ERR_ALG_NOT_ALLOWED');
    });

    it('an extra, unreferenced disclosure (ERR_DISCLOSURE_UNREFERENCED)', async () => {
      const { sd } = splitKb(await f.present());
      const extra = base64urlText(JSON.stringify(['c2FsdHNhbHRzYWx0c2FsdA', 'ageOver18', false]));
      const withExtra = sd + extra + '~';
      await expectCode(withExtra + (await kbJwt(withExtra, f.holder.signer, {})), f.options(), 'ERR_DISCLOSURE_UNREFERENCED');
    });

    it('a tampered disclosure value (ERR_DISCLOSURE_UNREFERENCED: its digest is not in the credential)', async () => {
      const { sd } = splitKb(await f.present(['ageOver18']));
      const parts = sd.split('~');
      const [salt] = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString());
      parts[1] = base64urlText(JSON.stringify([salt, 'ageOver18', false]));
      const forged = parts.join('~');
      await expectCode(forged + (await kbJwt(forged, f.holder.signer, {})), f.options({ requestedClaims: ['ageOver18'] }), 'ERR_DISCLOSURE_UNREFERENCED');
    });

    it('a duplicated disclosure (ERR_DISCLOSURE_DUPLICATE)', async () => {
      const { sd } = splitKb(await f.present(['ageOver18']));
      const parts = sd.split('~');
      const dup = `${parts[0]}~${parts[1]}~${parts[1]}~`;
      await expectCode(dup + (await kbJwt(dup, f.holder.signer, {})), f.options({ requestedClaims: ['ageOver18'] }), 'ERR_DISCLOSURE_DUPLICATE');
    });

    it('an expired credential and one not yet valid', async () => {
      const p = await f.present(undefined, { iat: Math.floor(Date.UTC(2026, 6, 2) / 1000) });
      await expectCode(p, f.options({ now: () => Date.UTC(2026, 6, 2) }), 'ERR_CREDENTIAL_EXPIRED');
      const q = await f.present(undefined, { iat: Math.floor(Date.UTC(2026, 4, 30) / 1000) });
      await expectCode(q, f.options({ now: () => Date.UTC(2026, 4, 30) }), 'ERR_CREDENTIAL_NOT_YET_VALID');
    });

    it('a credential of platform A shown to platform B (ERR_PLATFORM_MISMATCH)', async () => {
      await expectCode(await f.present(), f.options({ platform: 'shop-b' }), 'ERR_PLATFORM_MISMATCH');
    });

    it('a missing key-binding JWT (ERR_KB_MISSING)', async () => {
      const { sd } = splitKb(await f.present());
      await expectCode(sd, f.options(), 'ERR_KB_MISSING');
    });

    it('a KB-JWT with the wrong typ (ERR_KB_TYP_INVALID)', async () => {
      const { sd } = splitKb(await f.present());
      await expectCode(sd + (await kbJwt(sd, f.holder.signer, {}, { typ: 'JWT' })), f.options(), 'ERR_KB_TYP_INVALID');
    });

    it('a KB-JWT signed by another key (ERR_KB_SIGNATURE_INVALID)', async () => {
      const other = await newHolder();
      await expectCode(await f.present(undefined, { signer: other.signer }), f.options(), 'ERR_KB_SIGNATURE_INVALID');
    });

    it('a wrong nonce (ERR_KB_NONCE_INVALID)', async () => {
      await expectCode(await f.present(undefined, { nonce: 'another-nonce-000000' }), f.options(), 'ERR_KB_NONCE_INVALID');
    });

    it('a wrong audience, including a trailing slash or another origin (ERR_KB_AUDIENCE_INVALID)', async () => {
      for (const aud of [`${AUD}/`, 'origin:https://shop-b.example', 'https://shop-a.example']) {
        await expectCode(await f.present(undefined, { aud }), f.options(), 'ERR_KB_AUDIENCE_INVALID');
      }
    });

    it('a stale or future iat (ERR_KB_IAT_INVALID)', async () => {
      await expectCode(await f.present(undefined, { iat: Math.floor(NOW / 1000) - 3600 }), f.options(), 'ERR_KB_IAT_INVALID');
      await expectCode(await f.present(undefined, { iat: Math.floor(NOW / 1000) + 3600 }), f.options(), 'ERR_KB_IAT_INVALID');
    });

    it('a KB-JWT whose sd_hash covers other disclosures (ERR_KB_SD_HASH_INVALID)', async () => {
      const one = splitKb(await f.present(['ageOver18']));
      const two = splitKb(await f.present(['ageOver18', 'region']));
      await expectCode(two.sd + one.kb, f.options(), 'ERR_KB_SD_HASH_INVALID');
    });

    it('disclosed claims that differ from the request (ERR_CLAIMS_MISMATCH)', async () => {
      await expectCode(await f.present(['ageOver18']), f.options(), 'ERR_CLAIMS_MISMATCH');
    });

    it('a claim the platform is not allowed (ERR_CLAIM_NOT_ALLOWED)', async () => {
      await expectCode(await f.present(['ageOver18', 'givenName']), f.options({ requestedClaims: ['ageOver18'] }), 'ERR_CLAIM_NOT_ALLOWED');
    });

    it('a revoked or suspended credential', async () => {
      const p = await f.present();
      await expectCode(p, f.options({ status: (e) => e.statusPurpose === 'revocation' }), 'ERR_STATUS_REVOKED');
      await expectCode(p, f.options({ status: (e) => e.statusPurpose === 'suspension' }), 'ERR_STATUS_SUSPENDED');
      await expectCode(
        p,
        f.options({
          status: () => {
            throw new MaskidError('ERR_STATUS_UNAVAILABLE', 'no list');
          },
        }),
        'ERR_STATUS_UNAVAILABLE',
      );
    });

    it('garbage, oversized and non-UTF-8 input without throwing', async () => {
      const o = f.options();
      await expectCode('', o, 'ERR_SDJWT_MALFORMED');
      await expectCode('not-a-token', o, 'ERR_SDJWT_MALFORMED');
      await expectCode('a.b.c~', o, 'ERR_SDJWT_MALFORMED');
      await expectCode('x'.repeat(70_000) + '~', o, 'ERR_TOKEN_TOO_LARGE');
      const badUtf8 = `${Buffer.from([0xff, 0xfe]).toString('base64url')}.${Buffer.from('{}').toString('base64url')}.AAAA~`;
      await expectCode(badUtf8, o, 'ERR_SDJWT_MALFORMED');
      await expectCode(123 as unknown as string, o, 'ERR_SDJWT_MALFORMED');
    });
  });

  it('an Ed25519 issuer and holder also verify', async () => {
    const kp = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey('jwk', kp.publicKey)) as Jwk;
    const g = await makeFixture();
    const { issueInternetIdCredential, presentInternetIdCredential } = await import('@maskid/core');
    const sdJwt = await issueInternetIdCredential(g.input, webCryptoSigner(kp.privateKey, 'EdDSA'));
    const p = await presentInternetIdCredential(sdJwt, { claims: ['ageOver18', 'region'], kbSigner: g.holder.signer, nonce: NONCE, aud: AUD, iat: Math.floor(NOW / 1000) });
    const r = await verifyInternetIdPresentation(p, g.options({ issuerKey: () => jwk }));
    assert.equal(r.verified, true, JSON.stringify(r));
  });
});

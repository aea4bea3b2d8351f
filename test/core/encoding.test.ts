import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { base32, base64url, fromBase32, fromBase64url, didJwkFor, jwkFromDidJwk, jwkThumbprint, contextUrlFor, didWebToUrl, urlToDidWeb, MaskidError } from '@maskid/core';

describe('encodings', () => {
  it('base64url matches Node for random lengths and refuses non-canonical input', () => {
    for (let n = 0; n < 70; n++) {
      const b = randomBytes(n);
      assert.equal(base64url(b), b.toString('base64url'));
      assert.deepEqual(Buffer.from(fromBase64url(b.toString('base64url'))!), b);
    }
    for (const bad of ['A', 'AB=', 'A+B/', 'AB C', 'AC', 'é']) assert.equal(fromBase64url(bad), undefined, bad);
  });

  it('base32 round-trips and refuses foreign characters', () => {
    for (let n = 0; n < 40; n++) {
      const b = randomBytes(n);
      assert.deepEqual(Buffer.from(fromBase32(base32(b))!), b);
    }
    assert.equal(fromBase32('abc1'), undefined);
  });

  it('did:jwk and did:web conversions', async () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0' };
    assert.deepEqual(jwkFromDidJwk(didJwkFor(jwk)), jwk);
    // RFC 7638 §3.1 example key (RSA) is not in the profile; check the EC thumbprint is stable and order-independent.
    assert.equal(await jwkThumbprint(jwk), await jwkThumbprint({ y: jwk.y, x: jwk.x, crv: 'P-256', kty: 'EC' }));
    assert.throws(() => jwkFromDidJwk('did:jwk:' + Buffer.from(JSON.stringify({ ...jwk, d: 'secret' })).toString('base64url')), MaskidError);
    assert.throws(() => jwkFromDidJwk('did:key:z6Mk'), MaskidError);
    assert.equal(urlToDidWeb('http://localhost:8443'), 'did:web:localhost%3A8443');
    assert.equal(didWebToUrl('did:web:localhost%3A8443', 'http:'), 'http://localhost:8443');
    assert.equal(urlToDidWeb('https://id.example.gov/issuers/1'), 'did:web:id.example.gov:issuers:1');
    assert.equal(contextUrlFor('did:web:id.example.gov'), 'https://id.example.gov/contexts/v2');
  });
});

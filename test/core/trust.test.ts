/** The shared trust rules of `@maskid/core`: strict JSON, the root-signed key list and which key may sign. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  KEY_SKEW_SECONDS,
  MAX_ASSERTION_KEYS,
  TYP_KEY_LIST,
  assertionKeyFor,
  decodeJwt,
  duplicateMemberName,
  jwkThumbprint,
  parseJsonStrict,
  signJwt,
  signingKeyAt,
  verifyKeyList,
  webCryptoSigner,
  type Jwk,
  type KeyList,
  type KeyListEntry,
} from '@maskid/core';
import { thrownCode } from '../helpers.js';

const ISSUER = 'did:web:id.example.gov';

describe('strict JSON', () => {
  it('finds a member named twice in one object, also when escaped, and nowhere else', () => {
    assert.equal(duplicateMemberName('{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}'), undefined);
    assert.equal(duplicateMemberName('{"a":1,"a":2}'), 'a');
    assert.equal(duplicateMemberName('{"a":1,"\\u0061":2}'), 'a');
    assert.equal(duplicateMemberName('{"x":{"k":"v","k":"w"}}'), 'k');
    assert.equal(duplicateMemberName('[{"k":1},{"k":2}]'), undefined);
    assert.equal(duplicateMemberName('{"s":"a\\"b","t":"{\\"s\\":1}","u":"\\\\"}'), undefined, 'quotes and braces inside strings');
    assert.equal(duplicateMemberName('{"s":"\\\\","s":1}'), 's', 'a string ending in an escaped backslash');
    assert.equal(
      thrownCode(() => parseJsonStrict('{"version":2,"version":1}')),
      'ERR_INPUT_INVALID',
    );
    assert.equal(
      thrownCode(() => parseJsonStrict('{"a":')),
      'ERR_INPUT_INVALID',
    );
    assert.deepEqual(parseJsonStrict('{"a":[1,{"b":"}"}]}'), { a: [1, { b: '}' }] });
  });

  it('agrees with a reference on 5,000 generated documents', () => {
    // Objects are written member by member, so the generator knows whether a name repeats.
    const name = fc.constantFrom('a', 'b', 'c', 'é', 'x"y', 'x\\y', '{', '}', ',');
    const scalar = fc.oneof(fc.integer(), fc.string({ maxLength: 6 }), fc.boolean(), fc.constant(null));
    const doc: fc.Arbitrary<{ text: string; dup: boolean }> = fc.letrec<{ node: { text: string; dup: boolean } }>((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        scalar.map((v) => ({ text: JSON.stringify(v), dup: false })),
        fc.array(tie('node'), { maxLength: 4 }).map((xs) => ({ text: `[${xs.map((x) => x.text).join(',')}]`, dup: xs.some((x) => x.dup) })),
        fc.array(fc.tuple(name, tie('node'), fc.boolean()), { maxLength: 4 }).map((ms) => {
          const names = ms.map(([n]) => n);
          const text = `{${ms.map(([n, v, escaped]) => `${escaped ? JSON.stringify(n).replace(/[a-c]/g, (ch) => `\\u00${ch.charCodeAt(0).toString(16)}`) : JSON.stringify(n)}:${v.text}`).join(',')}}`;
          return { text, dup: new Set(names).size !== names.length || ms.some(([, v]) => v.dup) };
        }),
      ),
    })).node;
    fc.assert(
      fc.property(doc, ({ text, dup }) => (duplicateMemberName(text) !== undefined) === dup),
      { numRuns: 5000 },
    );
  });

  it("is what core's JWT decoding uses: a payload with a member twice is refused", async () => {
    const { privateKey } = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const jwt = await signJwt({ typ: 'x' }, { a: 1 }, webCryptoSigner(privateKey, 'ES256'));
    const [h, , sig] = jwt.split('.');
    const twice = `${h}.${Buffer.from('{"a":1,"a":2}').toString('base64url')}.${sig}`;
    assert.equal(
      thrownCode(() => decodeJwt(twice)),
      'ERR_JWT_MALFORMED',
    );
  });
});

async function keyPair(): Promise<{ jwk: Jwk; sign: ReturnType<typeof webCryptoSigner> }> {
  const kp = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const full = (await crypto.subtle.exportKey('jwk', kp.publicKey)) as Jwk;
  return { jwk: { kty: 'EC', crv: 'P-256', x: full.x!, y: full.y! }, sign: webCryptoSigner(kp.privateKey, 'ES256') };
}

describe('key list under an offline root', () => {
  const now = Date.UTC(2026, 11, 2, 12);
  const sec = Math.floor(now / 1000);

  const setup = async () => {
    const root = await keyPair();
    const a = await keyPair();
    const b = await keyPair();
    const rootThumbprint = await jwkThumbprint(root.jwk);
    const list = (payload: Record<string, unknown>, signer = root) =>
      signJwt(
        { typ: TYP_KEY_LIST, jwk: signer.jwk },
        { iss: ISSUER, version: 3, iat: sec - 60, exp: sec + 86_400, keys: [{ kid: `${ISSUER}#a`, jwk: a.jwk, signFrom: sec - 1000 }], ...payload },
        signer.sign,
      );
    const verify = (jwt: string, held?: KeyList) => verifyKeyList(jwt, { rootThumbprint, issuer: ISSUER, now: () => now, held });
    return { root, a, b, rootThumbprint, list, verify };
  };
  const code = async (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { code?: string }) => e.code,
    );

  it('verifies a list signed by the configured root and refuses every deviation with a stable code', async () => {
    const { a, b, root, list, verify } = await setup();
    const good = await verify(await list({}));
    assert.equal(good.version, 3);
    assert.equal(await code(verify(await list({}, b))), 'ERR_ISSUER_UNTRUSTED', 'another root');
    const forged = (await list({})).split('.');
    forged[1] = Buffer.from(JSON.stringify({ iss: ISSUER, version: 99, iat: sec, exp: sec + 60, keys: [{ kid: `${ISSUER}#b`, jwk: b.jwk, signFrom: 0 }] })).toString('base64url');
    assert.equal(await code(verify(forged.join('.'))), 'ERR_SIGNATURE_INVALID', 'payload swapped under the root signature');
    assert.equal(
      await code(verify((await list({})).replace(/^[^.]+/, Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'ES256', jwk: root.jwk })).toString('base64url')))),
      'ERR_KEY_LIST_INVALID',
      'typ',
    );
    assert.equal(await code(verify(await list({ iss: 'did:web:other.example' }))), 'ERR_KEY_LIST_INVALID', 'iss');
    assert.equal(await code(verify(await list({ exp: sec - 1 }))), 'ERR_KEY_LIST_INVALID', 'expired');
    assert.equal(await code(verify(await list({ iat: sec + 3600 }))), 'ERR_KEY_LIST_INVALID', 'iat in the future');
    assert.equal(await code(verify(await list({ version: 0 }))), 'ERR_KEY_LIST_INVALID', 'version');
    assert.equal(await code(verify(await list({ keys: [] }))), 'ERR_KEY_LIST_INVALID', 'no keys');
    const many = await Promise.all(Array.from({ length: MAX_ASSERTION_KEYS + 1 }, async (_, i) => ({ kid: `${ISSUER}#k${i}`, jwk: (await keyPair()).jwk, signFrom: 0 })));
    assert.equal(await code(verify(await list({ keys: many }))), 'ERR_KEY_LIST_INVALID', `more than ${MAX_ASSERTION_KEYS} keys`);
    assert.equal(await code(verify(await list({ keys: [{ kid: `${ISSUER}#r`, jwk: root.jwk, signFrom: 0 }] }))), 'ERR_KEY_LIST_INVALID', 'the root as an assertion key');
    assert.equal(await code(verify(await list({ keys: [{ kid: 'did:web:other.example#a', jwk: a.jwk, signFrom: 0 }] }))), 'ERR_KEY_LIST_INVALID', 'a kid of another DID');
    assert.equal(await code(verify(await list({ keys: [{ kid: `${ISSUER}#a`, jwk: { ...a.jwk, d: 'x' }, signFrom: 0 }] }))), 'ERR_KEY_LIST_INVALID', 'a private key');
    assert.equal(
      await code(
        verify(
          await list({
            keys: [
              { kid: `${ISSUER}#a`, jwk: a.jwk, signFrom: 0 },
              { kid: `${ISSUER}#a`, jwk: b.jwk, signFrom: 0 },
            ],
          }),
        ),
      ),
      'ERR_KEY_LIST_INVALID',
      'a kid twice',
    );
    assert.equal(await code(verify(await list({ keys: [{ kid: `${ISSUER}#a`, jwk: a.jwk }] }))), 'ERR_KEY_LIST_INVALID', 'no signFrom');
  });

  it('only moves forward: a lower version, or the same version with other bytes, is a rollback', async () => {
    const { list, verify } = await setup();
    const held = await verify(await list({ version: 5 }));
    assert.equal(await code(verify(await list({ version: 4 }), held)), 'ERR_ROLLBACK');
    assert.equal(await code(verify(await list({ version: 5, exp: sec + 100 }), held)), 'ERR_ROLLBACK');
    assert.equal((await verify(held.jwt, held)).version, 5, 'the same bytes again are fine');
    assert.equal((await verify(await list({ version: 6 }), held)).version, 6);
  });

  it('the rule for which key may sign: windows for signing and for verification, and no key is ever fetched', () => {
    const k: KeyListEntry = { kid: `${ISSUER}#a`, jwk: { kty: 'EC' }, signFrom: sec, signUntil: sec + 1000, verifyUntil: sec + 5000 };
    const list = { keys: [k] };
    const skew = KEY_SKEW_SECONDS;
    assert.equal(assertionKeyFor(list, k.kid, { now }).kid, k.kid);
    assert.equal(
      thrownCode(() => assertionKeyFor(list, `${ISSUER}#other`, { now })),
      'ERR_KEY_UNKNOWN',
      'unknown kid',
    );
    assert.equal(
      thrownCode(() => assertionKeyFor(list, k.kid, { now: (sec - skew - 1) * 1000 })),
      'ERR_KEY_UNKNOWN',
      'before its signing window opens',
    );
    assert.equal(
      thrownCode(() => assertionKeyFor(list, k.kid, { now: (sec + 5000) * 1000 })),
      'ERR_KEY_UNKNOWN',
      'after verifyUntil',
    );
    assert.equal(assertionKeyFor(list, k.kid, { now: (sec + 4000) * 1000 }).kid, k.kid, 'after signUntil, credentials it signed still verify');
    assert.equal(
      thrownCode(() => assertionKeyFor(list, k.kid, { now: (sec + 4000) * 1000, signedAt: sec + 2000 })),
      'ERR_KEY_UNKNOWN',
      'a document signed after signUntil',
    );
    assert.equal(
      thrownCode(() => assertionKeyFor(list, k.kid, { now, signedAt: sec - skew - 10 })),
      'ERR_KEY_UNKNOWN',
      'a document signed before signFrom',
    );
    const next: KeyListEntry = { kid: `${ISSUER}#b`, jwk: { kty: 'EC' }, signFrom: sec + 1000 };
    assert.equal(signingKeyAt([k, next], (sec + 10) * 1000).kid, k.kid);
    assert.equal(signingKeyAt([k, next], (sec + 1000) * 1000).kid, next.kid);
    assert.equal(
      thrownCode(() => signingKeyAt([next], now)),
      'ERR_STATE_INVALID',
      "nothing may sign before the successor's window",
    );
  });
});

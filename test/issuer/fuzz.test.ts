/**
 * Fuzzing the issuer's inputs with fast-check: national IDs (arbitrary strings, and every single
 * substitution and adjacent transposition of valid IDs), enrolment CSV documents (parsed and
 * enrolled), and the OpenID4VCI endpoints (token, nonce, credential) with arbitrary and structurally
 * valid-but-wrong requests. Nothing crashes, every refusal has its stable code, no error message
 * repeats personal data, every CSV row is accounted for once, and no request gets a token or a
 * credential. `MASKID_FUZZ_SEED` replays a run.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { MaskidError, signJwt, webCryptoSigner, type Jwk } from '@maskid/core';
import { EnrollmentService, Openid4vciService, createIssuerApp, nationalIdCheckChar, parseEnrollmentCsv, validateNationalId } from '@maskid/issuer';
import { PersonEntity } from '@maskid/issuer/entities';
import { addPlatform, enrollPerson, makeNationalId, testIssuer } from '../helpers.js';

const fuzzSeed = process.env['MASKID_FUZZ_SEED'] ? Number(process.env['MASKID_FUZZ_SEED']) : undefined;
const params = (numRuns: number) => ({ numRuns, ...(fuzzSeed !== undefined ? { seed: fuzzSeed } : {}) });

const birthDateArb = fc.date({ min: new Date('1901-01-01T00:00:00Z'), max: new Date('2025-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const validIdArb = fc
  .tuple(birthDateArb, fc.constantFrom('11', '31', '44', '65', '81'), fc.integer({ min: 0, max: 999 }))
  .map(([b, p, s]) => ({ birthDate: b, id: makeNationalId(b, p, s) }));

describe('fuzzing national IDs', () => {
  it('arbitrary strings: valid or ERR_NATIONAL_ID_INVALID, and a message that never repeats the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.string({ unit: 'grapheme', maxLength: 24 }),
          fc.stringMatching(/^[0-9Xx０-９ ]{16,20}$/),
          validIdArb.map((v) => v.id),
        ),
        (input) => {
          try {
            const r = validateNationalId(input);
            assert.equal(r.value.length, 18);
            assert.equal(nationalIdCheckChar(r.value), r.value[17]);
          } catch (e) {
            assert.ok(e instanceof MaskidError, `not a MaskidError: ${String(e)}`);
            assert.equal(e.code, 'ERR_NATIONAL_ID_INVALID');
            const digits = input.replace(/\D/g, '');
            if (digits.length >= 14) assert.ok(!e.message.includes(digits.slice(6, 14)), `message repeats the birth date part: ${e.message}`);
            if (input.trim().length >= 10) assert.ok(!e.message.includes(input.trim()), `message repeats the input: ${e.message}`);
          }
        },
      ),
      params(20_000),
    );
  });

  it('every single-character substitution and adjacent transposition of a valid ID is refused', () => {
    fc.assert(
      fc.property(validIdArb, fc.integer({ min: 0, max: 17 }), fc.constantFrom(...'0123456789X'), fc.boolean(), ({ id, birthDate }, pos, ch, transpose) => {
        let changed: string;
        if (transpose && pos < 17) {
          if (id[pos] === id[pos + 1]) return;
          changed = id.slice(0, pos) + id[pos + 1] + id[pos] + id.slice(pos + 2);
        } else {
          if (id[pos] === ch || (ch === 'X' && pos < 17)) return;
          changed = id.slice(0, pos) + ch + id.slice(pos + 1);
        }
        assert.throws(
          () => validateNationalId(changed, { expectedBirthDate: birthDate }),
          (e: unknown) => e instanceof MaskidError && e.code === 'ERR_NATIONAL_ID_INVALID',
          `${changed} accepted`,
        );
      }),
      params(20_000),
    );
  });
});

describe('fuzzing enrolment CSV documents', () => {
  let t: Awaited<ReturnType<typeof testIssuer>>;
  before(async () => (t = await testIssuer()));
  after(() => t.cleanup());

  const cell = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.constantFrom('"', '""', '"a,b"', '\r\n', '\u0000', '\uFEFF', '  ', 'x', '11', 'F', 'M', 'unknown', '1990-02-30', '2099-01-01'),
  );
  const goodRow = validIdArb
    .chain(({ id, birthDate }) =>
      fc.record({
        id: fc.constant(id),
        birthDate: fc.constant(birthDate),
        family: fc.constantFrom('Li', '欧阳', 'Müller'),
        given: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 5 }),
        gender: fc.constantFrom('F', 'M', 'X', 'f', 'female'),
        region: fc.constantFrom('11', '44', '99'),
      }),
    )
    .map((r) => [r.id, r.family, r.given, r.birthDate, r.gender, r.region]);
  const header = fc.constantFrom(
    'national_id,family_name,given_name,birth_date,gender,region',
    'NATIONAL_ID, Family_Name ,given_name,birth_date,gender,region',
    '\uFEFFnational_id,family_name,given_name,birth_date,gender,region',
    'national_id,name,birth_date,gender,region',
    'national_id,family_name,birth_date',
    '',
  );
  const quote = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const doc = fc
    .tuple(header, fc.array(fc.oneof(goodRow, fc.array(cell, { minLength: 0, maxLength: 8 })), { maxLength: 12 }), fc.boolean(), fc.constantFrom('\n', '\r\n'))
    .map(([h, rows, raw, nl]) => ({
      text: [h, ...rows.map((r) => r.map((c) => (raw ? c : quote(c))).join(','))].join(nl) + nl,
      cells: rows.flat().filter((c) => c.trim().length >= 4),
    }));

  it('parses or refuses with ERR_INPUT_INVALID naming no field; enrols each row once or lists it with a stable code', async () => {
    const people = t.issuer.ds.getRepository(PersonEntity);
    const service = new EnrollmentService(t.issuer);
    const codes = new Set(['ERR_INPUT_INVALID', 'ERR_NATIONAL_ID_INVALID', 'ERR_PERSON_DUPLICATE']);
    let enrolledTotal = 0;
    await fc.assert(
      fc.asyncProperty(doc, async ({ text, cells }) => {
        let rows: ReturnType<typeof parseEnrollmentCsv>;
        try {
          rows = parseEnrollmentCsv(text);
        } catch (e) {
          assert.ok(e instanceof MaskidError && e.code === 'ERR_INPUT_INVALID', `parse: ${String(e)}`);
          for (const c of cells) assert.ok(!e.message.includes(c.trim()), `the CSV error repeats a field: ${e.message}`);
          return;
        }
        const before = await people.count();
        const { enrolled, errors } = await service.enrollMany(rows, { batchSize: 4 });
        assert.equal(enrolled.length + errors.length, rows.length, 'every row is either enrolled or listed');
        assert.equal(new Set(errors.map((e) => e.row)).size, errors.length, 'no row listed twice');
        for (const e of errors) {
          assert.ok(codes.has(e.code), `row ${e.row}: ${e.code} ${e.message}`);
          const row = rows[e.row - 1]!;
          for (const v of [row.nationalId, row.familyName, row.givenName, row.birthDate])
            if (v && v.trim().length >= 4) assert.ok(!e.message.includes(v.trim()), `row error repeats a field: ${e.message}`);
        }
        assert.equal(await people.count(), before + enrolled.length, 'exactly the enrolled rows were written');
        enrolledTotal += enrolled.length;
      }),
      params(300),
    );
    assert.ok(enrolledTotal > 0, 'the generator does produce enrollable rows');
  });
});

describe('fuzzing the OpenID4VCI endpoints', () => {
  let t: Awaited<ReturnType<typeof testIssuer>>;
  let server: Server;
  let base: string;
  let code: string;
  before(async () => {
    t = await testIssuer();
    await addPlatform(t.issuer, 'fz');
    const offer = await new Openid4vciService(t.issuer).createOffer(await enrollPerson(t.issuer));
    code = (offer.offer['grants'] as Record<string, { 'pre-authorized_code': string }>)['urn:ietf:params:oauth:grant-type:pre-authorized_code']!['pre-authorized_code'];
    server = createServer(createIssuerApp(t.issuer, { tokenRequestsPerMinute: 1_000_000 }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    await t.cleanup();
  });

  it('3,000 arbitrary and near-valid requests: no 5xx, OAuth errors as JSON, no token or credential handed out', async () => {
    const kp = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const jwk = (await crypto.subtle.exportKey('jwk', kp.publicKey)) as Jwk;
    const signer = webCryptoSigner(kp.privateKey, 'ES256');
    const dpop = (claims: Record<string, unknown>, header: Record<string, unknown>) => signJwt({ typ: 'dpop+jwt', jwk, ...header }, claims, signer);
    const dpopArb = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc
        .record(
          {
            htm: fc.constantFrom('POST', 'GET', 'post'),
            htu: fc.constantFrom('http://localhost:8443/token', 'http://localhost:8443/credential', `${base}/token`, 'x'),
            iat: fc.oneof(fc.constant(Math.floor(Date.now() / 1000)), fc.integer(), fc.double()),
            jti: fc.oneof(fc.uuid(), fc.string({ maxLength: 6 })),
          },
          { requiredKeys: [] },
        )
        .chain((claims) =>
          fc
            .record({ typ: fc.constantFrom('dpop+jwt', 'jwt', undefined), alg: fc.constantFrom('ES256', 'none', 'HS256') }, { requiredKeys: [] })
            .map((h) => ({ claims, header: Object.fromEntries(Object.entries(h).filter(([, v]) => v !== undefined)) })),
        ),
    );
    const tokenBody = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc
        .dictionary(
          fc.constantFrom('grant_type', 'pre-authorized_code', 'tx_code', 'refresh_token', 'x'),
          fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('urn:ietf:params:oauth:grant-type:pre-authorized_code', 'refresh_token', code, '000000')),
        )
        .map((d) => new URLSearchParams(d).toString()),
    );
    const credentialBody = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc
        .record(
          { credential_identifier: fc.oneof(fc.constant('fz'), fc.string({ maxLength: 10 })), proofs: fc.oneof(fc.constant({ jwt: ['a.b.c'] }), fc.jsonValue({ maxDepth: 2 })) },
          { requiredKeys: [] },
        )
        .map((v) => JSON.stringify(v)),
    );
    const requestArb = fc.record({
      path: fc.constantFrom('/token', '/credential', '/nonce', '/token?x=1', '/credential/'),
      method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'PUT'),
      type: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain', undefined),
      auth: fc.option(
        fc.oneof(
          fc.string({ maxLength: 40 }).map((s) => `DPoP ${s}`),
          fc.constant('Bearer x'),
        ),
        { nil: undefined },
      ),
      dpop: fc.option(dpopArb, { nil: undefined }),
      token: tokenBody,
      credential: credentialBody,
    });
    let n = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        n++;
        const headers: Record<string, string> = {};
        if (r.type) headers['content-type'] = r.type;
        if (r.auth) headers['authorization'] = r.auth;
        if (r.dpop !== undefined) headers['dpop'] = typeof r.dpop === 'string' ? r.dpop : await dpop(r.dpop.claims, r.dpop.header);
        const body = r.method === 'GET' ? undefined : r.path.startsWith('/token') ? r.token : r.credential;
        const res = await fetch(`${base}${r.path}`, { method: r.method, headers, ...(body !== undefined ? { body } : {}) });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(res.status < 500, `${r.method} ${r.path} → ${res.status}: ${text.slice(0, 200)}`);
        if (r.path.startsWith('/token') || r.path.startsWith('/credential')) {
          assert.notEqual(res.status, 200, `${r.method} ${r.path} succeeded: ${text.slice(0, 200)}`);
          assert.ok(!/access_token|"credentials"/.test(text), 'no token or credential in a refusal');
        }
        if (res.status >= 400 && res.status !== 404 && res.headers.get('content-type')?.includes('json')) {
          const j = JSON.parse(text) as { error?: unknown; code?: unknown };
          assert.ok(typeof j.error === 'string' || typeof j.code === 'string', `an error without a code: ${text.slice(0, 200)}`);
        }
      }),
      params(3_000),
    );
    assert.ok(n >= 3_000);
    // The wrong PINs above may have burned the offer; the point is that nothing was handed out.
    assert.ok((statuses.get(400) ?? 0) > 100, `mostly refused as bad requests: ${JSON.stringify([...statuses])}`);
  });
});

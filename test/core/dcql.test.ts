import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { thrownCode } from '../helpers.js';
import { VERIFIABLE_CREDENTIAL_IRI, buildDcApiRequest, buildDcqlQuery, isInternetIdRequest, parseDcApiRequest, parseDcqlQuery, typeValuesMatch, vocabularyFor } from '@maskid/core';

const code = thrownCode;

describe('DCQL and DC API requests', () => {
  it('builds the profile query (expanded type IRIs per issuer, then the compact terms) and parses it back', () => {
    const issuer = 'did:web:id.example.gov';
    const q = buildDcqlQuery(['ageOver18', 'region'], [issuer]);
    assert.deepEqual(q, {
      credentials: [
        {
          id: 'internet_id',
          format: 'vc+sd-jwt',
          meta: {
            type_values: [
              [VERIFIABLE_CREDENTIAL_IRI, 'https://id.example.gov/vocab/v2#InternetIdCredential'],
              ['VerifiableCredential', 'InternetIdCredential'],
            ],
          },
          claims: [{ path: ['credentialSubject', 'ageOver18'] }, { path: ['credentialSubject', 'region'] }],
        },
      ],
    });
    assert.deepEqual(parseDcqlQuery(JSON.parse(JSON.stringify(q))), ['ageOver18', 'region']);
    const req = buildDcApiRequest('n'.repeat(22), ['ageOver18'], [issuer]);
    assert.equal(req.protocol, 'openid4vp-v1-unsigned');
    assert.deepEqual(req.data.client_metadata.vp_formats_supported, { 'vc+sd-jwt': { 'sd-jwt_alg_values': ['ES256', 'EdDSA'], 'kb-jwt_alg_values': ['ES256', 'EdDSA'] } });
    const parsed = parseDcApiRequest(req);
    assert.deepEqual([parsed.nonce, parsed.claims], ['n'.repeat(22), ['ageOver18']]);
    assert.equal(typeValuesMatch(parsed.typeValues, issuer), true);
    assert.equal(typeValuesMatch([[VERIFIABLE_CREDENTIAL_IRI, `${vocabularyFor('did:web:other.example')}InternetIdCredential`]], issuer), false, "another issuer's type");
    assert.equal(typeValuesMatch([['VerifiableCredential', 'InternetIdCredential']], issuer), true, 'the compact terms');
    assert.equal(isInternetIdRequest(buildDcApiRequest('n'.repeat(22), ['ageOver18'], [issuer])), true);
  });

  it('refuses anything outside the profile', () => {
    const base = () => JSON.parse(JSON.stringify(buildDcqlQuery(['ageOver18'])));
    const mutations: [string, (q: any) => void][] = [
      [
        'other format',
        (q) => {
          q.credentials[0].format = 'dc+sd-jwt';
        },
      ],
      [
        'two credentials',
        (q) => {
          q.credentials.push(q.credentials[0]);
        },
      ],
      [
        'values matching',
        (q) => {
          q.credentials[0].claims[0].values = [true];
        },
      ],
      [
        'unknown claim',
        (q) => {
          q.credentials[0].claims[0].path[1] = 'nationalId';
        },
      ],
      [
        'nested path',
        (q) => {
          q.credentials[0].claims[0].path.push('x');
        },
      ],
      [
        'claim_sets',
        (q) => {
          q.credentials[0].claim_sets = [['a']];
        },
      ],
      [
        'credential_sets',
        (q) => {
          q.credential_sets = [];
        },
      ],
      [
        'other type',
        (q) => {
          q.credentials[0].meta.type_values = [['VerifiableCredential']];
        },
      ],
      [
        'an expanded type outside the maskid vocabulary',
        (q) => {
          q.credentials[0].meta.type_values = [[VERIFIABLE_CREDENTIAL_IRI, 'https://evil.example/vocab#InternetIdCredential']];
        },
      ],
      [
        'other meta members',
        (q) => {
          q.credentials[0].meta.vct_values = ['x'];
        },
      ],
      [
        'no claims',
        (q) => {
          q.credentials[0].claims = [];
        },
      ],
      [
        'duplicate claim',
        (q) => {
          q.credentials[0].claims.push(q.credentials[0].claims[0]);
        },
      ],
    ];
    for (const [what, mutate] of mutations) {
      const q = base();
      mutate(q);
      assert.equal(
        code(() => parseDcqlQuery(q)),
        'ERR_DCQL_INVALID',
        what,
      );
    }
    assert.equal(
      code(() => parseDcApiRequest({ protocol: 'openid4vp', data: {} })),
      'ERR_DCQL_INVALID',
    );
    assert.equal(
      code(() => parseDcApiRequest({ ...buildDcApiRequest('short', ['ageOver18']) })),
      'ERR_DCQL_INVALID',
    );
    assert.equal(
      code(() => buildDcqlQuery(['nationalId' as never])),
      'ERR_DCQL_INVALID',
    );
  });

  it('routes only Internet ID requests to the wallet (isInternetIdRequest)', () => {
    const ours = buildDcApiRequest('a-nonce-of-enough-length', ['ageOver18']);
    assert.equal(isInternetIdRequest(ours), true);
    const other = (patch: (r: ReturnType<typeof buildDcApiRequest>) => void) => {
      const r = structuredClone(ours);
      patch(r);
      return isInternetIdRequest(r);
    };
    assert.equal(
      other((r) => {
        (r as { protocol: string }).protocol = 'openid4vp-v1-signed';
      }),
      false,
      'another protocol',
    );
    assert.equal(
      other((r) => {
        (r.data.dcql_query.credentials[0] as { format: string }).format = 'dc+sd-jwt';
      }),
      false,
      'another format',
    );
    assert.equal(
      other((r) => {
        (r.data.dcql_query.credentials[0]!.meta as unknown as { type_values: string[][] }).type_values = [['VerifiableCredential', 'OtherCredential']];
      }),
      false,
      'another type',
    );
    assert.equal(
      other((r) => {
        (r.data as { dcql_query: unknown }).dcql_query = { credentials: 'x' };
      }),
      false,
      'malformed query',
    );
    for (const junk of [null, undefined, 1, 'openid4vp-v1-unsigned', [], { protocol: 'openid4vp-v1-unsigned' }, { protocol: 'openid4vp-v1-unsigned', data: null }]) {
      assert.equal(isInternetIdRequest(junk), false, JSON.stringify(junk));
    }
  });
});

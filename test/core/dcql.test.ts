import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { thrownCode } from '../helpers.js';
import { buildDcApiRequest, buildDcqlQuery, parseDcApiRequest, parseDcqlQuery } from '@maskid/core';

const code = thrownCode;

describe('DCQL and DC API requests', () => {
  it('builds the profile query and parses it back', () => {
    const q = buildDcqlQuery(['ageOver18', 'region']);
    assert.deepEqual(q, {
      credentials: [{
        id: 'internet_id', format: 'vc+sd-jwt',
        meta: { type_values: [['VerifiableCredential', 'InternetIdCredential']] },
        claims: [{ path: ['credentialSubject', 'ageOver18'] }, { path: ['credentialSubject', 'region'] }],
      }],
    });
    assert.deepEqual(parseDcqlQuery(JSON.parse(JSON.stringify(q))), ['ageOver18', 'region']);
    const req = buildDcApiRequest('n'.repeat(22), ['ageOver18']);
    assert.equal(req.protocol, 'openid4vp-v1-unsigned');
    assert.deepEqual(parseDcApiRequest(req), { nonce: 'n'.repeat(22), claims: ['ageOver18'] });
  });

  it('refuses anything outside the profile', () => {
    const base = () => JSON.parse(JSON.stringify(buildDcqlQuery(['ageOver18'])));
    const mutations: [string, (q: any) => void][] = [
      ['other format', (q) => { q.credentials[0].format = 'dc+sd-jwt'; }],
      ['two credentials', (q) => { q.credentials.push(q.credentials[0]); }],
      ['values matching', (q) => { q.credentials[0].claims[0].values = [true]; }],
      ['unknown claim', (q) => { q.credentials[0].claims[0].path[1] = 'nationalId'; }],
      ['nested path', (q) => { q.credentials[0].claims[0].path.push('x'); }],
      ['claim_sets', (q) => { q.credentials[0].claim_sets = [['a']]; }],
      ['credential_sets', (q) => { q.credential_sets = []; }],
      ['other type', (q) => { q.credentials[0].meta.type_values = [['VerifiableCredential']]; }],
      ['no claims', (q) => { q.credentials[0].claims = []; }],
      ['duplicate claim', (q) => { q.credentials[0].claims.push(q.credentials[0].claims[0]); }],
    ];
    for (const [what, mutate] of mutations) {
      const q = base();
      mutate(q);
      assert.equal(code(() => parseDcqlQuery(q)), 'ERR_DCQL_INVALID', what);
    }
    assert.equal(code(() => parseDcApiRequest({ protocol: 'openid4vp', data: {} })), 'ERR_DCQL_INVALID');
    assert.equal(code(() => parseDcApiRequest({ ...buildDcApiRequest('short', ['ageOver18']) })), 'ERR_DCQL_INVALID');
    assert.equal(code(() => buildDcqlQuery(['nationalId' as never])), 'ERR_DCQL_INVALID');
  });
});

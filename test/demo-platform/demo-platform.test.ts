/** The demo platform's backend: it forwards to its verifier with its own origin and fails clearly. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createDemoPlatform } from '@maskid/demo-platform';

const ORIGIN = 'https://forum.example';

function platform(answer: (url: string, body: unknown) => Response | Promise<Response>) {
  const calls: { url: string; body: unknown }[] = [];
  const app = createDemoPlatform({
    name: 'Forum',
    origin: ORIGIN,
    verifierUrl: 'http://verifier.invalid/',
    claims: ['ageOver18'],
    fetch: (async (url: string, init?: RequestInit) => {
      const body = JSON.parse(String(init?.body ?? 'null')) as unknown;
      calls.push({ url, body });
      return answer(url, body);
    }) as typeof fetch,
  });
  return { app, calls };
}

describe('demo platform backend', () => {
  it('serves the sign-in page with its name and claims, HTML-escaped', async () => {
    const app = createDemoPlatform({ name: '<Forum & Co>', origin: ORIGIN, verifierUrl: 'http://v', claims: ['ageOver18'] });
    const r = await request(app).get('/').expect(200);
    assert.match(r.text, /&#60;Forum &#38; Co&#62;/);
    assert.doesNotMatch(r.text, /<Forum/);
    assert.match(r.text, /id="signin"/);
    assert.match(r.text, /navigator\.credentials\.get\(\{ digital: \{ requests: \[start\.request\] \} \}\)/);
  });

  it("speaks the browser's language (Simplified Chinese or English), or the one asked for with ?lang=", async () => {
    const app = createDemoPlatform({ name: 'Forum', origin: ORIGIN, verifierUrl: 'http://v', claims: ['ageOver18', 'region'] });
    const zh = await request(app).get('/').set('Accept-Language', 'zh-CN,zh;q=0.9,en;q=0.5').expect(200);
    assert.match(zh.text, /<html lang="zh-CN">/);
    assert.match(zh.text, />使用网络身份证登录</);
    assert.match(zh.text, /它请求：年满18周岁、地区。/);
    assert.equal(zh.headers['vary'], 'Accept-Language');
    const en = await request(app).get('/').set('Accept-Language', 'en-US,en;q=0.9').expect(200);
    assert.match(en.text, /<html lang="en">/);
    assert.match(en.text, />Sign in with Internet ID</);
    assert.match(en.text, /It asks for: over 18, region\./);
    assert.match((await request(app).get('/?lang=en').set('Accept-Language', 'zh-CN')).text, /<html lang="en">/);
    assert.match((await request(app).get('/?lang=zh-CN').set('Accept-Language', 'en')).text, /<html lang="zh-CN">/);
    // No protocol codes in the words a person reads (they are in data-code only).
    assert.doesNotMatch(zh.text.replace(/<script>[\s\S]*<\/script>/, ''), /ERR_/);
  });

  it('asks its verifier for a request with its claims', async () => {
    const { app, calls } = platform(() => Response.json({ requestId: 'r1', expiresAt: 'x', request: { protocol: 'openid4vp-v1-unsigned', data: {} } }, { status: 201 }));
    const r = await request(app).post('/login/start').expect(200);
    assert.equal(r.body.requestId, 'r1');
    assert.deepEqual(calls, [{ url: 'http://verifier.invalid/v1/requests', body: { claims: ['ageOver18'] } }]);
  });

  it('sends the presentation with its own registered origin, whatever the browser claims', async () => {
    const { app, calls } = platform(() => Response.json({ maskedId: 'm1abc', claims: { ageOver18: true }, issuer: 'did:web:x', platform: 'forum' }));
    const r = await request(app)
      .post('/login/finish')
      .set('Origin', 'https://evil.example')
      .send({ requestId: 'r1', protocol: 'openid4vp-v1-unsigned', data: { vp_token: { internet_id: ['a~b~c'] } } })
      .expect(200);
    assert.deepEqual(r.body, { maskedId: 'm1abc', claims: { ageOver18: true } });
    assert.deepEqual(calls[0]!.body, { requestId: 'r1', origin: ORIGIN, vp_token: { internet_id: ['a~b~c'] } });
  });

  it("passes the verifier's refusal code on as 401", async () => {
    const { app } = platform(() => Response.json({ code: 'ERR_STATUS_REVOKED', detail: 'credential is revoked' }, { status: 400 }));
    const r = await request(app)
      .post('/login/finish')
      .send({ requestId: 'r1', data: { vp_token: 'x' } })
      .expect(401);
    assert.equal(r.body.code, 'ERR_STATUS_REVOKED');
  });

  it('refuses a malformed finish and reports an unreachable verifier as 502, never crashing', async () => {
    const { app, calls } = platform(() => {
      throw new TypeError('fetch failed');
    });
    assert.equal((await request(app).post('/login/finish').send({ data: {} }).expect(400)).body.code, 'ERR_INPUT_INVALID');
    assert.equal((await request(app).post('/login/finish').send({ requestId: 'r', data: null }).expect(400)).body.code, 'ERR_INPUT_INVALID');
    assert.equal(calls.length, 0);
    assert.equal((await request(app).post('/login/start').expect(502)).body.code, 'ERR_VERIFIER_UNREACHABLE');
    assert.equal((await request(app).post('/login/finish').send({ requestId: 'r', data: {} }).expect(502)).body.code, 'ERR_VERIFIER_UNREACHABLE');
  });
});

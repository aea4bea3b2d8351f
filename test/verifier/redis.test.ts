/**
 * Replicas share nonces through Redis: a request used on replica A is refused on replica B. Runs when
 * MASKID_REDIS_URL is set (CI sets it); otherwise skipped with a message.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { RedisNonceStore } from '@maskid/verifier';
import { verifierFixture, type VerifierFixture } from './fixture.js';

const REDIS = process.env['MASKID_REDIS_URL'];
const skip = REDIS ? false : 'Redis suite skipped: set MASKID_REDIS_URL=redis://127.0.0.1:6379 to run it';
if (skip) console.error(`# ${skip}`);

describe('verifier replicas with Redis nonces', { skip }, () => {
  let f: VerifierFixture;
  before(async () => {
    f = await verifierFixture();
  });
  after(() => f.close());

  it('a request created on A and used on B is refused on A and on B afterwards', async () => {
    const prefix = `maskid:test:${crypto.randomUUID()}:`;
    const a = await f.service({}, { nonces: await RedisNonceStore.connect(REDIS!, prefix) });
    const b = await f.service({}, { nonces: await RedisNonceStore.connect(REDIS!, prefix) });
    const c = await f.issue();
    const { requestId, request } = await a.engine.createRequest(['ageOver18']);
    const vp = await f.present(c, request.data.nonce);
    const onB = await b.verify(vp, { requestId, origin: f.origin });
    assert.equal(onB.verified, true, JSON.stringify(!onB.verified && onB.error));
    for (const replica of [a, b]) {
      const again = await replica.verify(vp, { requestId, origin: f.origin });
      assert.equal(!again.verified && again.error.code, 'ERR_NONCE_REPLAYED');
    }
    // Concurrent submissions to both replicas: exactly one wins.
    const r2 = await b.engine.createRequest(['ageOver18']);
    const vp2 = await f.present(c, r2.request.data.nonce);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).verify(vp2, { requestId: r2.requestId, origin: f.origin })));
    assert.equal(results.filter((r) => r.verified).length, 1);
  });
});

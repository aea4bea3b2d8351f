/** MemoryNonceStore: single use, expiry, abandoned requests do not pile up, a full store refuses. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MaskidError } from '@maskid/core';
import { MemoryNonceStore } from '@maskid/verifier';

const record = (ttlMs: number) => ({ nonce: 'n', claims: ['ageOver18' as const], expiresAt: Date.now() + ttlMs });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MemoryNonceStore', () => {
  it('gives a record once, and none after it expired', async () => {
    const store = new MemoryNonceStore();
    await store.put('a', record(60_000), 60_000);
    await store.put('b', record(-1), 60_000);
    assert.equal((await store.take('a'))?.nonce, 'n');
    assert.equal(await store.take('a'), undefined, 'single use');
    assert.equal(await store.take('b'), undefined, 'expired');
  });

  it('drops requests that were never answered once they expired, as new ones arrive', async () => {
    const store = new MemoryNonceStore();
    for (let i = 0; i < 1000; i++) await store.put(`abandoned-${i}`, record(200), 200);
    await sleep(450);
    for (let i = 0; i < 300; i++) await store.put(`live-${i}`, record(200), 200);
    assert.equal(store.size, 300, 'only the live requests are held');
    assert.equal((await store.take('live-299'))?.nonce, 'n');
  });

  it('keeps a request for its whole ttl across a change of generation', async () => {
    const store = new MemoryNonceStore();
    await store.put('first', record(300), 300);
    await sleep(200);
    await store.put('later', record(300), 300);
    await sleep(150);
    await store.put('next', record(300), 300); // a new generation begins: 'later' has 150 ms to go
    assert.equal((await store.take('later'))?.nonce, 'n');
    assert.equal(await store.take('first'), undefined, 'expired');
  });

  it('stays bounded while answered and abandoned requests come and go', async () => {
    const store = new MemoryNonceStore();
    for (let i = 0; i < 200_000; i++) {
      await store.put(`r${i}`, record(50), 50);
      if (i % 3 !== 0) await store.take(`r${i}`);
    }
    assert.ok(store.size < 200_000 / 3, `held ${store.size}`);
  });

  it('refuses a new request with ERR_OVERLOADED when full of live ones', async () => {
    const store = new MemoryNonceStore({ maxEntries: 10 });
    for (let i = 0; i < 10; i++) await store.put(`r${i}`, record(60_000), 60_000);
    await assert.rejects(store.put('one-more', record(60_000), 60_000), (e: unknown) => e instanceof MaskidError && e.code === 'ERR_OVERLOADED');
    assert.equal(store.size, 10);
  });
});

/** MemoryNonceStore: single use, expiry, abandoned requests do not pile up, a full store refuses. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MaskidError } from '@maskid/core';
import { MemoryNonceStore } from '@maskid/verifier';

const record = (expiresAt: number) => ({ nonce: 'n', claims: ['ageOver18' as const], expiresAt });

describe('MemoryNonceStore', () => {
  it('gives a record once, and none after it expired', async () => {
    const store = new MemoryNonceStore();
    await store.put('a', record(Date.now() + 60_000));
    await store.put('b', record(Date.now() - 1));
    assert.equal((await store.take('a'))?.nonce, 'n');
    assert.equal(await store.take('a'), undefined, 'single use');
    assert.equal(await store.take('b'), undefined, 'expired');
  });

  it('drops requests that were never answered once they expire, as new ones arrive', async () => {
    const store = new MemoryNonceStore();
    for (let i = 0; i < 1000; i++) await store.put(`abandoned-${i}`, record(Date.now() + 30));
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 300; i++) await store.put(`live-${i}`, record(Date.now() + 60_000));
    assert.equal(store.size, 300, 'only the live requests are held');
    assert.equal((await store.take('live-0'))?.nonce, 'n');
  });

  it('refuses a new request with ERR_OVERLOADED when full of live ones', async () => {
    const store = new MemoryNonceStore({ maxEntries: 10 });
    for (let i = 0; i < 10; i++) await store.put(`r${i}`, record(Date.now() + 60_000));
    await assert.rejects(store.put('one-more', record(Date.now() + 60_000)), (e: unknown) => e instanceof MaskidError && e.code === 'ERR_OVERLOADED');
    assert.equal(store.size, 10);
  });
});

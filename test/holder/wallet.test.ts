/** The wallet behaviour suite in Node (memory storage, file storage) against a running issuer. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MemoryStorage, SealedJwkKeyStore, Wallet, WebCryptoKeyStore, nextRefreshDelay, scheduleRefresh } from '@maskid/holder';
import { FileStorage } from '@maskid/holder/file-storage';
import { scenarios, type SuiteEnv } from './wallet-suite.js';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, tempDir } from '../helpers.js';
import { PlatformService } from '@maskid/issuer';

const PLATFORMS = [
  { id: 'forum', claims: ['ageOver18'] },
  { id: 'video', claims: ['ageOver18', 'region'] },
  { id: 'shop', claims: ['ageOver18', 'region'] },
];

describe('wallet behaviour suite (Node)', () => {
  let server: RunningIssuer;
  let env: SuiteEnv;
  before(async () => {
    server = await startIssuer({ platforms: PLATFORMS });
    const registry = (await server.issuer.ds.query('SELECT id, origins FROM maskid_platform')) as { id: string; origins: string }[];
    env = {
      issuerUrl: server.url,
      origins: Object.fromEntries(registry.map((p) => [p.id, (JSON.parse(p.origins) as string[])[0]!])),
      newWallet: async () => {
        const storage = new MemoryStorage();
        return new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [server.anchor] });
      },
      offer: async () => server.offer(await enrollPerson(server.issuer)),
      addPlatform: async (id) => {
        await new PlatformService(server.issuer).add({ id, name: `Platform ${id}`, origins: [`https://${id}.example`], claims: ['ageOver18'] });
      },
      requestLog: async () => [...server.requests],
      resetLog: async () => {
        server.requests.length = 0;
      },
    };
  });
  after(() => server.close());

  for (const [name, scenario] of Object.entries(scenarios)) it(name, () => scenario(env));

  it('keeps keys encrypted in a file wallet and reopens it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = join(dir, 'wallet.json');
      const open = (passphrase: string) => {
        const storage = new FileStorage(file);
        return new Wallet({ storage, keys: new SealedJwkKeyStore(storage, passphrase, 1000), trustedIssuers: [server.anchor] });
      };
      const w = open('correct horse battery');
      const o = await env.offer();
      await w.acceptOffer(o.uri, { pin: o.txCode });
      const raw = (await import('node:fs')).readFileSync(file, 'utf8');
      assert.ok(!/"d":"/.test(raw), 'no private key member in clear');
      const reopened = open('correct horse battery');
      assert.equal((await reopened.credentials()).length, (await reopened.platforms()).length);
      assert.ok((await reopened.credentials()).length >= PLATFORMS.length);
      const { buildDcApiRequest } = await import('@maskid/core');
      const origin = env.origins['forum']!;
      await reopened.present(buildDcApiRequest('nonce-abcdefghijklmnop', ['ageOver18']), { origin });
      await assert.rejects(
        open('wrong passphrase!!').present(buildDcApiRequest('nonce-abcdefghijklmnop', ['ageOver18']), { origin }),
        (e: { code?: string }) => e.code === 'ERR_KEK_INVALID',
      );
    } finally {
      cleanup();
    }
  });

  it('schedules refreshes with jitter, independent of presentations', async () => {
    const timers: number[] = [];
    let calls = 0;
    const stop = scheduleRefresh(
      {
        refresh: async () => {
          calls++;
          return [];
        },
      },
      {
        everyMs: 1000,
        jitterMs: 500,
        random: () => 0.5,
        setTimer: (fn, ms) => {
          timers.push(ms);
          if (timers.length < 3) queueMicrotask(fn);
          return timers.length;
        },
        clearTimer: () => {},
      },
    );
    await new Promise((r) => setTimeout(r, 20));
    stop();
    assert.deepEqual(timers, [1250, 1250, 1250]);
    assert.equal(calls, 2);
  });

  it('computes the next refresh: period plus jitter after success, a tenth of the period after failure', () => {
    assert.equal(nextRefreshDelay(true, { everyMs: 1000, jitterMs: 500, random: () => 0 }), 1000);
    assert.equal(nextRefreshDelay(true, { everyMs: 1000, jitterMs: 500, random: () => 0.999 }), 1499.5);
    assert.equal(nextRefreshDelay(false, { everyMs: 1000, jitterMs: 500, random: () => 0.999 }), 100);
    const defaults = Array.from({ length: 200 }, () => nextRefreshDelay(true));
    assert.ok(
      defaults.every((d) => d >= 12 * 3600_000 && d < 18 * 3600_000),
      'default: 12 h + [0, 6 h)',
    );
    assert.ok(new Set(defaults).size > 190, 'jittered');
  });
});

/** The same wallet behaviour suite, inside headless Chromium (IndexedDB, non-extractable WebCrypto keys). */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { build } from 'esbuild';
import { scenarios } from './wallet-suite.js';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, REPO_ROOT } from '../helpers.js';
import { PlatformService } from '@maskid/issuer';
import { browserSkipReason, launchChromium, servePage } from '../browser.js';

const skip = browserSkipReason();
const PLATFORMS = [
  { id: 'forum', claims: ['ageOver18'] },
  { id: 'video', claims: ['ageOver18', 'region'] },
  { id: 'shop', claims: ['ageOver18', 'region'] },
];

describe('wallet behaviour suite (headless Chromium)', { skip }, () => {
  let server: RunningIssuer;
  let page: import('playwright-core').Page;
  let browser: import('playwright-core').Browser;
  let site: { url: string; close: () => Promise<void> };

  before(async () => {
    server = await startIssuer({ platforms: PLATFORMS });
    const bundle = await build({
      entryPoints: [join(REPO_ROOT, 'test', 'holder', 'browser-entry.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      write: false,
      logLevel: 'silent',
    });
    site = await servePage('<!doctype html><title>maskid wallet suite</title><body>wallet suite</body>', {
      '/suite.js': { type: 'text/javascript', body: bundle.outputFiles[0]!.text },
    });
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.exposeFunction('maskidOffer', async () => server.offer(await enrollPerson(server.issuer)));
    await page.exposeFunction('maskidRequestLog', async () => [...server.requests]);
    await page.exposeFunction('maskidAddPlatform', async (id: string) => {
      await new PlatformService(server.issuer).add({ id, name: `Platform ${id}`, origins: [`https://${id}.example`], claims: ['ageOver18'] });
    });
    await page.exposeFunction('maskidResetLog', async () => {
      server.requests.length = 0;
    });
    await page.goto(site.url);
    await page.addScriptTag({ url: '/suite.js' });
    const registry = (await server.issuer.ds.query('SELECT id, origins FROM maskid_platform')) as { id: string; origins: string }[];
    const config = {
      issuerUrl: server.url,
      rootThumbprint: server.anchor.rootThumbprint,
      origins: Object.fromEntries(registry.map((p) => [p.id, (JSON.parse(p.origins) as string[])[0]!])),
    };
    await page.evaluate((c) => {
      window.maskidConfig = c;
    }, config);
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await server?.close();
  });

  for (const name of Object.keys(scenarios)) {
    it(name, async () => {
      assert.equal(await page.evaluate((n) => window.runScenario(n), name), 'ok');
    });
  }

  it('keeps every private key non-extractable in IndexedDB', async () => {
    const n = await page.evaluate(() => window.checkKeysNonExtractable());
    assert.ok(n >= 3, `${n} keys checked`);
  });
});

/**
 * The wallet behaviour suite (test/holder/wallet-suite.ts) inside the built extension's service
 * worker, next to the real background script: the third target after Node and a Chromium page.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { BrowserContext, Worker } from 'playwright-core';
import { PlatformService } from '@maskid/issuer';
import { buildExtension } from '@maskid/extension/build';
import { scenarios } from '../holder/wallet-suite.js';
import type { WorkerControl } from './suite-worker-entry.js';
import { startIssuer, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, REPO_ROOT } from '../helpers.js';
import { browserSkipReason, CHROMIUM, CHROMIUM_ARGS } from '../browser.js';

const skip = browserSkipReason();
const PLATFORMS = [
  { id: 'forum', claims: ['ageOver18'] },
  { id: 'video', claims: ['ageOver18', 'region'] },
  { id: 'shop', claims: ['ageOver18', 'region'] },
];

/** The host's side of the suite's callbacks, over loopback HTTP with CORS for the worker's fetch. */
function controlServer(server: RunningIssuer): Promise<{ url: string; close: () => Promise<void> }> {
  const http: Server = createServer((req, res) => {
    const send = (status: number, body: unknown) =>
      res
        .writeHead(status, {
          'Content-Type': 'application/json',
          'Access-Control-Allow-Origin': '*',
          'Access-Control-Allow-Methods': 'GET, POST, DELETE',
        })
        .end(JSON.stringify(body));
    void (async () => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      if (req.method === 'OPTIONS') return send(204, null);
      if (req.method === 'POST' && path === '/offer') return send(200, await server.offer(await enrollPerson(server.issuer)));
      if (req.method === 'GET' && path === '/request-log') return send(200, [...server.requests]);
      if (req.method === 'DELETE' && path === '/request-log') {
        server.requests.length = 0;
        return send(200, {});
      }
      const platform = /^\/platforms\/([a-z0-9-]+)$/.exec(path);
      if (req.method === 'POST' && platform) {
        const id = platform[1]!;
        await new PlatformService(server.issuer).add({ id, name: `Platform ${id}`, origins: [`https://${id}.example`], claims: ['ageOver18'] });
        return send(200, {});
      }
      return send(404, { error: 'unknown control call' });
    })().catch((e: unknown) => send(500, { error: String(e) }));
  });
  return new Promise((resolve) =>
    http.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
        close: () =>
          new Promise<void>((r) => {
            http.closeAllConnections();
            http.close(() => r());
          }),
      }),
    ),
  );
}

describe("wallet behaviour suite (in the extension's service worker)", { skip }, () => {
  let server: RunningIssuer;
  let control: { url: string; close: () => Promise<void> };
  let context: BrowserContext;
  let worker: Worker;
  let profile: string;
  let config: WorkerControl;

  before(async () => {
    server = await startIssuer({ platforms: PLATFORMS });
    control = await controlServer(server);
    profile = mkdtempSync(join(tmpdir(), 'maskid-chromium-suite-'));
    // The product build, then its service worker loads the suite next to the real background script.
    const extension = await buildExtension({ out: join(profile, 'extension'), trustedIssuers: [server.anchor] });
    await build({
      entryPoints: [join(REPO_ROOT, 'test', 'extension', 'suite-worker-entry.ts')],
      outfile: join(extension, 'suite-worker.js'),
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
    });
    writeFileSync(join(extension, 'sw.js'), "importScripts('background.js', 'suite-worker.js');\n");
    const manifest = JSON.parse(readFileSync(join(extension, 'manifest.json'), 'utf8')) as { background: { service_worker: string } };
    manifest.background.service_worker = 'sw.js';
    writeFileSync(join(extension, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(join(profile, 'user-data'), {
      executablePath: CHROMIUM,
      headless: true,
      ignoreDefaultArgs: ['--disable-extensions'],
      args: [...CHROMIUM_ARGS, `--disable-extensions-except=${extension}`, `--load-extension=${extension}`],
    });
    worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    const registry = (await server.issuer.ds.query('SELECT id, origins FROM maskid_platform')) as { id: string; origins: string }[];
    config = {
      url: control.url,
      issuerUrl: server.url,
      rootThumbprint: server.anchor.rootThumbprint,
      origins: Object.fromEntries(registry.map((p) => [p.id, (JSON.parse(p.origins) as string[])[0]!])),
    };
  });
  after(async () => {
    await context?.close();
    await control?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('runs in the service worker itself: no window, no document', async () => {
    assert.equal(await worker.evaluate(() => (self as unknown as { inServiceWorker(): boolean }).inServiceWorker()), true);
  });

  for (const name of Object.keys(scenarios)) {
    it(name, async () => {
      assert.equal(
        await worker.evaluate(([n, c]) => (self as unknown as { runScenario(n: string, c: WorkerControl): Promise<string> }).runScenario(n, c), [name, config] as const),
        'ok',
      );
    });
  }

  it("keeps every private key non-extractable in the extension's IndexedDB", async () => {
    const n = await worker.evaluate(() => (self as unknown as { checkKeysNonExtractable(): Promise<number> }).checkKeysNonExtractable());
    assert.ok(n >= 3, `${n} keys checked`);
  });
});

/**
 * The whole story in a real browser: the built Manifest V3 extension loaded into headless Debian
 * Chromium, a real issuer, two platforms (each a demo site with its own verifier), and the CLI.
 * Screenshots of the consent window and the signed-in page go to test/artifacts/ (not committed).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildDcApiRequest } from '@maskid/core';
import { VerifierService, createVerifierListener, parseConfig } from '@maskid/verifier';
import { NO_WALLET_AFTER_MS, createDemoPlatform } from '@maskid/demo-platform';
import { PlatformService } from '@maskid/issuer';
import { buildExtension } from '@maskid/extension/build';
import type { BrowserContext, Page } from 'playwright-core';
import { startIssuer, freePort, type RunningIssuer } from '../issuer-server.js';
import { enrollPerson, REPO_ROOT } from '../helpers.js';
import { browserSkipReason, CHROMIUM, CHROMIUM_ARGS, servePage } from '../browser.js';

const skip = browserSkipReason();
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on a page as it is now (evaluated through the DevTools protocol, which the extension
 * pages' CSP does not block) and asserts no serious or critical violation.
 */
async function assertAccessible(page: Page, what: string): Promise<void> {
  // A string is evaluated as a script: axe-core defines `axe` on the page.
  if (!(await page.evaluate(() => 'axe' in globalThis))) await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: Document, o: object) => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
  });
  assert.deepEqual(violations, [], `${what}: accessibility`);
}

/**
 * A screenshot of what the page shows (its body, not the empty window around it) into test/artifacts/;
 * with MASKID_DOCS_SCREENSHOTS=1 also into docs/screenshots/, where the docs show them.
 */
async function shoot(page: Page, name: string): Promise<void> {
  const png = await page.locator('body').screenshot({ path: join(ARTIFACTS, name) });
  if (process.env['MASKID_DOCS_SCREENSHOTS'] === '1') {
    mkdirSync(join(REPO_ROOT, 'docs', 'screenshots'), { recursive: true });
    writeFileSync(join(REPO_ROOT, 'docs', 'screenshots', name), png);
  }
}

/** No protocol codes or claim keys in what a person reads. */
async function assertPlainWords(page: Page, what: string): Promise<void> {
  const text = (await page.textContent('body')) ?? '';
  assert.doesNotMatch(text, /ERR_[A-Z_]+|invalid_grant|tx_code|maskid_|ageOver|realNameVerified|credential_identifier/, `${what}: ${text.slice(0, 200)}`);
}
const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');
/** The verifiers poll the status manifest this often (the demo's epochs are seconds long too). */
const POLL_MS = 1000;
const ISSUER_BIN = join(REPO_ROOT, 'packages', 'issuer', 'bin', 'maskid-issuer.js');

interface Platform {
  service: VerifierService;
  id: string;
  origin: string;
  claims: string[];
  /** Bodies of `POST /v1/presentations` the platform's verifier received. */
  presentations: number;
  /** The status epoch the platform's verifier holds. */
  epoch(): number;
  close(): Promise<void>;
}

/**
 * Clicks a button that closes its own window (the consent window's Close). The window may be gone
 * before Playwright finishes the click's bookkeeping: that is the expected outcome, not a failure.
 */
async function clickClosing(window: Page, selector: string): Promise<void> {
  const closed = window.waitForEvent('close');
  await window.click(selector, { noWaitAfter: true }).catch((e: unknown) => {
    if (!window.isClosed()) throw e;
  });
  await closed;
}

async function listen(server: Server, port: number): Promise<void> {
  server.listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
}

const closeServer = (server: Server) =>
  new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });

/** A platform: its verifier (counting presentations) and its demo site on `origin`. */
async function startPlatform(anchor: { url: string; rootThumbprint: string }, id: string, port: number, claims: string[]): Promise<Platform> {
  const origin = `http://localhost:${port}`;
  const service = await VerifierService.create(
    parseConfig({ platform: id, origins: [origin], trustedIssuers: [anchor], allowedClaims: claims, dev: true, manifestPollMs: POLL_MS }),
  );
  await service.start();
  const listener = createVerifierListener(service);
  const platform: Platform = { id, origin, claims, presentations: 0, service, epoch: () => service.status.stats().epoch, close: async () => undefined };
  const verifier = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'POST' && req.url === '/v1/presentations') platform.presentations++;
    listener(req, res);
  });
  const verifierPort = await freePort();
  await listen(verifier, verifierPort);
  const site = createServer(createDemoPlatform({ name: `Platform ${id}`, origin, verifierUrl: `http://127.0.0.1:${verifierPort}`, claims }));
  await listen(site, port);
  platform.close = async () => {
    await closeServer(site);
    await closeServer(verifier);
    await service.stop();
  };
  return platform;
}

describe('extension wallet in Chromium: offer, consent, two platforms, deny, revoke', { skip }, () => {
  let server: RunningIssuer;
  let video: Platform;
  let forum: Platform;
  let stranger: { url: string; close: () => Promise<void> };
  let context: BrowserContext;
  let extensionId: string;
  let networkNumber: string;
  let profile: string;
  const masked: Record<string, string> = {};

  before(async () => {
    const [pVideo, pForum] = [await freePort(), await freePort()];
    server = await startIssuer({
      platforms: [
        // Both platforms' verifiers ask for either form (the registry says so): the extension holds both for each.
        { id: 'video', claims: ['ageOver18', 'region'], origin: `http://localhost:${pVideo}`, formats: ['vc+sd-jwt', 'dc+sd-jwt'] },
        { id: 'forum', claims: ['ageOver18'], origin: `http://localhost:${pForum}`, formats: ['vc+sd-jwt', 'dc+sd-jwt'] },
      ],
    });
    video = await startPlatform(server.anchor, 'video', pVideo, ['ageOver18', 'region']);
    forum = await startPlatform(server.anchor, 'forum', pForum, ['ageOver18']);
    stranger = await servePage('<!doctype html><title>not a platform</title><body>not a platform</body>');
    profile = mkdtempSync(join(tmpdir(), 'maskid-chromium-'));
    const extension = await buildExtension({ out: join(profile, 'extension'), trustedIssuers: [server.anchor] });
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(join(profile, 'user-data'), {
      executablePath: CHROMIUM,
      headless: true,
      ignoreDefaultArgs: ['--disable-extensions'],
      args: [...CHROMIUM_ARGS, `--disable-extensions-except=${extension}`, `--load-extension=${extension}`],
    });
    const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
    extensionId = new URL(worker.url()).host;
    mkdirSync(ARTIFACTS, { recursive: true });
    networkNumber = await enrollPerson(server.issuer);
  });

  after(async () => {
    await context?.close();
    await video?.close();
    await forum?.close();
    await stranger?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Clicks "Sign in" on a platform page and returns the consent window the extension opened. */
  async function startSignIn(page: Page, origin: string): Promise<Page> {
    await page.goto(origin);
    const consent = context.waitForEvent('page', { predicate: (p) => p.url().startsWith(`chrome-extension://${extensionId}/consent.html`), timeout: 15_000 });
    await page.click('#signin');
    const window = await consent;
    await window.waitForSelector('#allow, #close');
    return window;
  }

  /** The page's outcome: its state, the words it shows, and the code behind them (an exception's name or the verifier's code). */
  async function outcome(page: Page): Promise<{ state: string; text: string; code: string }> {
    await page.waitForSelector('#status:not([data-state=waiting]):not([data-state=idle])', { timeout: 15_000 });
    return page.$eval('#status', (e) => ({ state: (e as HTMLElement).dataset['state']!, text: e.textContent ?? '', code: (e as HTMLElement).dataset['code'] ?? '' }));
  }

  async function signIn(page: Page, platform: Platform, screenshot?: string): Promise<{ state: string; text: string; code: string }> {
    const consent = await startSignIn(page, platform.origin);
    if (screenshot) await consent.screenshot({ path: join(ARTIFACTS, `${screenshot}-consent.png`) });
    await clickClosing(consent, '#allow');
    const result = await outcome(page);
    if (screenshot) await page.screenshot({ path: join(ARTIFACTS, `${screenshot}-signed-in.png`) });
    return result;
  }

  /** Registers a new platform (a wake-up then has its credential to fetch) and presses "Refresh now" in a fresh popup. */
  async function refreshWithNewPlatform(id: string): Promise<Page> {
    await new PlatformService(server.issuer).add({ id, name: `Platform ${id}`, origins: [`http://localhost:${await freePort()}`], claims: ['ageOver18'] });
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await popup.click('#refresh');
    return popup;
  }

  it('the accessibility check rejects a page with serious violations (so its passes below mean something)', async () => {
    const page = await context.newPage();
    await page.setContent('<!doctype html><html><title>x</title><body><img src="data:,"><button></button></body></html>');
    await assert.rejects(assertAccessible(page, 'a bad page'), /image-alt|button-name|html-has-lang/);
    await page.close();
  });

  it('accepts an offer with its PIN in the wallet popup: one credential per platform', async () => {
    const offer = await server.offer(networkNumber);
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await popup.fill('#offer', offer.uri);
    await popup.fill('#pin', offer.txCode);
    await popup.click('#accept');
    await popup.waitForSelector('#credentials tr[data-platform="forum"]', { timeout: 20_000 });
    const rows = await popup.$$eval('#credentials tr[data-platform]', (trs) => trs.map((tr) => tr.getAttribute('data-platform')));
    assert.deepEqual(rows.sort(), ['forum', 'video']);
    await shoot(popup, 'wallet-popup.png');
    await assertAccessible(popup, 'popup');
    await assertPlainWords(popup, 'popup');
    // "Refresh now" right after onboarding: nothing is due (renewal follows its own schedule), and the
    // popup says so instead of changing only the time of the last refresh.
    const before = server.requests.length;
    await popup.click('#refresh');
    await popup.waitForSelector('#refresh-note[data-result=none]', { timeout: 20_000 });
    assert.equal(await popup.textContent('#refresh-note'), 'Nothing was due: your credentials are still valid and renew on their own schedule.');
    assert.deepEqual(
      server.requests.slice(before).filter((r) => /token|credential|nonce/.test(r)),
      [],
      'a wake-up with nothing due asks the issuer for no credential',
    );
    await popup.close();
  });

  it('a wrong PIN is refused with a clear message and nothing stored', async () => {
    const other = await enrollPerson(server.issuer);
    const offer = await server.offer(other);
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html#offer=${encodeURIComponent(offer.uri)}`);
    assert.equal(await popup.inputValue('#offer'), offer.uri, 'an offer link opens onboarding prefilled');
    await popup.fill('#pin', offer.txCode === '000000' ? '111111' : '000000');
    await popup.click('#accept');
    await popup.waitForSelector('#message.error');
    assert.equal((await popup.textContent('#message')) ?? '', 'Wrong PIN — 4 tries left.', 'plain words, with the tries left');
    await assertAccessible(popup, 'onboarding');
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await popup.waitForSelector('#credentials');
    assert.equal(await popup.$$eval('#credentials tr[data-platform]', (trs) => trs.length), 2, "still the first person's two credentials");
    await popup.close();
  });

  it('opens an openid-credential-offer:// link on a page in the wallet, prefilled (nothing accepted without the PIN)', async () => {
    const offer = await server.offer(await enrollPerson(server.issuer));
    const page = await context.newPage();
    await page.goto(stranger.url);
    await page.evaluate((uri) => {
      const a = document.createElement('a');
      a.href = uri;
      a.id = 'offer-link';
      a.textContent = 'Add to wallet';
      document.body.append(a);
    }, offer.uri);
    const opened = context.waitForEvent('page', { predicate: (p) => p.url().includes('/popup.html#offer='), timeout: 15_000 });
    await page.click('#offer-link');
    const popup = await opened;
    await popup.waitForSelector('#offer');
    assert.equal(await popup.inputValue('#offer'), offer.uri);
    assert.equal(await popup.inputValue('#pin'), '');
    await popup.close();
    await page.close();
  });

  it('signs in to platform A after "Share": its masked ID and exactly the claims it asked for, no issuer request', async () => {
    const before = server.browserRequests.length;
    const page = await context.newPage();
    const consent = await startSignIn(page, video.origin);
    assert.equal(await consent.textContent('#platform'), 'Platform video', 'the verified name from the signed registry');
    assert.equal(await consent.textContent('#origin'), video.origin);
    assert.equal(await consent.textContent('#issuer'), `Internet ID issued by ${new URL(server.url).host}`);
    assert.deepEqual(await consent.$$eval('#claims li', (lis) => lis.map((li) => li.getAttribute('data-claim'))), ['ageOver18', 'region']);
    // In words: no claim keys or codes; Enter does not share (the focus is on "Don't share").
    assert.deepEqual(await consent.$$eval('#claims li', (lis) => lis.map((li) => li.textContent)), ['Over 18Yes', 'RegionBeijing']);
    assert.equal(await consent.evaluate(() => document.activeElement?.id), 'deny');
    await shoot(consent, 'consent-popup.png');
    await assertAccessible(consent, 'consent window');
    await assertPlainWords(consent, 'consent window');
    await clickClosing(consent, '#allow');
    const result = await outcome(page);
    await page.screenshot({ path: join(ARTIFACTS, 'signed-in.png') });
    assert.equal(result.state, 'signed-in', result.text);
    assert.match(result.text, /over 18: yes/);
    assert.match(result.text, /region: Beijing/);
    masked['video'] = (await page.textContent('#masked-id'))!;
    assert.match(masked['video'], /^m1[a-z2-7]+$/);
    assert.equal(video.presentations, 1);
    assert.deepEqual(server.browserRequests.slice(before), [], 'the wallet made no request to the issuer');
    await page.close();
  });

  it('signs in to platform B with a different masked ID and without the region', async () => {
    const before = server.browserRequests.length;
    const page = await context.newPage();
    const result = await signIn(page, forum);
    assert.equal(result.state, 'signed-in', result.text);
    assert.match(result.text, /over 18: yes/);
    assert.doesNotMatch(result.text, /region/);
    masked['forum'] = (await page.textContent('#masked-id'))!;
    assert.match(masked['forum'], /^m1/);
    assert.notEqual(masked['forum'], masked['video']);
    assert.deepEqual(server.browserRequests.slice(before), []);
    await page.close();
  });

  it('signs in again on platform A with the same masked ID', async () => {
    const page = await context.newPage();
    assert.equal((await signIn(page, video)).state, 'signed-in');
    assert.equal(await page.textContent('#masked-id'), masked['video']);
    await page.close();
  });

  it('answers a request for the SD-JWT VCLD form (dc+sd-jwt) after "Share": the platform verifier accepts it, with the same masked ID', async () => {
    const { requestId, request } = await forum.service.engine.createRequest(['ageOver18'], 'dc+sd-jwt');
    const page = await context.newPage();
    await page.goto(forum.origin);
    const consentP = context.waitForEvent('page', { predicate: (p) => p.url().includes('/consent.html'), timeout: 15_000 });
    const answer = page.evaluate(
      (r) =>
        navigator.credentials.get({ digital: { requests: [r] } } as CredentialRequestOptions).then(
          (c) => JSON.stringify((c as unknown as { data: unknown }).data),
          (e: Error) => `error ${e.name}`,
        ),
      request,
    );
    const consent = await consentP;
    await consent.waitForSelector('#allow');
    assert.deepEqual(await consent.$$eval('#claims li', (lis) => lis.map((li) => li.getAttribute('data-claim'))), ['ageOver18']);
    await clickClosing(consent, '#allow');
    const data = JSON.parse(await answer) as { vp_token: { internet_id: [string] } };
    const vp = data.vp_token.internet_id[0];
    assert.equal(JSON.parse(Buffer.from(vp.split('.')[0]!, 'base64url').toString()).typ, 'dc+sd-jwt');
    const r = await forum.service.engine.verify(vp, { requestId, origin: forum.origin });
    assert.ok(r.verified, JSON.stringify(r));
    assert.equal(r.maskedId, masked['forum'], 'the same masked ID as the VCDM form on this platform');
    await page.close();
  });

  it('the demo site says when no wallet answers, without cancelling the request, and takes one request at a time', async () => {
    const page = await context.newPage();
    await page.clock.install();
    await page.goto(forum.origin);
    // A browser where nothing answers (no wallet, or a wallet that never replies).
    await page.evaluate(() => {
      (navigator.credentials as unknown as { get: () => Promise<never> }).get = () => new Promise(() => undefined);
    });
    await page.click('#signin');
    await page.waitForSelector('#status[data-state=waiting]');
    assert.equal(await page.textContent('#status'), 'Waiting for your wallet…');
    assert.equal(await page.isDisabled('#signin'), true, 'a second click cannot start a second request');
    await page.clock.fastForward(NO_WALLET_AFTER_MS + 100);
    await page.waitForFunction(() => document.getElementById('status')?.textContent?.startsWith('No Internet ID wallet answered yet'));
    assert.equal(await page.getAttribute('#status', 'data-state'), 'waiting', 'the request is not cancelled');
    await page.close();
  });

  it('"Don\'t share" gives the page NotAllowedError and its verifier nothing', async () => {
    const page = await context.newPage();
    const sent = forum.presentations;
    const consent = await startSignIn(page, forum.origin);
    await clickClosing(consent, '#deny');
    const result = await outcome(page);
    assert.equal(result.state, 'cancelled');
    assert.equal(result.code, 'NotAllowedError');
    assert.equal(result.text, 'Sign-in did not happen.');
    assert.equal(forum.presentations, sent, 'the verifier received nothing');
    await page.close();
  });

  it('keyboard: Enter in the consent window does not share (the focus is on "Don\'t share"); a second request from the same tab while one is open is refused', async () => {
    const page = await context.newPage();
    const sent = forum.presentations;
    const consent = await startSignIn(page, forum.origin);
    const second = await page.evaluate(
      (r) =>
        navigator.credentials.get({ digital: { requests: [r] } } as CredentialRequestOptions).then(
          () => 'resolved',
          (e: Error) => e.name,
        ),
      buildDcApiRequest('a-nonce-of-enough-length-9', ['ageOver18']),
    );
    assert.equal(second, 'NotAllowedError');
    assert.equal(context.pages().filter((p) => p.url().includes('/consent.html')).length, 1, 'one consent window');
    // Enter activates the focused button on keydown; the window may close before a keyup could be sent.
    await consent.keyboard.down('Enter').catch((e: Error) => {
      if (!/closed/.test(e.message)) throw e;
    });
    const result = await outcome(page);
    assert.equal(result.state, 'cancelled');
    assert.equal(forum.presentations, sent, 'nothing shared');
    await page.close();
  });

  it('closing the consent window is a deny', async () => {
    const page = await context.newPage();
    const consent = await startSignIn(page, forum.origin);
    await consent.close();
    assert.equal((await outcome(page)).code, 'NotAllowedError');
    await page.close();
  });

  /** Runs navigator.credentials.get for `request` on `url`; returns the consent window and the page's outcome. */
  async function rawRequest(url: string, request: unknown): Promise<{ reason: string | null; error: string }> {
    const page = await context.newPage();
    await page.goto(url);
    const consentP = context.waitForEvent('page', { predicate: (p) => p.url().includes('/consent.html'), timeout: 15_000 });
    const answer = page.evaluate(
      (r) =>
        navigator.credentials.get({ digital: { requests: [r] } } as CredentialRequestOptions).then(
          () => 'resolved',
          (e: Error) => e.name,
        ),
      request,
    );
    const consent = await consentP;
    await consent.waitForSelector('#close');
    await assertAccessible(consent, 'a refused request');
    await assertPlainWords(consent, 'a refused request');
    const reason = await consent.textContent('#reason');
    await clickClosing(consent, '#close');
    const error = await answer;
    await page.close();
    return { reason, error };
  }

  it("refuses claims beyond the platform's registration: shown to the person, NotAllowedError to the page", async () => {
    const sent = forum.presentations;
    const r = await rawRequest(forum.origin, buildDcApiRequest('a-nonce-of-enough-length-1', ['ageOver18', 'region']));
    assert.equal(r.reason, 'This request cannot be answered: This site asked for more than it is registered to receive.');
    assert.equal(r.error, 'NotAllowedError');
    assert.equal(forum.presentations, sent);
  });

  it('gives nothing to an origin that is not a registered platform (the same NotAllowedError as a deny)', async () => {
    const r = await rawRequest(stranger.url, buildDcApiRequest('a-nonce-of-enough-length-2', ['ageOver18']));
    assert.equal(r.reason, 'This request cannot be answered: This site is not a registered platform, so your wallet does not answer it.');
    assert.equal(r.error, 'NotAllowedError');
  });

  it('leaves requests that are not for an Internet ID to the browser (no consent window)', async () => {
    const page = await context.newPage();
    await page.goto(stranger.url);
    let opened = false;
    const watch = (p: Page) => {
      if (p.url().includes('consent.html')) opened = true;
    };
    context.on('page', watch);
    const other = {
      protocol: 'openid4vp-v1-unsigned',
      data: {
        response_type: 'vp_token',
        response_mode: 'dc_api',
        nonce: 'n-0123456789abcdef',
        dcql_query: { credentials: [{ id: 'pid', format: 'dc+sd-jwt', meta: { vct_values: ['urn:eudi:pid:1'] } }] },
      },
    };
    const result = await page.evaluate(
      (r) =>
        navigator.credentials.get({ digital: { requests: [r] }, signal: AbortSignal.timeout(1500) } as CredentialRequestOptions).then(
          (c) => `resolved:${JSON.stringify(c)}`,
          (e: Error) => `rejected:${e.name}`,
        ),
      other,
    );
    context.off('page', watch);
    assert.equal(opened, false, 'the wallet did not open a consent window');
    assert.doesNotMatch(result, /internet_id/);
    assert.match(result, /^rejected:/, `the browser's own DC API answered: ${result}`);
    await page.close();
  });

  it('keeps a log of what was shared with whom in the popup, and every key non-extractable', async () => {
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await popup.waitForSelector('#log');
    const rows = await popup.$$eval('#log tr', (trs) =>
      trs.slice(1).map((tr) =>
        Array.from(tr.querySelectorAll('td'))
          .slice(1)
          .map((td) => td.textContent),
      ),
    );
    // Newest first; the SD-JWT VCLD share on the forum is logged like any other.
    assert.deepEqual(rows, [
      [forum.origin, 'Over 18'],
      [video.origin, 'Over 18, Region'],
      [forum.origin, 'Over 18'],
      [video.origin, 'Over 18, Region'],
    ]);
    const worker = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${extensionId}/`))!;
    const keys = await worker.evaluate(
      () =>
        new Promise<{ n: number; extractable: number }>((resolve, reject) => {
          const open = indexedDB.open('maskid-wallet', 1);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const all = open.result.transaction('kv').objectStore('kv').getAll();
            all.onsuccess = () => {
              const found = (all.result as { privateKey?: CryptoKey }[]).filter((v) => v && typeof v === 'object' && 'privateKey' in v);
              resolve({ n: found.length, extractable: found.filter((v) => !(v.privateKey instanceof CryptoKey) || v.privateKey.extractable).length });
            };
          };
        }),
    );
    assert.ok(keys.n >= 5, `${keys.n} keys (DPoP + one per credential: two platforms, both forms)`);
    assert.equal(keys.extractable, 0);
    await popup.close();
  });

  it('"Refresh now" with a newly registered platform fetches its credential and says how many were renewed', async () => {
    const popup = await refreshWithNewPlatform('library');
    await popup.waitForSelector('#refresh-note[data-result=renewed]', { timeout: 20_000 });
    assert.equal(await popup.textContent('#refresh-note'), 'Credentials renewed: 1.', 'the one missing credential (the platform names one form)');
    assert.ok(await popup.$('#credentials tr[data-platform="library"]'));
    await popup.close();
  });

  it('speaks Simplified Chinese when chosen in the popup: the popup and the consent window, claims and provinces in words', async () => {
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await popup.waitForSelector('#credentials');
    assert.equal(await popup.textContent('#title'), 'Internet ID wallet', "English: the browser's language here");
    await popup.selectOption('#language', 'zh_CN');
    await popup.waitForFunction(() => document.getElementById('title')?.textContent === '网络身份证钱包');
    await popup.waitForSelector('#credentials');
    assert.equal(await popup.getAttribute('html', 'lang'), 'zh-CN');
    assert.deepEqual(await popup.$$eval('#credentials th', (ths) => ths.map((th) => th.textContent)), ['平台', '您在该平台的编号', '有效期至']);
    assert.deepEqual(await popup.$$eval('#log tr', (trs) => trs.slice(1).map((tr) => tr.querySelectorAll('td')[2]?.textContent)), [
      '年满18周岁',
      '年满18周岁、地区',
      '年满18周岁',
      '年满18周岁、地区',
    ]);
    await shoot(popup, 'wallet-popup-zh.png');
    await assertAccessible(popup, 'popup (zh)');
    const page = await context.newPage();
    const consent = await startSignIn(page, video.origin);
    assert.equal(await consent.textContent('#allow'), '分享');
    assert.equal(await consent.textContent('#deny'), '不分享');
    assert.deepEqual(await consent.$$eval('#claims li', (lis) => lis.map((li) => li.textContent)), ['年满18周岁是', '地区北京市']);
    await shoot(consent, 'consent-popup-zh.png');
    await assertAccessible(consent, 'consent window (zh)');
    await clickClosing(consent, '#deny');
    assert.equal((await outcome(page)).state, 'cancelled');
    await page.close();
    await popup.selectOption('#language', 'en');
    await popup.waitForFunction(() => document.getElementById('title')?.textContent === 'Internet ID wallet');
    await popup.close();
  });

  it("after the person is revoked with the CLI and the next epoch is published, the verifier's next manifest poll refuses the next sign-in", async () => {
    const cli = (args: string[]) => {
      const r = spawnSync(process.execPath, [ISSUER_BIN, '--dev', '--data-dir', server.dir, '--json', ...args], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    cli(['revoke', '--network-number', networkNumber]);
    const { epoch } = cli(['status', 'publish']) as { epoch: number };
    // The verifier picks the epoch up on its own poll (never per login); wait for it, a bounded number of polls.
    for (let i = 0; i < 30 && forum.epoch() < epoch; i++) await new Promise((r) => setTimeout(r, POLL_MS));
    assert.equal(forum.epoch(), epoch, 'the verifier holds the new epoch');
    const page = await context.newPage();
    const result = await signIn(page, forum);
    assert.equal(result.state, 'refused', result.text);
    assert.equal(result.code, 'ERR_STATUS_REVOKED');
    assert.equal(result.text, 'This Internet ID was revoked: sign-in refused.', 'the site says it in words');
    await page.close();
  });
  it('the wallet learns the revocation at its next renewal: the popup says so with the date, and Share is no longer offered', async () => {
    // A newly registered platform makes a renewal due (a wake-up with nothing due asks the issuer nothing).
    const popup = await refreshWithNewPlatform('news');
    await popup.waitForSelector('#grant-state[data-state=revoked]', { timeout: 20_000 });
    const today = new Intl.DateTimeFormat('en', { dateStyle: 'medium' }).format(new Date());
    assert.equal(await popup.textContent('#grant-state'), `Your Internet ID was revoked on ${today}. Sign-ins no longer work. Contact the issuer if you think this is a mistake.`);
    await assertPlainWords(popup, 'revoked');
    await assertAccessible(popup, 'revoked');
    await popup.selectOption('#language', 'zh_CN');
    await popup.waitForSelector('html[lang=zh-CN] #grant-state');
    const todayZh = new Intl.DateTimeFormat('zh-CN', { dateStyle: 'medium' }).format(new Date());
    assert.equal(await popup.textContent('#grant-state'), `您的网络身份证已于 ${todayZh} 被吊销，无法再用于登录。如认为有误，请联系签发机关。`);
    await assertPlainWords(popup, 'revoked (zh)');
    await shoot(popup, 'wallet-popup-revoked.png');
    await popup.close();
    const page = await context.newPage();
    const consent = await startSignIn(page, forum.origin);
    assert.equal(await consent.$('#allow'), null, 'no Share for a revoked Internet ID');
    assert.match((await consent.textContent('#reason')) ?? '', /^无法答复此请求：您的网络身份证已于 .+ 被吊销/, 'in the language chosen in the popup');
    await clickClosing(consent, '#close');
    assert.equal((await outcome(page)).state, 'cancelled');
    await page.close();
  });

  it('"Remove this wallet" deletes everything after a confirmation; onboarding again (in Chinese): wrong PIN twice says the tries left, then the right PIN', async () => {
    // In Chinese (chosen in the previous test); back to English at the end.
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    await popup.click('#remove');
    await popup.waitForSelector('#remove-text');
    assert.match((await popup.textContent('#remove-text')) ?? '', /^这将从本浏览器删除您的密钥、凭证和分享记录。/);
    await popup.click('#remove-cancel');
    await popup.waitForSelector('#credentials');
    await popup.click('#remove');
    await popup.click('#remove-confirm');
    await popup.waitForSelector('#offer');
    const worker = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${extensionId}/`))!;
    const left = await worker.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('maskid-wallet', 1);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const all = open.result.transaction('kv').objectStore('kv').count();
            all.onsuccess = () => resolve(all.result);
          };
        }),
    );
    assert.equal(left, 0, 'no keys, credentials or log left');
    const offer = await server.offer(await enrollPerson(server.issuer));
    await popup.fill('#offer', offer.uri);
    for (const [i, wrong] of ['000001', '000002'].entries()) {
      await popup.fill('#pin', wrong === offer.txCode ? '000003' : wrong);
      await popup.click('#accept');
      await popup.waitForFunction((n) => document.getElementById('message')?.textContent === `PIN 码错误——还可尝试 ${n} 次。`, 4 - i);
    }
    await popup.fill('#pin', offer.txCode);
    await popup.click('#accept');
    await popup.waitForSelector('#credentials tr[data-platform="news"]', { timeout: 20_000 });
    assert.equal(await popup.$('#grant-state'), null, 'a new grant: nothing to report');
    await assertPlainWords(popup, 'onboarded again (zh)');
    await popup.selectOption('#language', 'en');
    await popup.waitForSelector('html[lang=en] #credentials');
    await popup.close();
  });
});

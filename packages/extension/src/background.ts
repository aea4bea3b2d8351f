/**
 * The extension's service worker: the wallet (`@maskid/holder`, keys non-extractable in IndexedDB),
 * its alarm-driven refresh, and the consent flow for DC API requests.
 *
 * Privacy rules kept here:
 * - Answering a request uses only what the wallet holds: visiting a site never makes a request to the
 *   issuer. The issuer is contacted only on onboarding, on the jittered refresh alarm and on "Refresh".
 * - The requesting origin is the one the browser attests for the sending frame (`sender.origin`).
 * - Nothing is disclosed without a click on "Share" in the consent window; a refusal (unknown origin,
 *   claims beyond the platform's registration, no credential) is shown too and closed by the person,
 *   so a page cannot tell it from a deny, by answer or by timing.
 * - The answer goes back through `sendResponse`, i.e. only to the frame that asked.
 */
import { FORMAT_DC_SD_JWT, FORMAT_ID, MaskidError, decodeDisclosures, isInternetIdRequest, parseDcApiRequest, parseSdJwt, type ClaimName } from '@maskid/core';
import { IndexedDbStorage, Wallet, WebCryptoKeyStore, nextRefreshDelay, type TrustedIssuer } from '@maskid/holder';
import type { ConsentView, ContentMessage, ErrorReport, ExtensionMessage, PageAnswer, WalletError, WalletStatus } from './messages.js';

/** Deployment settings written by the build into `config.json`. */
interface ExtensionConfig {
  trustedIssuers: TrustedIssuer[];
  refreshEveryMs?: number;
  refreshJitterMs?: number;
}

const REFRESH_ALARM = 'maskid-refresh';

/** A failure as codes for the pages to put in words: the code and only the details a sentence needs. */
function report(e: unknown): ErrorReport {
  if (!(e instanceof MaskidError)) return { code: 'ERR_INTERNAL', message: 'the wallet failed; try again' };
  const d = e.details ?? {};
  const details = {
    ...(typeof d['reason'] === 'string' ? { reason: d['reason'] } : {}),
    ...(typeof d['attemptsLeft'] === 'number' ? { attemptsLeft: d['attemptsLeft'] } : {}),
    ...(typeof d['since'] === 'string' ? { since: d['since'] } : {}),
  };
  return { code: e.code, message: e.message, ...(Object.keys(details).length ? { details } : {}) };
}

let config: Promise<ExtensionConfig> | undefined;
let walletPromise: Promise<Wallet> | undefined;

function loadConfig(): Promise<ExtensionConfig> {
  config ??= fetch(chrome.runtime.getURL('config.json')).then((r) => r.json() as Promise<ExtensionConfig>);
  return config;
}

function wallet(): Promise<Wallet> {
  walletPromise ??= (async () => {
    const { trustedIssuers } = await loadConfig();
    const storage = await IndexedDbStorage.open('maskid-wallet');
    // Both forms of every platform's credential: the wallet answers requests for the SD-JWT VCLD form
    // (OpenID4VP 1.0 / HAIP verifiers) as well as for the VCDM form, and fetches both on one schedule.
    return new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers, forms: [FORMAT_ID, FORMAT_DC_SD_JWT] });
  })();
  return walletPromise;
}

// ---------------------------------------------------------------------------------------------
// Scheduled refresh: a chrome.alarms alarm (a service worker cannot keep a timer), re-armed with
// jitter after every run, independent of browsing.

async function armRefresh(succeeded: boolean): Promise<void> {
  const c = await loadConfig();
  const delay = nextRefreshDelay(succeeded, {
    ...(c.refreshEveryMs ? { everyMs: c.refreshEveryMs } : {}),
    ...(c.refreshJitterMs !== undefined ? { jitterMs: c.refreshJitterMs } : {}),
  });
  await chrome.alarms.create(REFRESH_ALARM, { when: Date.now() + delay });
}

chrome.alarms.onAlarm.addListener((alarm) => {
  if (alarm.name !== REFRESH_ALARM) return;
  void wallet()
    .then((w) => w.refresh())
    .then(
      () => armRefresh(true),
      () => armRefresh(false),
    );
});

async function ensureAlarm(): Promise<void> {
  const w = await wallet();
  if ((await w.lastRefresh()) && !(await chrome.alarms.get(REFRESH_ALARM))) await armRefresh(true);
}
chrome.runtime.onStartup.addListener(() => void ensureAlarm());
chrome.runtime.onInstalled.addListener(() => void ensureAlarm());

// ---------------------------------------------------------------------------------------------
// Consent.

interface Pending {
  view: ConsentView;
  request: unknown;
  origin: string;
  /** The tab that asked: one consent window per tab at a time. */
  tabId: number | undefined;
  windowId?: number;
  decide: (allow: boolean) => void;
}
const pending = new Map<string, Pending>();

async function consentView(request: unknown, origin: string): Promise<ConsentView> {
  const w = await wallet();
  let claims: ClaimName[] = [];
  try {
    claims = parseDcApiRequest(request).claims;
    const { platform, credential } = await w.preview(request, { origin });
    const values = new Map<string, unknown>();
    for (const d of await decodeDisclosures(parseSdJwt(credential.sdJwt).disclosures)) if (d.name) values.set(d.name, d.value);
    const issuer = await w.issuer();
    return {
      origin,
      mode: 'ask',
      platformName: platform.name,
      ...(issuer ? { issuer: new URL(issuer).host } : {}),
      claims: claims.map((name) => ({ name, value: values.get(name) })),
    };
  } catch (e) {
    return { origin, mode: 'refuse', claims: claims.map((name) => ({ name })), refusal: report(e) };
  }
}

/** Shows the consent window for one request and resolves with the page's answer. */
async function ask(request: unknown, origin: string, tabId: number | undefined): Promise<PageAnswer> {
  // One consent window per tab: a second request while one is open is refused (a double click shares nothing twice).
  if (tabId !== undefined && [...pending.values()].some((p) => p.tabId === tabId)) return { ok: false };
  const view = await consentView(request, origin);
  const id = crypto.randomUUID();
  const allowed = await new Promise<boolean>((decide) => {
    const entry: Pending = { view, request, origin, tabId, decide };
    pending.set(id, entry);
    // The window sizes itself to its content once drawn (consent.ts).
    chrome.windows.create({ url: chrome.runtime.getURL(`consent.html#${id}`), type: 'popup', width: 420, height: 480, focused: true }).then(
      (win) => {
        if (win?.id !== undefined) entry.windowId = win.id;
      },
      () => decide(false),
    );
  });
  pending.delete(id);
  if (!allowed || view.mode !== 'ask') return { ok: false };
  const credential = await (await wallet()).present(request, { origin });
  return { ok: true, credential };
}

chrome.windows.onRemoved.addListener((windowId) => {
  for (const p of pending.values()) if (p.windowId === windowId) p.decide(false);
});

// ---------------------------------------------------------------------------------------------
// Messages.

async function status(): Promise<WalletStatus> {
  const w = await wallet();
  const [held, platforms, lastRefresh, log, alarm, state, grantState] = await Promise.all([
    w.credentials(),
    w.platforms(),
    w.lastRefresh(),
    w.shareLog(),
    chrome.alarms.get(REFRESH_ALARM),
    w.issuer(),
    w.grantState(),
  ]);
  const names = new Map(platforms.map((p) => [p.id, p.name]));
  return {
    onboarded: lastRefresh !== undefined,
    ...(state ? { issuer: state } : {}),
    ...(lastRefresh ? { lastRefresh } : {}),
    ...(alarm ? { nextRefresh: new Date(alarm.scheduledTime).toISOString() } : {}),
    // One row per platform (both forms carry the same masked ID): the VCDM form's, or the other while it is the only one held.
    credentials: held
      .filter((c) => c.format === undefined || c.format === FORMAT_ID || !held.some((o) => o.platform === c.platform && (o.format ?? FORMAT_ID) === FORMAT_ID))
      .map((c) => ({ platform: c.platform, platformName: names.get(c.platform) ?? c.platform, maskedId: c.maskedId, validUntil: c.validUntil, receivedAt: c.receivedAt }))
      .sort((a, b) => a.platformName.localeCompare(b.platformName)),
    log: log.slice().reverse(),
    ...(grantState ? { grantState } : {}),
  };
}

async function fromPage(message: ContentMessage, sender: chrome.runtime.MessageSender): Promise<unknown> {
  const origin = sender.origin;
  if (message.type === 'dc-request') {
    if (!origin || origin === 'null' || !isInternetIdRequest(message.request)) return { ok: false } satisfies PageAnswer;
    return ask(message.request, origin, sender.tab?.id);
  }
  if (message.type === 'open-offer' && typeof message.uri === 'string' && message.uri.startsWith('openid-credential-offer:') && message.uri.length < 8192) {
    await chrome.tabs.create({ url: chrome.runtime.getURL(`popup.html#offer=${encodeURIComponent(message.uri)}`) });
  }
  return undefined;
}

async function fromExtension(message: ExtensionMessage): Promise<unknown> {
  switch (message.type) {
    case 'consent-view': {
      const p = pending.get(message.id);
      return p ? p.view : ({ error: { code: 'ERR_NOT_FOUND', message: 'this request is no longer pending', details: { reason: 'request-gone' } } } satisfies WalletError);
    }
    case 'consent-answer':
      pending.get(message.id)?.decide(message.allow === true);
      return { ok: true };
    case 'wallet-status':
      return status();
    case 'accept-offer':
      await (await wallet()).acceptOffer(String(message.uri), { pin: String(message.pin) });
      await armRefresh(true);
      return status();
    case 'refresh': {
      const received = await (await wallet()).refresh();
      await armRefresh(true);
      return { ...(await status()), renewed: received.length } satisfies WalletStatus;
    }
    case 'reset':
      await (await wallet()).reset();
      await chrome.alarms.clear(REFRESH_ALARM);
      return status();
    default:
      return { error: { code: 'ERR_INPUT_INVALID', message: 'unknown message' } } satisfies WalletError;
  }
}

chrome.runtime.onMessage.addListener((message: ContentMessage | ExtensionMessage, sender, sendResponse) => {
  if (sender.id !== chrome.runtime.id) return false;
  const fromOwnPage = sender.url?.startsWith(chrome.runtime.getURL('')) === true;
  const work = fromOwnPage ? fromExtension(message as ExtensionMessage) : fromPage(message as ContentMessage, sender);
  work.then(sendResponse, (e: unknown) => {
    sendResponse(fromOwnPage ? ({ error: report(e) } satisfies WalletError) : ({ ok: false } satisfies PageAnswer));
  });
  return true;
});

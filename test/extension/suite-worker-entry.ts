/**
 * The wallet behaviour suite for the extension's service worker. The extension test build loads it
 * next to the real background script (`importScripts('background.js', 'suite-worker.js')`), so the
 * scenarios run where the wallet runs: a service worker (no window, no DOM) with the extension's
 * IndexedDB and fetch. The host's callbacks (offers, the issuer's request log, registering a
 * platform) go to a loopback control server whose URL comes with each call.
 */
import { IndexedDbStorage, Wallet, WebCryptoKeyStore } from '@maskid/holder';
import { countNonExtractableKeys, scenarios, type SuiteEnv } from '../holder/wallet-suite.js';

/** What the host passes with each call. */
export interface WorkerControl {
  /** The control server: POST /offer, POST /platforms/:id, GET and DELETE /request-log. */
  url: string;
  issuerUrl: string;
  rootThumbprint: string;
  origins: Record<string, string>;
}

const scope = self as unknown as {
  runScenario(name: string, control: WorkerControl): Promise<string>;
  checkKeysNonExtractable(): Promise<number>;
  inServiceWorker(): boolean;
};

let counter = 0;
const storages: IndexedDbStorage[] = [];

function env(c: WorkerControl): SuiteEnv {
  const call = async <T>(path: string, method: string): Promise<T> => {
    const r = await fetch(c.url + path, { method });
    if (!r.ok) throw new Error(`control ${method} ${path}: ${r.status}`);
    return (await r.json()) as T;
  };
  return {
    issuerUrl: c.issuerUrl,
    origins: c.origins,
    newWallet: async () => {
      const storage = await IndexedDbStorage.open(`maskid-suite-${Date.now()}-${counter++}`);
      storages.push(storage);
      return new Wallet({ storage, keys: new WebCryptoKeyStore(storage), trustedIssuers: [{ url: c.issuerUrl, rootThumbprint: c.rootThumbprint }] });
    },
    offer: () => call('/offer', 'POST'),
    addPlatform: async (id) => {
      await call(`/platforms/${encodeURIComponent(id)}`, 'POST');
    },
    requestLog: () => call('/request-log', 'GET'),
    resetLog: async () => {
      await call('/request-log', 'DELETE');
    },
  };
}

scope.runScenario = async (name, control) => {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`no scenario ${name}`);
  await scenario(env(control));
  return 'ok';
};

scope.checkKeysNonExtractable = () => countNonExtractableKeys(storages);

/** True in a service worker's global scope: no window, no document. */
scope.inServiceWorker = () => {
  const g = globalThis as { ServiceWorkerGlobalScope?: abstract new () => unknown; window?: unknown; document?: unknown };
  return typeof g.ServiceWorkerGlobalScope === 'function' && self instanceof g.ServiceWorkerGlobalScope && g.window === undefined && g.document === undefined;
};

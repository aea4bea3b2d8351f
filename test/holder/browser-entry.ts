/** Bundled into a page: runs the wallet suite scenarios in the browser with IndexedDB and WebCrypto. */
import { IndexedDbStorage, Wallet, WebCryptoKeyStore } from '@maskid/holder';
import { countNonExtractableKeys, scenarios, type SuiteEnv } from './wallet-suite.js';

declare global {
  interface Window {
    maskidConfig: { issuerUrl: string; rootThumbprint: string; origins: Record<string, string> };
    maskidOffer(): Promise<{ uri: string; txCode: string }>;
    maskidRequestLog(): Promise<string[]>;
    maskidAddPlatform(id: string): Promise<void>;
    maskidResetLog(): Promise<void>;
    runScenario(name: string): Promise<string>;
    checkKeysNonExtractable(): Promise<number>;
  }
}

let counter = 0;
const storages: IndexedDbStorage[] = [];

function env(): SuiteEnv {
  return {
    ...window.maskidConfig,
    newWallet: async () => {
      const storage = await IndexedDbStorage.open(`maskid-suite-${Date.now()}-${counter++}`);
      storages.push(storage);
      return new Wallet({
        storage,
        keys: new WebCryptoKeyStore(storage),
        trustedIssuers: [{ url: window.maskidConfig.issuerUrl, rootThumbprint: window.maskidConfig.rootThumbprint }],
      });
    },
    offer: () => window.maskidOffer(),
    addPlatform: (id) => window.maskidAddPlatform(id),
    requestLog: () => window.maskidRequestLog(),
    resetLog: () => window.maskidResetLog(),
  };
}

window.runScenario = async (name) => {
  const scenario = scenarios[name];
  if (!scenario) throw new Error(`no scenario ${name}`);
  await scenario(env());
  return 'ok';
};

/** Every private key the wallets stored in IndexedDB is a non-extractable CryptoKey. */
window.checkKeysNonExtractable = () => countNonExtractableKeys(storages);

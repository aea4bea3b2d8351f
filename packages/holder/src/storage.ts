/**
 * Storage adapters for the wallet. Values are structured-cloneable (memory and IndexedDB can hold
 * non-extractable `CryptoKey`s as they are; the file adapter in `@maskid/holder/file-storage` holds
 * JSON only and is used with {@link SealedJwkKeyStore}).
 */

/** A small async key/value store. */
export interface StorageAdapter {
  get<T = unknown>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown): Promise<void>;
  delete(key: string): Promise<void>;
  /** Keys starting with `prefix`, sorted. */
  keys(prefix?: string): Promise<string[]>;
  /** True when values may be `CryptoKey` objects (structured clone). */
  readonly holdsCryptoKeys: boolean;
}

/** In-memory storage (tests, short-lived wallets). */
export class MemoryStorage implements StorageAdapter {
  readonly holdsCryptoKeys = true;
  readonly #map = new Map<string, unknown>();

  async get<T>(key: string): Promise<T | undefined> {
    return this.#map.get(key) as T | undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    this.#map.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.#map.delete(key);
  }
  async keys(prefix = ''): Promise<string[]> {
    return [...this.#map.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/**
 * IndexedDB storage (browser pages and extension service workers). `CryptoKey`s are stored as
 * structured clones, so non-extractable keys never leave WebCrypto.
 *
 * @example
 * ```ts
 * const storage = await IndexedDbStorage.open('maskid-wallet')
 * ```
 */
export class IndexedDbStorage implements StorageAdapter {
  readonly holdsCryptoKeys = true;
  readonly #db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.#db = db;
  }

  static open(name = 'maskid-wallet', idb: IDBFactory = globalThis.indexedDB): Promise<IndexedDbStorage> {
    if (!idb) return Promise.reject(new Error('IndexedDB is not available here'));
    return new Promise((resolve, reject) => {
      const req = idb.open(name, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('kv');
      req.onsuccess = () => resolve(new IndexedDbStorage(req.result));
      req.onerror = () => reject(req.error);
    });
  }

  #tx<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      const tx = this.#db.transaction('kv', mode);
      const req = run(tx.objectStore('kv'));
      tx.oncomplete = () => resolve(req.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.#tx('readonly', (s) => s.get(key))) as T | undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    await this.#tx('readwrite', (s) => s.put(value, key));
  }
  async delete(key: string): Promise<void> {
    await this.#tx('readwrite', (s) => s.delete(key));
  }
  async keys(prefix = ''): Promise<string[]> {
    const all = (await this.#tx('readonly', (s) => s.getAllKeys())) as IDBValidKey[];
    return all
      .map(String)
      .filter((k) => k.startsWith(prefix))
      .sort();
  }

  close(): void {
    this.#db.close();
  }
}

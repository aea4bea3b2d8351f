/**
 * File storage for the wallet in Node: one JSON file, written atomically (temp file + rename), mode
 * 0600. Holds JSON only: pair it with `SealedJwkKeyStore` so private keys are stored encrypted.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StorageAdapter } from '@maskid/holder';

export class FileStorage implements StorageAdapter {
  readonly holdsCryptoKeys = false;
  #data: Record<string, unknown> | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

  async #load(): Promise<Record<string, unknown>> {
    if (!this.#data) {
      try {
        this.#data = JSON.parse(await readFile(this.file, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        this.#data = {};
      }
    }
    return this.#data;
  }

  async #save(): Promise<void> {
    const snapshot = JSON.stringify(this.#data);
    this.#writing = this.#writing.then(async () => {
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp-${process.pid}`;
      await writeFile(tmp, snapshot, { mode: 0o600 });
      await rename(tmp, this.file);
    });
    await this.#writing;
  }

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.#load())[key] as T | undefined;
  }
  async set(key: string, value: unknown): Promise<void> {
    (await this.#load())[key] = value;
    await this.#save();
  }
  async delete(key: string): Promise<void> {
    delete (await this.#load())[key];
    await this.#save();
  }
  async keys(prefix = ''): Promise<string[]> {
    return Object.keys(await this.#load())
      .filter((k) => k.startsWith(prefix))
      .sort();
  }
}

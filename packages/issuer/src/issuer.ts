/**
 * The issuer's state in one data directory: database, sealed secrets, Veramo agent. Every command
 * opens an {@link Issuer}; `initIssuer` (services/init.ts) creates one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataSource, EntityManager, EntitySchema } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { PrivateKeyStore } from '@veramo/data-store';
import { SecretBox } from '@veramo/kms-local';
import type { IAgentContext, ICredentialPlugin, IDIDManager, IKeyManager, IResolver, TAgent } from '@veramo/core-types';
import { MaskidError, signingKeyAt, type Jwk, type JwsSigner } from '@maskid/core';
import { createFromConfig, readAgentConfig } from './agent/agent-config.js';
import { keyManagerSigner } from './agent/credential-providers.js';
import { MetaEntity, SecretEntity } from './db/entities.js';
import { openDataSource, parseDatabaseLocation, WRITE_LOCK, type DatabaseLocation } from './db/data-source.js';
import { Sealer, type KekSource } from './crypto/sealer.js';
import { createRootKeyFile, loadRootKey, type RootKey } from './crypto/root-key.js';
import type { IMaskidBatchIssuer } from './agent/batch-issuer.js';

/** The agent's plugin methods the issuer uses. */
export type IssuerAgent = TAgent<IKeyManager & IDIDManager & IResolver & ICredentialPlugin & IMaskidBatchIssuer>;
export type IssuerAgentContext = IAgentContext<IKeyManager & IDIDManager & IResolver>;

/** Options to open an issuer. */
export interface IssuerOptions {
  dataDir: string;
  kek: KekSource;
  /** `--dev`: allows `http://localhost` URLs and the development KEK. */
  dev?: boolean;
  /** Path of agent.yml (default: the repository's agent.yml). */
  agentConfig?: string;
  /** What `$env` directives in agent.yml read (the CLI passes `process.env`; default none). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Database: SQLite file (default `<dataDir>/issuer.sqlite`) or a `postgres://` URL. */
  db?: string;
}

/** Settings fixed at `init`. */
export interface IssuerSettings {
  did: string;
  url: string;
  kid: string;
  /** Index capacity per platform (status slots). */
  capacity: number;
  listSize: number;
  credentialValidityDays: number;
}

/** One key of the schedule (`kid` is the key manager's id; the DID URL is `<did>#<kid>`). Times in seconds. */
export interface ScheduledKey {
  kid: string;
  signFrom: number;
  signUntil?: number;
  verifyUntil?: number;
}

/** Where `--dev` keeps its development root key. */
export const DEV_ROOT_KEY_FILE = 'dev-root-key.jwk';

export const DEFAULT_LIST_SIZE = 131_072;
export const DEFAULT_CAPACITY = 8 * DEFAULT_LIST_SIZE;
export const SECRET_NAMES = ['k_mask_v1', 'blind_index', 'status_index'] as const;
export type SecretName = (typeof SECRET_NAMES)[number];

/** The repository's agent.yml (three levels above dist/src). */
export function defaultAgentConfigPath(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../../agent.yml');
}

/** Validates the issuer base URL: https, or http on localhost with `--dev`. */
export function checkIssuerUrl(url: string, dev: boolean): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new MaskidError('ERR_INPUT_INVALID', `issuer URL is not a URL: ${url}`);
  }
  const local = u.hostname === 'localhost' || u.hostname === '127.0.0.1';
  if (u.protocol === 'http:' && !(dev && local)) throw new MaskidError('ERR_INPUT_INVALID', 'issuer URL must be https (plain http only for localhost with --dev)');
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new MaskidError('ERR_INPUT_INVALID', 'issuer URL must be https');
  if (u.search || u.hash || u.username) throw new MaskidError('ERR_INPUT_INVALID', 'issuer URL must not have a query, fragment or credentials');
  return u.origin + u.pathname.replace(/\/+$/, '');
}

/**
 * An opened issuer.
 *
 * @example
 * ```ts
 * const issuer = await Issuer.open({ dataDir: './maskid-data', kek: loadKek({ kekFile }) })
 * try { ... } finally { await issuer.close() }
 * ```
 */
export class Issuer {
  readonly ds: DataSource;
  readonly agent: IssuerAgent;
  readonly dev: boolean;
  readonly dataDir: string;
  readonly #sealer: Sealer;
  readonly #secrets = new Map<string, Buffer>();
  readonly #rowReaders = new Map<EntitySchema<unknown>, { sql: string; columns: ColumnMetadata[] }>();
  #settings: IssuerSettings | undefined;
  #settingsAt = 0;

  private constructor(ds: DataSource, agent: IssuerAgent, sealer: Sealer, options: IssuerOptions) {
    this.ds = ds;
    this.agent = agent;
    this.#sealer = sealer;
    this.dev = options.dev ?? false;
    this.dataDir = options.dataDir;
  }

  /** Opens the data directory (creating the database when `create`). Checks the KEK. */
  static async open(options: IssuerOptions, create = false): Promise<Issuer> {
    const dataDir = resolve(options.dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const location: DatabaseLocation = options.db ? parseDatabaseLocation(options.db) : { kind: 'sqlite', path: join(dataDir, 'issuer.sqlite') };
    const config = readAgentConfig(options.agentConfig ?? defaultAgentConfigPath());
    const ds = await openDataSource(location);
    try {
      const meta = ds.getRepository(MetaEntity);
      let salt = (await meta.findOneBy({ key: 'kek_salt' }))?.value;
      if (!salt) {
        if (!create) throw new MaskidError('ERR_STATE_INVALID', `no issuer in ${dataDir}: run \`maskid-issuer init\` first`);
        salt = randomBytes(16).toString('base64url');
        const sealer = Sealer.fromKek(options.kek.material, Buffer.from(salt, 'base64url'));
        await ds.transaction(async (m) => {
          await m.insert(MetaEntity, [
            { key: 'kek_salt', value: salt! },
            { key: 'kek_check', value: sealer.seal(Buffer.from('maskid'), 'kek-check') },
          ]);
        });
      }
      const sealer = Sealer.fromKek(options.kek.material, Buffer.from(salt, 'base64url'));
      const check = (await meta.findOneBy({ key: 'kek_check' }))?.value;
      if (!check) throw new MaskidError('ERR_STATE_INVALID', 'the database has a KEK salt but no KEK check value');
      sealer.open(check, 'kek-check');
      const privateKeyStore = new PrivateKeyStore(ds, new SecretBox(sealer.derive('veramo-secretbox').toString('hex')));
      const agent = await createFromConfig<IssuerAgent>(config, '/agent', { dbConnection: ds, privateKeyStore }, options.env ?? {});
      for (const method of ['maskidIssueBatch', 'createVerifiableCredential', 'keyManagerSign', 'didManagerGet'] as const) {
        if (!agent.availableMethods().includes(method)) {
          throw new MaskidError('ERR_CONFIG_INVALID', `the agent config has no ${method} method: configure its plugin (see the bundled agent.yml)`);
        }
      }
      return new Issuer(ds, agent, sealer, { ...options, dataDir });
    } catch (e) {
      await ds.destroy();
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }

  /** The agent context (for providers' helpers). */
  get context(): IssuerAgentContext {
    return { agent: this.agent } as unknown as IssuerAgentContext;
  }

  get sealer(): Sealer {
    return this.#sealer;
  }

  /**
   * The development root key (`--dev` only): `<dataDir>/dev-root-key.jwk`, made when missing. Outside
   * `--dev` the root key must be given: it is kept offline, never in the data directory.
   */
  async devRootKey(): Promise<RootKey> {
    if (!this.dev)
      throw new MaskidError('ERR_INPUT_INVALID', 'the root key is required: give --root-key FILE (make one with `maskid-issuer root-key create --out FILE` and keep it offline)');
    const file = join(this.dataDir, DEV_ROOT_KEY_FILE);
    try {
      return await loadRootKey(file);
    } catch (e) {
      if ((e as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') throw e;
      return createRootKeyFile(file);
    }
  }

  /** Drops the cached settings (after a key ceremony). */
  forgetSettings(): void {
    this.#settings = undefined;
  }

  /**
   * Settings fixed at init (and the current signing key). Cached for a few seconds, so a running
   * `serve` picks up a `key rotate` made by the CLI.
   */
  async settings(): Promise<IssuerSettings> {
    if (this.#settings && Date.now() - this.#settingsAt < 5_000) return this.#settings;
    const rows = await this.ds.getRepository(MetaEntity).find();
    const m = new Map(rows.map((r) => [r.key, r.value]));
    if (!m.get('issuer_did')) throw new MaskidError('ERR_STATE_INVALID', `no issuer in ${this.dataDir}: run \`maskid-issuer init\` first`);
    const schedule = JSON.parse(m.get('key_schedule') ?? '[]') as ScheduledKey[];
    this.#settings = {
      did: m.get('issuer_did')!,
      url: m.get('issuer_url')!,
      kid: schedule.length > 0 ? signingKeyAt(schedule, Date.now()).kid : m.get('issuer_kid')!,
      capacity: Number(m.get('capacity')),
      listSize: Number(m.get('list_size')),
      credentialValidityDays: Number(m.get('credential_validity_days')),
    };
    this.#settingsAt = Date.now();
    return this.#settings;
  }

  /**
   * Runs `fn` in a transaction that holds the issuer's write lock from its first statement, so that
   * several issuer processes on one database serialise their writes: no status slot or audit
   * sequence number is handed out twice, no read-then-write (tx_code attempts, token rotation)
   * interleaves. SQLite: an empty UPDATE takes the database write lock at once (waiting up to
   * busy_timeout) instead of failing on a stale snapshot later; PostgreSQL: a transaction-scoped
   * advisory lock.
   */
  async write<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(async (m) => {
      if (this.ds.options.type === 'postgres') await m.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK]);
      else await m.query("UPDATE maskid_meta SET value = value WHERE key = 'write-lock'");
      return fn(m);
    });
  }

  /**
   * A transaction for row-local writes whose own conditions make them safe under concurrency (token
   * rotation, single-use values): no issuer-wide lock on PostgreSQL; on SQLite (one writer) the same
   * as {@link write}.
   */
  async writeRows<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.options.type === 'postgres' ? this.ds.transaction(fn) : this.write(fn);
  }

  /** The `i`-th (1-based) parameter placeholder of the database's own SQL, for hot statements written without TypeORM's query building. */
  placeholder(i: number): string {
    return this.ds.options.type === 'postgres' ? `$${i}` : '?';
  }

  async getMeta(key: string, manager: EntityManager = this.ds.manager): Promise<string | undefined> {
    return (await this.rowByKey(MetaEntity, key, manager))?.value;
  }

  /**
   * Inserts rows through one plain statement built from the entity's metadata, values prepared by the
   * driver as TypeORM prepares them (booleans, transformers); a column no row sets is left out, and one
   * only some rows set must be nullable (the others get NULL). The token endpoint's writes use it.
   */
  async insertRows<T>(entity: EntitySchema<T>, rows: readonly Partial<T>[], manager: EntityManager = this.ds.manager): Promise<void> {
    if (rows.length === 0) return;
    const meta = this.ds.getMetadata(entity);
    const set = (row: Partial<T>, c: ColumnMetadata) => (row as Record<string, unknown>)[c.propertyName] !== undefined;
    const columns = meta.columns.filter((c) => rows.some((row) => set(row, c)));
    const params: unknown[] = [];
    const tuples = rows.map((row) => {
      const places = columns.map((c) => {
        if (!set(row, c) && !c.isNullable) throw new MaskidError('ERR_INTERNAL', `${meta.tableName}.${c.databaseName} needs a value in every row`);
        params.push(set(row, c) ? this.ds.driver.preparePersistentValue((row as Record<string, unknown>)[c.propertyName], c) : null);
        return this.placeholder(params.length);
      });
      return `(${places.join(', ')})`;
    });
    await manager.query(`INSERT INTO "${meta.tableName}" (${columns.map((c) => `"${c.databaseName}"`).join(', ')}) VALUES ${tuples.join(', ')}`, params);
  }

  /**
   * One row by its primary key, through a plain statement built once per entity from TypeORM's metadata
   * (its columns, hydrated by the driver as TypeORM hydrates them, transformers included). The per-request
   * reads of the hot paths (registry version, the person of a token) use it: TypeORM's query building and
   * result mapping cost more than the read itself. `findOneBy` stays the oracle (issuer tests, both databases).
   */
  async rowByKey<T>(entity: EntitySchema<T>, key: string, manager: EntityManager = this.ds.manager): Promise<T | undefined> {
    let reader = this.#rowReaders.get(entity as EntitySchema<unknown>);
    if (!reader) {
      const meta = this.ds.getMetadata(entity);
      if (meta.primaryColumns.length !== 1) throw new MaskidError('ERR_INTERNAL', `${meta.tableName} has no single primary key`);
      const q = (name: string) => `"${name}"`;
      const list = meta.columns.map((c) => `${q(c.databaseName)} AS ${q(c.propertyName)}`).join(', ');
      reader = { sql: `SELECT ${list} FROM ${q(meta.tableName)} WHERE ${q(meta.primaryColumns[0]!.databaseName)} = ${this.placeholder(1)}`, columns: meta.columns };
      this.#rowReaders.set(entity as EntitySchema<unknown>, reader);
    }
    const [raw] = (await manager.query(reader.sql, [key])) as Record<string, unknown>[];
    if (!raw) return undefined;
    const row: Record<string, unknown> = {};
    for (const c of reader.columns) row[c.propertyName] = this.ds.driver.prepareHydratedValue(raw[c.propertyName], c);
    return row as T;
  }

  async setMeta(key: string, value: string, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.save(MetaEntity, { key, value });
  }

  /** A 32-byte secret, opened once per process. */
  async secret(name: SecretName): Promise<Buffer> {
    let value = this.#secrets.get(name);
    if (!value) {
      const row = await this.ds.getRepository(SecretEntity).findOneBy({ name });
      if (!row) throw new MaskidError('ERR_STATE_INVALID', `secret ${name} is missing: run \`maskid-issuer init\``);
      value = this.#sealer.open(row.sealed, `secret:${name}`);
      this.#secrets.set(name, value);
    }
    return value;
  }

  /** A signer for the issuer's current assertion key. */
  async signer(): Promise<{ signer: JwsSigner; kid: string; jwk: Jwk }> {
    const s = await this.settings();
    const key = await this.agent.keyManagerGet({ kid: s.kid });
    return { signer: keyManagerSigner(key, this.context), kid: `${s.did}#${key.kid}`, jwk: (key.meta as { jwk: Jwk }).jwk };
  }
}

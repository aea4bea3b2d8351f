/**
 * The issuer database: SQLite (better-sqlite3) by default, with `secure_delete` so erased data is
 * overwritten, WAL with `synchronous=FULL` so a reported revocation survives a crash, and a
 * truncating checkpoint after erasure. PostgreSQL (`postgres://…`) runs the same migrations; several
 * issuer processes may share it (writers serialise through `Issuer.write`).
 */
import { DataSource } from 'typeorm';
import { Entities as VeramoEntities, migrations as veramoMigrations } from '@veramo/data-store';
import { MaskidError } from '@maskid/core';
import { MASKID_ENTITIES } from './entities.js';
import { MASKID_MIGRATIONS } from './migrations.js';

/**
 * Where the database is: a SQLite file, or a `postgres://` URL (optionally `?schema=name`, so one
 * PostgreSQL database can hold several issuers, e.g. per test or per environment).
 */
export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema?: string };

/** PostgreSQL advisory lock keys (arbitrary constants, "mkid" + n). */
const MIGRATION_LOCK = 0x6d6b6964_01;
export const WRITE_LOCK = 0x6d6b6964_02;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Parses `--db` (a `postgres://…` URL or a SQLite file path). */
export function parseDatabaseLocation(value: string): DatabaseLocation {
  if (!/^postgres(ql)?:\/\//.test(value)) return { kind: 'sqlite', path: value };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new MaskidError('ERR_CONFIG_INVALID', 'the database URL is not a valid postgres:// URL');
  }
  const schema = url.searchParams.get('schema');
  if (schema === null) return { kind: 'postgres', url: value };
  if (!SCHEMA_NAME.test(schema)) throw new MaskidError('ERR_CONFIG_INVALID', 'the schema in the database URL must match [a-z_][a-z0-9_]{0,62}');
  url.searchParams.delete('schema');
  return { kind: 'postgres', url: url.toString(), schema };
}

/** Opens (and migrates) the database. */
export async function openDataSource(location: DatabaseLocation): Promise<DataSource> {
  const common = {
    entities: [...VeramoEntities, ...MASKID_ENTITIES],
    migrations: [...veramoMigrations, ...MASKID_MIGRATIONS],
    synchronize: false,
    logging: false,
  };
  const ds =
    location.kind === 'sqlite'
      ? new DataSource({
          type: 'better-sqlite3',
          database: location.path,
          prepareDatabase: (db: { pragma(s: string): unknown }) => {
            db.pragma('secure_delete = ON');
            db.pragma('journal_mode = WAL');
            db.pragma('synchronous = FULL');
            db.pragma('busy_timeout = 10000');
            db.pragma('foreign_keys = ON');
          },
          ...common,
        })
      : new DataSource({
          type: 'postgres',
          url: location.url,
          ...(location.schema ? { schema: location.schema, extra: { options: `-c search_path=${location.schema}` } } : {}),
          ...common,
        });
  try {
    await ds.initialize();
  } catch (cause) {
    throw new MaskidError('ERR_CONFIG_INVALID', `cannot open the database: ${(cause as Error).message}`, { cause });
  }
  try {
    if (location.kind === 'postgres') {
      // Several processes may open a new database at once: one migrates, the others wait.
      const lock = ds.createQueryRunner();
      try {
        await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
        if (location.schema) await lock.query(`CREATE SCHEMA IF NOT EXISTS "${location.schema}"`);
        await ds.runMigrations({ transaction: 'all' });
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
        await lock.release();
      }
    } else {
      await ds.runMigrations({ transaction: 'all' });
    }
  } catch (cause) {
    await ds.destroy();
    throw new MaskidError('ERR_CONFIG_INVALID', `cannot migrate the database: ${(cause as Error).message}`, { cause });
  }
  return ds;
}

/** After erasure: copy the WAL into the database and truncate it to zero bytes (SQLite only). */
export async function truncateWal(ds: DataSource): Promise<void> {
  if (ds.options.type === 'better-sqlite3') await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
}

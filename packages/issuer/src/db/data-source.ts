/**
 * The issuer database: SQLite (better-sqlite3) by default, with `secure_delete` so erased data is
 * overwritten, WAL with `synchronous=FULL` so a reported revocation survives a crash, and a
 * truncating checkpoint after erasure.
 */
import { DataSource } from 'typeorm';
import { Entities as VeramoEntities, migrations as veramoMigrations } from '@veramo/data-store';
import { MaskidError } from '@maskid/core';
import { MASKID_ENTITIES } from './entities.js';
import { MASKID_MIGRATIONS } from './migrations.js';

/** Where the database is: a SQLite file, or a `postgres://` URL. */
export type DatabaseLocation = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

/** Parses `--db` (a `postgres://…` URL or a SQLite file path). */
export function parseDatabaseLocation(value: string): DatabaseLocation {
  if (/^postgres(ql)?:\/\//.test(value)) return { kind: 'postgres', url: value };
  return { kind: 'sqlite', path: value };
}

/** Opens (and migrates) the database. */
export async function openDataSource(location: DatabaseLocation): Promise<DataSource> {
  const common = {
    entities: [...VeramoEntities, ...MASKID_ENTITIES],
    migrations: [...veramoMigrations, ...MASKID_MIGRATIONS],
    migrationsRun: true,
    synchronize: false,
    logging: false,
  };
  const ds = location.kind === 'sqlite'
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
    : new DataSource({ type: 'postgres', url: location.url, ...common });
  try {
    await ds.initialize();
  } catch (cause) {
    throw new MaskidError('ERR_CONFIG_INVALID', `cannot open the database: ${(cause as Error).message}`, { cause });
  }
  return ds;
}

/** After erasure: copy the WAL into the database and truncate it to zero bytes (SQLite only). */
export async function truncateWal(ds: DataSource): Promise<void> {
  if (ds.options.type === 'better-sqlite3') await ds.query('PRAGMA wal_checkpoint(TRUNCATE)');
}

/**
 * maskid schema migrations, written with TypeORM's `Table` API so one migration serves SQLite and
 * PostgreSQL. Veramo's own migrations run first.
 */
import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

const str = (name: string, length: number, extra: object = {}) => ({ name, type: 'varchar', length: String(length), ...extra });

export class MaskidInitial1767000000000 implements MigrationInterface {
  name = 'MaskidInitial1767000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(new Table({ name: 'maskid_meta', columns: [str('key', 64, { isPrimary: true }), { name: 'value', type: 'text' }] }), true);
    await q.createTable(
      new Table({
        name: 'maskid_secret',
        columns: [str('name', 64, { isPrimary: true }), { name: 'sealed', type: 'text' }, str('created_at', 32)],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'maskid_person',
        columns: [
          str('serial', 16, { isPrimary: true }),
          str('blind_index', 64, { isNullable: true, isUnique: true }),
          { name: 'slot', type: 'bigint', isUnique: true },
          { name: 'generation', type: 'integer' },
          str('state', 16),
          { name: 'data_sealed', type: 'text', isNullable: true },
          { name: 'data_key_sealed', type: 'text', isNullable: true },
          str('enrolled_at', 32),
          str('deleted_at', 32, { isNullable: true }),
        ],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'maskid_platform',
        columns: [
          str('id', 64, { isPrimary: true }),
          str('number', 16, { isUnique: true }),
          str('name', 200),
          { name: 'origins', type: 'text' },
          { name: 'claims', type: 'text' },
          str('created_at', 32),
        ],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'maskid_status_bit',
        columns: [str('platform_number', 16, { isPrimary: true }), str('purpose', 16, { isPrimary: true }), { name: 'idx', type: 'bigint', isPrimary: true }],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'maskid_operator',
        columns: [str('id', 64, { isPrimary: true }), { name: 'public_jwk', type: 'text' }, str('added_at', 32)],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'maskid_audit',
        columns: [{ name: 'seq', type: 'integer', isPrimary: true }, { name: 'body', type: 'text' }, str('prev_hash', 64), str('hash', 64, { isUnique: true })],
      }),
      true,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['maskid_audit', 'maskid_operator', 'maskid_status_bit', 'maskid_platform', 'maskid_person', 'maskid_secret', 'maskid_meta']) {
      await q.dropTable(t, true);
    }
  }
}

export class MaskidOpenid4vci1767100000000 implements MigrationInterface {
  name = 'MaskidOpenid4vci1767100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'maskid_grant',
        columns: [
          str('handle', 64, { isPrimary: true }),
          str('kind', 16),
          str('serial', 16),
          { name: 'generation', type: 'integer' },
          str('tx_code_hash', 64, { isNullable: true }),
          { name: 'attempts', type: 'integer' },
          str('jkt', 64, { isNullable: true }),
          { name: 'expires_at', type: 'bigint' },
          { name: 'used', type: 'boolean' },
        ],
        indices: [{ columnNames: ['serial'] }],
      }),
      true,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('maskid_grant', true);
  }
}

/** Status lists signed only when they change, the dirty set, and per-platform manifests in the database. */
export class MaskidStatusEpochs1767200000000 implements MigrationInterface {
  name = 'MaskidStatusEpochs1767200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'maskid_status_list',
        columns: [
          str('platform_number', 16, { isPrimary: true }),
          str('purpose', 16, { isPrimary: true }),
          { name: 'list_no', type: 'integer', isPrimary: true },
          { name: 'epoch', type: 'integer' },
          str('kid', 128),
          { name: 'jwt', type: 'text' },
          { name: 'prev_epoch', type: 'integer', isNullable: true },
          { name: 'prev_jwt', type: 'text', isNullable: true },
        ],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'maskid_status_dirty',
        columns: [str('platform_number', 16, { isPrimary: true }), str('purpose', 16, { isPrimary: true }), { name: 'list_no', type: 'integer', isPrimary: true }],
      }),
      true,
    );
    await q.createTable(
      new Table({
        name: 'maskid_status_manifest',
        columns: [str('platform_number', 16, { isPrimary: true }), { name: 'epoch', type: 'integer' }, { name: 'jwt', type: 'text' }],
      }),
      true,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['maskid_status_manifest', 'maskid_status_dirty', 'maskid_status_list']) await q.dropTable(t, true);
  }
}

/** Status slots whose bits are cleared once no credential carrying them can still be valid. */
export class MaskidStatusRelease1767300000000 implements MigrationInterface {
  name = 'MaskidStatusRelease1767300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'maskid_status_release',
        columns: [
          { name: 'slot', type: 'bigint', isPrimary: true },
          { name: 'clear_at', type: 'bigint' },
        ],
        indices: [{ columnNames: ['clear_at'] }],
      }),
      true,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('maskid_status_release', true);
  }
}

/** Tokens issued from a refresh token name it, so a retry within the grace window can withdraw them. */
export class MaskidRefreshGrace1767400000000 implements MigrationInterface {
  name = 'MaskidRefreshGrace1767400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('maskid_grant', new TableColumn({ name: 'parent', type: 'varchar', length: '64', isNullable: true }));
    await q.createIndex('maskid_grant', new TableIndex({ columnNames: ['parent'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('maskid_grant', 'parent');
  }
}

/** Access tokens remember whether their token request asked for `authorization_details` (OpenID4VCI 1.0 §8.2: one mode per token). */
export class MaskidGrantDetails1767500000000 implements MigrationInterface {
  name = 'MaskidGrantDetails1767500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('maskid_grant', new TableColumn({ name: 'details', type: 'varchar', length: '96', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('maskid_grant', 'details');
  }
}

/** A person's last change date, which the token endpoint tells the person's wallet (`maskid_grant_state`). */
export class MaskidPersonChangedAt1767600000000 implements MigrationInterface {
  name = 'MaskidPersonChangedAt1767600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('maskid_person', new TableColumn({ name: 'changed_at', type: 'varchar', length: '32', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('maskid_person', 'changed_at');
  }
}

/** Status changes per entry (pending until an epoch, then kept for the manifest's change window); lists are signed when first asked for. */
export class MaskidStatusChanges1767700000000 implements MigrationInterface {
  name = 'MaskidStatusChanges1767700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'maskid_status_change',
        columns: [
          str('platform_number', 16, { isPrimary: true }),
          str('purpose', 16, { isPrimary: true }),
          { name: 'idx', type: 'bigint', isPrimary: true },
          { name: 'epoch', type: 'integer', isPrimary: true },
          { name: 'value', type: 'integer' },
        ],
        indices: [{ columnNames: ['platform_number', 'epoch'] }],
      }),
      true,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('maskid_status_change', true);
  }
}

/** The credential forms a platform's verifiers ask for (the registry tells wallets which forms to hold). */
export class MaskidPlatformFormats1767800000000 implements MigrationInterface {
  name = 'MaskidPlatformFormats1767800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('maskid_platform', new TableColumn({ name: 'formats', type: 'text', isNullable: true }));
    // The registry now names each platform's forms: a new version, so no wallet sees the same version twice with other contents.
    await q.query("UPDATE maskid_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'registry_version'");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('maskid_platform', 'formats');
  }
}

export const MASKID_MIGRATIONS = [
  MaskidInitial1767000000000,
  MaskidOpenid4vci1767100000000,
  MaskidStatusEpochs1767200000000,
  MaskidStatusRelease1767300000000,
  MaskidRefreshGrace1767400000000,
  MaskidGrantDetails1767500000000,
  MaskidPersonChangedAt1767600000000,
  MaskidStatusChanges1767700000000,
  MaskidPlatformFormats1767800000000,
];

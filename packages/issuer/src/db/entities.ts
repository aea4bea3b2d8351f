/**
 * maskid's own tables, as TypeORM `EntitySchema`s (no decorators). Veramo's tables (keys,
 * identifiers, sealed private keys) live beside them; issued credentials are never stored anywhere.
 */
import { EntitySchema } from 'typeorm';

/** Issuer settings and counters (key/value). */
export interface MetaRow {
  key: string;
  value: string;
}
export const MetaEntity = new EntitySchema<MetaRow>({
  name: 'MaskidMeta',
  tableName: 'maskid_meta',
  columns: {
    key: { type: String, primary: true, length: 64 },
    value: { type: 'text' },
  },
});

/** Secrets sealed under the KEK: `k_mask_v1`, `blind_index`, `status_index`. */
export interface SecretRow {
  name: string;
  sealed: string;
  createdAt: string;
}
export const SecretEntity = new EntitySchema<SecretRow>({
  name: 'MaskidSecret',
  tableName: 'maskid_secret',
  columns: {
    name: { type: String, primary: true, length: 64 },
    sealed: { type: 'text' },
    createdAt: { type: String, name: 'created_at', length: 32 },
  },
});

export type PersonState = 'active' | 'suspended' | 'revoked' | 'deleted';

/**
 * One enrolled person. Personal data is sealed with a per-person data key, itself sealed under the
 * KEK; deletion clears both and the blind index. `slot` is the dense status slot of the current
 * generation (see StatusIndexPermutation).
 */
export interface PersonRow {
  serial: string;
  blindIndex: string | null;
  slot: number;
  generation: number;
  state: PersonState;
  dataSealed: string | null;
  dataKeySealed: string | null;
  enrolledAt: string;
  deletedAt: string | null;
  /** When the state or generation last changed (revoke, suspend, resume, reissue); what a wallet is told. */
  changedAt?: string | null;
}
export const PersonEntity = new EntitySchema<PersonRow>({
  name: 'MaskidPerson',
  tableName: 'maskid_person',
  columns: {
    serial: { type: String, primary: true, length: 16 },
    blindIndex: { type: String, name: 'blind_index', length: 64, nullable: true, unique: true },
    slot: { type: 'bigint', unique: true, transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } },
    generation: { type: 'integer' },
    state: { type: String, length: 16 },
    dataSealed: { type: 'text', name: 'data_sealed', nullable: true },
    dataKeySealed: { type: 'text', name: 'data_key_sealed', nullable: true },
    enrolledAt: { type: String, name: 'enrolled_at', length: 32 },
    deletedAt: { type: String, name: 'deleted_at', length: 32, nullable: true },
    changedAt: { type: String, name: 'changed_at', length: 32, nullable: true },
  },
});

/** A registered platform: random 64-bit number, verified name, origins, allowed claims. */
export interface PlatformRow {
  id: string;
  number: string;
  name: string;
  origins: string[];
  claims: string[];
  /** The credential forms its verifiers ask for; null: the VCDM form only. */
  formats?: string[] | null;
  createdAt: string;
}
export const PlatformEntity = new EntitySchema<PlatformRow>({
  name: 'MaskidPlatform',
  tableName: 'maskid_platform',
  columns: {
    id: { type: String, primary: true, length: 64 },
    number: { type: String, length: 16, unique: true },
    name: { type: String, length: 200 },
    origins: { type: 'simple-json' },
    claims: { type: 'simple-json' },
    formats: { type: 'simple-json', nullable: true },
    createdAt: { type: String, name: 'created_at', length: 32 },
  },
});

/** A set status bit: the row exists while the bit is 1. */
export interface StatusBitRow {
  platformNumber: string;
  purpose: 'revocation' | 'suspension';
  idx: number;
}
export const StatusBitEntity = new EntitySchema<StatusBitRow>({
  name: 'MaskidStatusBit',
  tableName: 'maskid_status_bit',
  columns: {
    platformNumber: { type: String, name: 'platform_number', length: 16, primary: true },
    purpose: { type: String, length: 16, primary: true },
    idx: { type: 'bigint', primary: true, transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } },
  },
});

/** An operator allowed to request or approve re-identification. */
export interface OperatorRow {
  id: string;
  publicJwk: Record<string, unknown>;
  addedAt: string;
}
export const OperatorEntity = new EntitySchema<OperatorRow>({
  name: 'MaskidOperator',
  tableName: 'maskid_operator',
  columns: {
    id: { type: String, primary: true, length: 64 },
    publicJwk: { type: 'simple-json', name: 'public_jwk' },
    addedAt: { type: String, name: 'added_at', length: 32 },
  },
});

/** One hash-chained audit entry. `body` is canonical JSON without personal data in clear. */
export interface AuditRow {
  seq: number;
  body: string;
  prevHash: string;
  hash: string;
}
export const AuditEntity = new EntitySchema<AuditRow>({
  name: 'MaskidAudit',
  tableName: 'maskid_audit',
  columns: {
    seq: { type: 'integer', primary: true },
    body: { type: 'text' },
    prevHash: { type: String, name: 'prev_hash', length: 64 },
    hash: { type: String, length: 64, unique: true },
  },
});

/**
 * OpenID4VCI grants: pre-authorized codes, access and refresh tokens, and the single-use values that
 * every issuer process must see (`c_nonce`s, DPoP `jti`s, credential keys already used under a
 * grant). Only the SHA-256 of each secret is stored; tokens are bound to the wallet's DPoP key (`jkt`) and to the person's generation, so a
 * `reissue` invalidates them.
 */
export interface GrantRow {
  handle: string;
  kind: 'offer' | 'access' | 'refresh' | 'c_nonce' | 'dpop_jti' | 'proof_key';
  serial: string;
  generation: number;
  txCodeHash: string | null;
  /** An offer: wrong PINs so far. A refresh token: 1 once spent (then `expiresAt` ends its grace window). */
  attempts: number;
  jkt: string | null;
  expiresAt: number;
  used: boolean;
  /** The refresh token these tokens were issued for (tokens from a refresh), to withdraw them on a retry. */
  parent?: string | null;
  /**
   * An access token: the credential configuration its token request asked for in `authorization_details`
   * (then credentials are requested by `credential_identifier`), or null (by `credential_configuration_id`).
   */
  details?: string | null;
}
export const GrantEntity = new EntitySchema<GrantRow>({
  name: 'MaskidGrant',
  tableName: 'maskid_grant',
  columns: {
    handle: { type: String, primary: true, length: 64 },
    kind: { type: String, length: 16 },
    serial: { type: String, length: 16 },
    generation: { type: 'integer' },
    txCodeHash: { type: String, name: 'tx_code_hash', length: 64, nullable: true },
    attempts: { type: 'integer' },
    jkt: { type: String, length: 64, nullable: true },
    expiresAt: { type: 'bigint', name: 'expires_at', transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } },
    used: { type: Boolean },
    parent: { type: String, length: 64, nullable: true },
    details: { type: String, length: 96, nullable: true },
  },
});

/**
 * Each status list that ever changed (a list that never changed is all zeros at epoch 0 and has no
 * row): the epoch it last changed in and its signed version, `jwt` '' until first asked for (an epoch
 * signs no list), and the signed version before it, so that both immutable URLs answer while
 * verifiers move to the newer manifest.
 */
export interface StatusListRow {
  platformNumber: string;
  purpose: 'revocation' | 'suspension';
  listNo: number;
  epoch: number;
  kid: string;
  jwt: string;
  prevEpoch: number | null;
  prevJwt: string | null;
}
export const StatusListEntity = new EntitySchema<StatusListRow>({
  name: 'MaskidStatusList',
  tableName: 'maskid_status_list',
  columns: {
    platformNumber: { type: String, name: 'platform_number', length: 16, primary: true },
    purpose: { type: String, length: 16, primary: true },
    listNo: { type: 'integer', name: 'list_no', primary: true },
    epoch: { type: 'integer' },
    kid: { type: String, length: 128 },
    jwt: { type: 'text' },
    prevEpoch: { type: 'integer', name: 'prev_epoch', nullable: true },
    prevJwt: { type: 'text', name: 'prev_jwt', nullable: true },
  },
});

/** A list whose bits changed since the last epoch: written by databases from before per-entry changes (read once by the next epoch, then empty). */
export interface StatusDirtyRow {
  platformNumber: string;
  purpose: 'revocation' | 'suspension';
  listNo: number;
}
export const StatusDirtyEntity = new EntitySchema<StatusDirtyRow>({
  name: 'MaskidStatusDirty',
  tableName: 'maskid_status_dirty',
  columns: {
    platformNumber: { type: String, name: 'platform_number', length: 16, primary: true },
    purpose: { type: String, length: 16, primary: true },
    listNo: { type: 'integer', name: 'list_no', primary: true },
  },
});

/**
 * A change of one status bit: `epoch` 0 while it waits for the next epoch (the bit in
 * `maskid_status_bit` is still the published one), then the epoch that published it, kept for
 * `CHANGE_WINDOW_EPOCHS` (core) epochs so each manifest can carry the recent changes.
 */
export interface StatusChangeRow {
  platformNumber: string;
  purpose: 'revocation' | 'suspension';
  idx: number;
  epoch: number;
  /** 1: the bit becomes set; 0: cleared. */
  value: number;
}
export const StatusChangeEntity = new EntitySchema<StatusChangeRow>({
  name: 'MaskidStatusChange',
  tableName: 'maskid_status_change',
  columns: {
    platformNumber: { type: String, name: 'platform_number', length: 16, primary: true },
    purpose: { type: String, length: 16, primary: true },
    idx: { type: 'bigint', primary: true, transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } },
    epoch: { type: 'integer', primary: true },
    value: { type: 'integer' },
  },
  indices: [{ columns: ['platformNumber', 'epoch'] }],
});

/**
 * A status slot nothing more is issued at (left behind by a new generation, a deleted or a revoked
 * person), and when its bits may be cleared: once no credential carrying it can still be valid.
 */
export interface StatusReleaseRow {
  slot: number;
  /** ms since the epoch. */
  clearAt: number;
}
export const StatusReleaseEntity = new EntitySchema<StatusReleaseRow>({
  name: 'MaskidStatusRelease',
  tableName: 'maskid_status_release',
  columns: {
    slot: { type: 'bigint', primary: true, transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } },
    clearAt: { type: 'bigint', name: 'clear_at', transformer: { to: (v: number) => v, from: (v: string | number) => Number(v) } },
  },
  indices: [{ columns: ['clearAt'] }],
});

/** The current signed manifest of each platform. */
export interface StatusManifestRow {
  platformNumber: string;
  epoch: number;
  jwt: string;
}
export const StatusManifestEntity = new EntitySchema<StatusManifestRow>({
  name: 'MaskidStatusManifest',
  tableName: 'maskid_status_manifest',
  columns: {
    platformNumber: { type: String, name: 'platform_number', length: 16, primary: true },
    epoch: { type: 'integer' },
    jwt: { type: 'text' },
  },
});

/** Every maskid entity (Veramo's come from @veramo/data-store). */
export const MASKID_ENTITIES: EntitySchema[] = [
  MetaEntity,
  SecretEntity,
  PersonEntity,
  PlatformEntity,
  StatusBitEntity,
  OperatorEntity,
  AuditEntity,
  GrantEntity,
  StatusListEntity,
  StatusChangeEntity,
  StatusDirtyEntity,
  StatusManifestEntity,
  StatusReleaseEntity,
];

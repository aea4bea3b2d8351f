/**
 * Status: revocation and suspension bits per platform, computed from the person's status slot through
 * the keyed permutation (no allocation table). A change is staged; an epoch publishes the staged
 * changes as every platform's signed manifest (which carries the recent changes themselves) and signs
 * no list: a list version is signed when first asked for.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants as zlibConstants, deflateSync, gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { In, LessThanOrEqual, Not, type EntityManager } from 'typeorm';
import {
  CHANGE_WINDOW_EPOCHS,
  MAX_MANIFEST_CHANGES,
  MAX_MANIFEST_LIFETIME_SECONDS,
  STATUS_PURPOSES,
  TYP_STATUS_MANIFEST,
  VC_CONTEXT_V2,
  contextRelatedResource,
  contextUrlFor,
  decodeJwt,
  decodeListEpochs,
  encodeListEpochs,
  encodeStatusChanges,
  encodeTokenStatusList,
  manifestUrl,
  tokenStatusListUrl,
  signJwt,
  statusListUrl,
  statusListVersionUrl,
  MaskidError,
  type BitstringStatusListEntry,
  type StatusChanges,
  type StatusPurpose,
} from '@maskid/core';
import {
  GrantEntity,
  PersonEntity,
  PlatformEntity,
  StatusBitEntity,
  StatusChangeEntity,
  StatusDirtyEntity,
  StatusListEntity,
  StatusManifestEntity,
  StatusReleaseEntity,
  type PersonRow,
} from '../db/entities.js';
import { StatusIndexPermutation } from '../crypto/status-index.js';
import { MAX_BATCH } from '../agent/batch-issuer.js';
import { truncateWal } from '../db/data-source.js';
import { formatNetworkNumber } from '../network-number.js';
import { clearAtFor } from './validity.js';
import type { Issuer } from '../issuer.js';
import { AuditService } from './audit.js';
import { EnrollmentService, findPerson } from './enrollment.js';
import { toPlatform, type Platform } from './platforms.js';

export { clearAtFor, manifestUrl, statusListUrl, type StatusPurpose };
/** @deprecated the manifest `typ` lives in `@maskid/core` as `TYP_STATUS_MANIFEST`. */
export const TYP_MANIFEST = TYP_STATUS_MANIFEST;
/** The default epoch length (seconds): a manifest every 5 minutes, valid 3 epochs. */
export const DEFAULT_EPOCH_SECONDS = 300;
/** Lists signed by a key other than the current one that each epoch moves per platform, to be signed again under the current key when asked for (rolling, without a burst). */
export const RESIGN_PER_EPOCH = 64;

/**
 * Released slots whose bits one epoch clears at most (the rest wait for the next epoch: clearing is never
 * urgent). Small enough that 3 epochs of clearing and a national event rate fit one manifest's changes
 * (`MAX_MANIFEST_CHANGES`), large enough to keep up with releases at 8× that rate.
 */
export const CLEAR_PER_EPOCH = 4_000;

/**
 * `encodedList` of Bitstring Status List bits (`u` + base64url of GZIP) on node:zlib with the RLE
 * strategy (matches at distance 1 only: the runs of zero bytes of a sparse list). For a list at the
 * national steady fill it is ~20× faster than level 9 of the core codec's fflate and ~15 % smaller
 * (bench/status.mjs measures both); the core decoder reads it (tests), and the bytes are deterministic.
 */
export function encodeStatusBits(bits: Uint8Array): string {
  return `u${gzipSync(bits, { level: 9, strategy: zlibConstants.Z_RLE }).toString('base64url')}`;
}

/** The per-list epochs of a manifest this issuer signed (read back from its own database), and their packed members. */
function manifestLists(jwt: string, count: number): { epochs: Record<StatusPurpose, Uint32Array>; packed: Record<StatusPurpose, string> } | undefined {
  const lists = (decodeJwt(jwt, Number.MAX_SAFE_INTEGER).payload['lists'] ?? {}) as Record<string, unknown>;
  if (lists['count'] !== count) return undefined;
  return {
    epochs: { revocation: decodeListEpochs(lists['revocation'], count), suspension: decodeListEpochs(lists['suspension'], count) },
    packed: { revocation: String(lists['revocation']), suspension: String(lists['suspension']) },
  };
}

/**
 * Signed Token Status Lists per issuer, by platform, list number, the two lists' epochs and the key: shared
 * by every StatusService of the process, so an unchanged list is never signed twice (bounded).
 */
const tokenLists = new WeakMap<object, Map<string, string>>();

/** One `BitstringStatusListCredential` carrying its epoch (unsigned). */
function statusListCredential(
  did: string,
  relatedResource: unknown,
  url: string,
  purpose: StatusPurpose,
  encodedList: string,
  epoch: number,
  now: number,
): Record<string, unknown> {
  return {
    '@context': [VC_CONTEXT_V2, contextUrlFor(did)],
    id: url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: did,
    validFrom: new Date(now).toISOString(),
    relatedResource,
    credentialSubject: { id: `${url}#list`, type: 'BitstringStatusList', statusPurpose: purpose, encodedList, epoch },
  };
}

/** Where one slot sits on one platform. */
export interface StatusPosition {
  platform: Platform;
  index: number;
  list: number;
  offset: number;
}

/** The result of one published epoch. */
export interface PublishResult {
  epoch: number;
  platforms: number;
  /** Lists moved to this epoch (changed, first published, or signed under an older key); an epoch signs none of them. */
  lists: number;
  /** Released slots whose bits this epoch cleared (see {@link clearAtFor}). */
  cleared: number;
  /** Where files were exported (`--out`), if asked. */
  outDir?: string;
}

const platformKey = (n: bigint) => n.toString(16).padStart(16, '0');

/** Result of a status change. */
export interface StatusChange {
  networkNumber: string;
  state: string;
  changedBits: number;
  platforms: string[];
}

/**
 * Status service.
 *
 * @example
 * ```ts
 * await new StatusService(issuer).revoke({ networkNumber })      // every platform
 * await new StatusService(issuer).publish({ outDir: 'public/status' })
 * ```
 */
export class StatusService {
  readonly #perms = new Map<string, StatusIndexPermutation>();

  constructor(private readonly issuer: Issuer) {}

  async #perm(platform: Platform): Promise<StatusIndexPermutation> {
    const key = platform.number.toString(16);
    let p = this.#perms.get(key);
    if (!p) {
      p = StatusIndexPermutation.forPlatform(await this.issuer.secret('status_index'), platform.number, (await this.issuer.settings()).capacity);
      this.#perms.set(key, p);
    }
    return p;
  }

  /**
   * A synchronous position function for a batch over `platforms` (permutations and settings resolved
   * once; a position then costs the permutation's AES rounds only).
   */
  async positionsFor(platforms: readonly Platform[]): Promise<(platform: Platform, slot: number) => StatusPosition> {
    const { listSize } = await this.issuer.settings();
    const perms = new Map<Platform, StatusIndexPermutation>();
    for (const platform of platforms) perms.set(platform, await this.#perm(platform));
    return (platform, slot) => {
      const index = perms.get(platform)!.index(slot);
      return { platform, index, list: Math.floor(index / listSize), offset: index % listSize };
    };
  }

  /** The position of a slot on a platform. */
  async position(platform: Platform, slot: number): Promise<StatusPosition> {
    return (await this.positionsFor([platform]))(platform, slot);
  }

  /** The two `BitstringStatusListEntry`s (same index, revocation and suspension lists) of a position; `url` is the issuer URL. */
  entriesAt(url: string, pos: StatusPosition): [BitstringStatusListEntry, BitstringStatusListEntry] {
    const platform = pos.platform;
    const entry = (purpose: StatusPurpose): BitstringStatusListEntry => {
      const listUrl = statusListUrl(url, platform.id, purpose, pos.list);
      return { id: `${listUrl}#${pos.offset}`, type: 'BitstringStatusListEntry', statusPurpose: purpose, statusListIndex: String(pos.offset), statusListCredential: listUrl };
    };
    return [entry('revocation'), entry('suspension')];
  }

  async #platforms(m: EntityManager, platformId?: string): Promise<Platform[]> {
    const rows = platformId ? await m.findBy(PlatformEntity, { id: platformId }) : await m.find(PlatformEntity);
    if (platformId && rows.length === 0) throw new MaskidError('ERR_NOT_FOUND', `no platform ${platformId}`);
    return rows.map(toPlatform);
  }

  /**
   * Stages status changes on one platform for the next epoch: each entry's bit as it will be, against
   * the published bit and what is already staged (a change back to the published value unstages it, so
   * an epoch publishes only real changes). Returns how many entries change.
   */
  async #stage(m: EntityManager, pn: string, entries: readonly { purpose: StatusPurpose; idx: number; value: boolean }[]): Promise<number> {
    let changed = 0;
    for (let i = 0; i < entries.length; i += 500) {
      const part = entries.slice(i, i + 500);
      const idxs = [...new Set(part.map((e) => e.idx))];
      const published = new Set((await m.findBy(StatusBitEntity, { platformNumber: pn, idx: In(idxs) })).map((b) => `${b.purpose}:${b.idx}`));
      const staged = new Map((await m.findBy(StatusChangeEntity, { platformNumber: pn, epoch: 0, idx: In(idxs) })).map((c) => [`${c.purpose}:${c.idx}`, c.value === 1]));
      for (const { purpose, idx, value } of part) {
        const key = `${purpose}:${idx}`;
        const isPublished = published.has(key);
        if ((staged.get(key) ?? isPublished) === value) continue;
        changed++;
        if (value === isPublished) await m.delete(StatusChangeEntity, { platformNumber: pn, purpose, idx, epoch: 0 });
        else await m.save(StatusChangeEntity, { platformNumber: pn, purpose, idx, epoch: 0, value: value ? 1 : 0 });
        if (value === isPublished) staged.delete(key);
        else staged.set(key, value);
      }
    }
    return changed;
  }

  async #setBits(m: EntityManager, platforms: Platform[], slot: number, purpose: StatusPurpose, value: boolean): Promise<number> {
    const position = await this.positionsFor(platforms);
    let changed = 0;
    // Staged in the same transaction as the person's change (a crash loses neither); the next epoch publishes it.
    for (const platform of platforms) changed += await this.#stage(m, platformKey(platform.number), [{ purpose, idx: position(platform, slot).index, value }]);
    return changed;
  }

  /** Records that nothing more is issued at `slot`: its bits are cleared at {@link clearAtFor}. */
  async #release(m: EntityManager, slot: number): Promise<void> {
    const { credentialValidityDays } = await this.issuer.settings();
    await m.save(StatusReleaseEntity, { slot, clearAt: clearAtFor(Date.now(), credentialValidityDays) });
  }

  /**
   * Stages, on every platform and for both purposes, the clearing of the bits of up to
   * {@link CLEAR_PER_EPOCH} released slots whose time has come (inside the epoch's transaction, which
   * then publishes them).
   */
  async #clearReleased(m: EntityManager, platforms: Platform[], now: number): Promise<number> {
    const due = await m.find(StatusReleaseEntity, { where: { clearAt: LessThanOrEqual(now) }, order: { clearAt: 'ASC' }, take: CLEAR_PER_EPOCH });
    if (due.length === 0) return 0;
    const position = await this.positionsFor(platforms);
    for (const platform of platforms) {
      const entries = due.flatMap((r) => {
        const idx = position(platform, r.slot).index;
        return STATUS_PURPOSES.map((purpose) => ({ purpose, idx, value: false }));
      });
      await this.#stage(m, platformKey(platform.number), entries);
    }
    await m.delete(StatusReleaseEntity, { slot: In(due.map((r) => r.slot)) });
    return due.length;
  }

  /** Sets the suspension bit for a suspended person on a platform (issuance to a newer platform). */
  async ensureSuspended(platforms: readonly Platform[], slot: number): Promise<void> {
    await this.issuer.write((m) => this.#setBits(m, [...platforms], slot, 'suspension', true));
  }

  /** Runs a status change in one durable transaction with its audit entry. */
  async #change(
    networkNumber: string,
    action: string,
    platformId: string | undefined,
    apply: (m: EntityManager, person: PersonRow, platforms: Platform[]) => Promise<{ changed: number; state: PersonRow['state'] }>,
  ): Promise<StatusChange> {
    const result = await this.issuer.write(async (m) => {
      const person = await findPerson(this.issuer, networkNumber, m);
      if (person.state === 'deleted') throw new MaskidError('ERR_STATE_INVALID', 'this person was deleted');
      const platforms = await this.#platforms(m, platformId);
      const { changed, state } = await apply(m, person, platforms);
      // The date a wallet is told (`maskid_grant_state.since`): state changes and reissues.
      if (state !== person.state || action === 'reissue') await m.update(PersonEntity, { serial: person.serial }, { state, changedAt: new Date().toISOString() });
      await new AuditService(this.issuer).append(m, {
        action,
        subject: formatNetworkNumber(BigInt('0x' + person.serial)),
        ...(platformId ? { platform: platformId } : {}),
        detail: { changedBits: changed },
      });
      return { networkNumber: formatNetworkNumber(BigInt('0x' + person.serial)), state, changedBits: changed, platforms: platforms.map((p) => p.id) };
    });
    await new AuditService(this.issuer).signHead();
    return result;
  }

  /** Revokes the person's current credentials on one platform, or on all (then nothing more is issued). */
  async revoke(input: { networkNumber: string; platformId?: string }): Promise<StatusChange> {
    return this.#change(input.networkNumber, 'revoke', input.platformId, async (m, person, platforms) => {
      const changed = await this.#setBits(m, platforms, person.slot, 'revocation', true);
      if (!input.platformId) await this.#release(m, person.slot);
      return { changed, state: input.platformId ? person.state : 'revoked' };
    });
  }

  /** Suspends on one platform or all. */
  async suspend(input: { networkNumber: string; platformId?: string }): Promise<StatusChange> {
    return this.#change(input.networkNumber, 'suspend', input.platformId, async (m, person, platforms) => {
      if (person.state === 'revoked') throw new MaskidError('ERR_STATE_INVALID', 'this person is revoked');
      return { changed: await this.#setBits(m, platforms, person.slot, 'suspension', true), state: input.platformId ? person.state : 'suspended' };
    });
  }

  /** Lifts a suspension on one platform or all. */
  async resume(input: { networkNumber: string; platformId?: string }): Promise<StatusChange> {
    return this.#change(input.networkNumber, 'resume', input.platformId, async (m, person, platforms) => {
      if (person.state === 'revoked') throw new MaskidError('ERR_STATE_INVALID', 'this person is revoked; revocation is final (use reissue for a lost device)');
      return { changed: await this.#setBits(m, platforms, person.slot, 'suspension', false), state: input.platformId ? person.state : 'active' };
    });
  }

  /**
   * A new generation (lost device, renewal): every credential of the old generation is revoked on
   * every platform and the person moves to a fresh status slot. Masked IDs stay the same.
   */
  async reissue(input: { networkNumber: string }): Promise<StatusChange & { generation: number }> {
    let generation = 0;
    const change = await this.#change(input.networkNumber, 'reissue', undefined, async (m, person, platforms) => {
      if (person.state === 'revoked') throw new MaskidError('ERR_STATE_INVALID', 'this person is revoked');
      let changed = await this.#setBits(m, platforms, person.slot, 'revocation', true);
      await this.#release(m, person.slot);
      const slot = await new EnrollmentService(this.issuer).allocateSlot(m);
      generation = person.generation + 1;
      await m.update(PersonEntity, { serial: person.serial }, { slot, generation });
      // Earlier tokens stay as rows until they expire: the generation check refuses them, as `replaced`.
      if (person.state === 'suspended') changed += await this.#setBits(m, platforms, slot, 'suspension', true);
      return { changed, state: person.state };
    });
    return { ...change, generation };
  }

  /**
   * Erasure: revokes every credential, destroys the data key, the sealed data and the blind index, and
   * truncates the WAL so the old pages leave the disk (SQLite runs with `secure_delete`).
   */
  async delete(input: { networkNumber: string }): Promise<StatusChange> {
    const change = await this.#change(input.networkNumber, 'delete', undefined, async (m, person, platforms) => {
      const changed = await this.#setBits(m, platforms, person.slot, 'revocation', true);
      await this.#release(m, person.slot);
      await m.update(PersonEntity, { serial: person.serial }, { dataSealed: null, dataKeySealed: null, blindIndex: null, deletedAt: new Date().toISOString() });
      await m.delete(GrantEntity, { serial: person.serial });
      return { changed, state: 'deleted' };
    });
    await truncateWal(this.issuer.ds);
    return change;
  }

  /**
   * Publishes one epoch, in one write transaction (so one epoch at a time across issuer processes):
   * claims the next epoch number, makes the staged changes the published bits, moves the lists they
   * sit in to this epoch (plus, per platform, up to {@link RESIGN_PER_EPOCH} lists still signed by a key
   * that no longer signs) without signing them, and signs every platform's manifest with `iat`, `exp` =
   * `iat` + 3 epochs (at most 1 h) and the changes of the last {@link CHANGE_WINDOW_EPOCHS} epochs. With `ifDueMs`, nothing
   * happens (undefined) when the last epoch was published less than 90 % of that ago: the `serve`
   * scheduler calls it on a timer from every process.
   */
  async publish(
    input: { now?: number; epochSeconds?: number; ifDueMs?: number; outDir?: string; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<PublishResult> {
    const r = await this.publishIfDue(input);
    if (!r) throw new MaskidError('ERR_STATE_INVALID', 'an epoch was published moments ago; nothing to do');
    return r;
  }

  /** {@link publish}, or undefined when `ifDueMs` says it is not due. */
  async publishIfDue(
    input: { now?: number; epochSeconds?: number; ifDueMs?: number; outDir?: string; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<PublishResult | undefined> {
    const now = input.now ?? Date.now();
    const s = await this.issuer.settings();
    const { signer, kid } = await this.issuer.signer();
    const listsPerPurpose = s.capacity / s.listSize;
    const result = await this.issuer.write(async (m) => {
      const last = Number((await this.issuer.getMeta('epoch_published_at', m)) ?? '0');
      if (input.ifDueMs !== undefined && now - last < input.ifDueMs * 0.9) return undefined;
      const epochSeconds = input.epochSeconds ?? Number((await this.issuer.getMeta('epoch_seconds', m)) ?? DEFAULT_EPOCH_SECONDS);
      if (!Number.isSafeInteger(epochSeconds) || epochSeconds < 1 || epochSeconds > 86_400) throw new MaskidError('ERR_INPUT_INVALID', 'the epoch length must be 1 s to 1 day');
      const epoch = Number((await this.issuer.getMeta('epoch', m)) ?? '0') + 1;
      await this.issuer.setMeta('epoch', String(epoch), m);
      await this.issuer.setMeta('epoch_published_at', String(now), m);
      await this.issuer.setMeta('epoch_seconds', String(epochSeconds), m);
      const platforms = (await m.find(PlatformEntity, { order: { id: 'ASC' } })).map(toPlatform);
      // Placeholders of the database's own SQL (the two hot statements below bypass TypeORM's query builder).
      const ph = this.#ph();
      const cleared = await this.#clearReleased(m, platforms, now);
      // The first epoch whose changes are all in maskid_status_change: a manifest never offers changes from before it.
      const trackedFrom = Number((await this.issuer.getMeta('status_changes_from', m)) ?? epoch);
      if (trackedFrom === epoch) await this.issuer.setMeta('status_changes_from', String(epoch), m);
      let legacy = false;
      let lists = 0;
      for (const platform of platforms) {
        const pn = platformKey(platform.number);
        const moved = new Map<string, { purpose: StatusPurpose; listNo: number }>();
        const note = (purpose: StatusPurpose, listNo: number) => moved.set(`${purpose}-${listNo}`, { purpose, listNo });
        // This epoch's staged changes become the published bits (plain SQL, a few statements per platform).
        const staged: { purpose: StatusPurpose; idx: string | number; value: string | number }[] = await m.query(
          `SELECT purpose, idx, value FROM maskid_status_change WHERE platform_number = ${ph(1)} AND epoch = 0`,
          [pn],
        );
        for (const purpose of STATUS_PURPOSES) {
          const on = staged.filter((c) => c.purpose === purpose && Number(c.value) === 1).map((c) => Number(c.idx));
          const off = staged.filter((c) => c.purpose === purpose && Number(c.value) === 0).map((c) => Number(c.idx));
          for (let i = 0; i < on.length; i += 300) {
            const part = on.slice(i, i + 300);
            await m.query(
              `INSERT INTO maskid_status_bit (platform_number, purpose, idx) VALUES ${part.map((_, k) => `(${ph(3 * k + 1)}, ${ph(3 * k + 2)}, ${ph(3 * k + 3)})`).join(', ')} ON CONFLICT DO NOTHING`,
              part.flatMap((idx) => [pn, purpose, idx]),
            );
          }
          for (let i = 0; i < off.length; i += 500) {
            const part = off.slice(i, i + 500);
            await m.query(`DELETE FROM maskid_status_bit WHERE platform_number = ${ph(1)} AND purpose = ${ph(2)} AND idx IN (${part.map((_, k) => ph(k + 3)).join(', ')})`, [
              pn,
              purpose,
              ...part,
            ]);
          }
          for (const idx of [...on, ...off]) note(purpose, Math.floor(idx / s.listSize));
        }
        if (staged.length > 0) await m.query(`UPDATE maskid_status_change SET epoch = ${ph(1)} WHERE platform_number = ${ph(2)} AND epoch = 0`, [epoch, pn]);
        await m.query(`DELETE FROM maskid_status_change WHERE platform_number = ${ph(1)} AND epoch > 0 AND epoch <= ${ph(2)}`, [pn, epoch - CHANGE_WINDOW_EPOCHS]);
        // Lists a database from before per-entry changes marked dirty: their changes are unknown, so no manifest offers changes across this epoch.
        const dirty = await m.findBy(StatusDirtyEntity, { platformNumber: pn });
        for (const d of dirty) note(d.purpose, d.listNo);
        if (dirty.length > 0) {
          legacy = true;
          await m.delete(StatusDirtyEntity, { platformNumber: pn });
        }
        const previous = await m.findOneBy(StatusManifestEntity, { platformNumber: pn });
        if (!previous) {
          // First epoch of this platform (or of a database from before per-list epochs): every list holding a set bit.
          for (const b of await m.findBy(StatusBitEntity, { platformNumber: pn })) note(b.purpose, Math.floor(b.idx / s.listSize));
        }
        // Lists signed by a key that no longer signs move to this epoch unchanged, to be signed again when asked for (rolling, without a burst).
        for (const old of await m.find(StatusListEntity, { where: { platformNumber: pn, kid: Not(kid), jwt: Not('') }, take: RESIGN_PER_EPOCH })) note(old.purpose, old.listNo);
        const jobs = [...moved.values()];
        // Moved lists get this epoch and no signature (signed when first asked for: see listVersion); a signed
        // version before it stays servable as `prev` for a verifier one epoch behind.
        for (let i = 0; i < jobs.length; i += 500) {
          const part = jobs.slice(i, i + 500);
          const values = part.map((_, k) => `(${[1, 2, 3, 4, 5, 6].map((c) => ph(6 * k + c)).join(', ')})`).join(', ');
          await m.query(
            `INSERT INTO maskid_status_list (platform_number, purpose, list_no, epoch, kid, jwt) VALUES ${values}
             ON CONFLICT (platform_number, purpose, list_no) DO UPDATE SET
             prev_epoch = CASE WHEN maskid_status_list.jwt = '' THEN maskid_status_list.prev_epoch ELSE maskid_status_list.epoch END,
             prev_jwt = CASE WHEN maskid_status_list.jwt = '' THEN maskid_status_list.prev_jwt ELSE maskid_status_list.jwt END,
             epoch = excluded.epoch, kid = excluded.kid, jwt = excluded.jwt`,
            part.flatMap(({ purpose, listNo }) => [pn, purpose, listNo, epoch, kid, '']),
          );
        }
        lists += jobs.length;
        // The per-list epochs: the previous manifest's, with this epoch's lists moved forward (no scan of every
        // list row); a purpose with no changed list keeps its packed member as it was.
        const before = previous ? manifestLists(previous.jwt, listsPerPurpose) : undefined;
        const current = before?.epochs ?? { revocation: new Uint32Array(listsPerPurpose), suspension: new Uint32Array(listsPerPurpose) };
        if (!before) {
          for (const row of await m.find(StatusListEntity, { where: { platformNumber: pn }, select: { purpose: true, listNo: true, epoch: true } }))
            current[row.purpose][row.listNo] = row.epoch;
        }
        for (const { purpose, listNo } of jobs) current[purpose][listNo] = epoch;
        const packed = (purpose: StatusPurpose) =>
          before && !jobs.some((j) => j.purpose === purpose) ? before.packed[purpose] : encodeListEpochs(current[purpose], (bytes) => gzipSync(bytes, { level: 6 }));
        const changes = dirty.length > 0 ? undefined : await this.#recentChanges(m, pn, epoch, trackedFrom, ph);
        const iat = Math.floor(now / 1000);
        const manifest = await signJwt(
          { typ: TYP_STATUS_MANIFEST, kid },
          {
            iss: s.did,
            sub: platform.id,
            epoch,
            iat,
            exp: iat + Math.min(3 * epochSeconds, MAX_MANIFEST_LIFETIME_SECONDS),
            epochSeconds,
            lists: {
              base: `${s.url}/status/${platform.id}`,
              count: listsPerPurpose,
              listSize: s.listSize,
              revocation: packed('revocation'),
              suspension: packed('suspension'),
            },
            ...(changes ? { changes: encodeStatusChanges(changes, (bytes) => gzipSync(bytes, { level: 6 })) } : {}),
          },
          signer,
        );
        await m.save(StatusManifestEntity, { platformNumber: pn, epoch, jwt: manifest });
        input.onProgress?.(platforms.indexOf(platform) + 1, platforms.length);
      }
      // Lists moved without known changes: the next manifests offer changes only from after this epoch.
      if (legacy) await this.issuer.setMeta('status_changes_from', String(epoch + 1), m);
      const published: PublishResult = { epoch, platforms: platforms.length, lists, cleared };
      return published;
    });
    if (result && input.outDir) result.outDir = await this.exportTo(input.outDir);
    return result;
  }

  /**
   * The changes a manifest of `epoch` carries: every entry changed in the last {@link CHANGE_WINDOW_EPOCHS}
   * epochs (never before `trackedFrom`), with its value now; the window shrinks while it holds more than
   * {@link MAX_MANIFEST_CHANGES} entries (at the limit, `since` is the epoch itself: nothing to apply, the
   * verifiers fetch the moved lists).
   */
  async #recentChanges(m: EntityManager, pn: string, epoch: number, trackedFrom: number, ph: (i: number) => string): Promise<StatusChanges> {
    const oldest = Math.max(epoch - CHANGE_WINDOW_EPOCHS, trackedFrom - 1, 0);
    const rows: { purpose: StatusPurpose; idx: string | number; value: string | number; epoch: string | number }[] = await m.query(
      `SELECT purpose, idx, value, epoch FROM maskid_status_change WHERE platform_number = ${ph(1)} AND epoch > ${ph(2)} ORDER BY epoch`,
      [pn, oldest],
    );
    // Per entry its last change (rows come in epoch order).
    const last = new Map<string, { purpose: StatusPurpose; idx: number; value: boolean; epoch: number }>();
    for (const r of rows) last.set(`${r.purpose}:${r.idx}`, { purpose: r.purpose, idx: Number(r.idx), value: Number(r.value) === 1, epoch: Number(r.epoch) });
    let since = oldest;
    const inWindow = (e: { epoch: number }) => e.epoch > since;
    while (since < epoch && [...last.values()].filter(inWindow).length > MAX_MANIFEST_CHANGES) since++;
    const out: StatusChanges = {
      since,
      set: { revocation: new Uint32Array(0), suspension: new Uint32Array(0) },
      clear: { revocation: new Uint32Array(0), suspension: new Uint32Array(0) },
    };
    const entries = [...last.values()].filter(inWindow);
    for (const purpose of STATUS_PURPOSES) {
      const of = (value: boolean) => Uint32Array.from(entries.filter((e) => e.purpose === purpose && e.value === value).map((e) => e.idx)).sort();
      out.set[purpose] = of(true);
      out.clear[purpose] = of(false);
    }
    return out;
  }

  /** Signs status list credentials as `vc+jwt` through the agent's batch method, {@link MAX_BATCH} per call. */
  async #signLists(credentials: readonly Record<string, unknown>[], keyRef: string): Promise<string[]> {
    const s = await this.issuer.settings();
    const out: string[] = [];
    for (let i = 0; i < credentials.length; i += MAX_BATCH) {
      const part = credentials.slice(i, i + MAX_BATCH);
      out.push(...(await this.issuer.agent.maskidIssueBatch({ issuer: s.did, keyRef, proofFormat: 'vc+jwt', credentials: part })).credentials);
    }
    return out;
  }

  /** The signed manifest of a platform, or undefined before its first epoch. */
  async manifest(platform: Platform): Promise<{ epoch: number; jwt: string } | undefined> {
    return (await this.issuer.ds.getRepository(StatusManifestEntity).findOneBy({ platformNumber: platformKey(platform.number) })) ?? undefined;
  }

  /**
   * One signed list version: `epoch` undefined = the latest. An epoch signs no list: a version is
   * signed when first asked for and kept, so its immutable URL always answers the same bytes (across
   * processes the first signature stored wins). The latest version and the one before are kept; a
   * version between them still within the change window is rebuilt from the changes and kept as the one
   * before (a verifier that read a manifest just before an epoch). A list that never changed is epoch 0, all zeros: signed on demand
   * (for verifiers that read the canonical URL without the manifest).
   */
  async listVersion(platform: Platform, purpose: StatusPurpose, listNo: number, epoch?: number): Promise<{ epoch: number; jwt: string } | undefined> {
    const s = await this.issuer.settings();
    if (!Number.isSafeInteger(listNo) || listNo < 0 || listNo >= s.capacity / s.listSize) return undefined;
    const where = { platformNumber: platformKey(platform.number), purpose, listNo };
    const repo = this.issuer.ds.getRepository(StatusListEntity);
    // An epoch moving the list while its bits are read makes the read useless: read again (a few times at most).
    for (let attempt = 0; attempt < 4; attempt++) {
      const row = await repo.findOneBy(where);
      if (!row) return epoch === undefined || epoch === 0 ? { epoch: 0, jwt: await this.#zeroList(platform, purpose, listNo) } : undefined;
      const v = epoch ?? row.epoch;
      if (v === row.epoch && row.jwt !== '') return { epoch: v, jwt: row.jwt };
      if (v === row.prevEpoch && row.prevJwt) return { epoch: v, jwt: row.prevJwt };
      // Older than the kept previous version: gone (so a version is signed at most once: no request can make the issuer sign the same version again and again).
      if (v > row.epoch || (row.prevEpoch !== null && v < row.prevEpoch)) return undefined;
      if (v < row.epoch && !(await this.#isRecentVersion(where.platformNumber, purpose, listNo, v, s.listSize))) return undefined;
      const bits = await this.#bitsAt(where.platformNumber, purpose, listNo, v, s.listSize);
      if ((await repo.findOneBy(where))?.epoch !== row.epoch) continue;
      const url = statusListUrl(s.url, platform.id, purpose, listNo);
      const credential = statusListCredential(s.did, await contextRelatedResource(s.did), url, purpose, encodeStatusBits(bits), v, Date.now());
      const jwt = (await this.#signLists([credential], s.kid))[0]!;
      const { kid } = await this.issuer.signer();
      // One conditional statement (its condition keeps the first version stored; no issuer-wide lock needed).
      const ph = this.#ph();
      const key = [where.platformNumber, purpose, listNo, row.epoch];
      if (v === row.epoch) {
        await this.issuer.ds.query(
          `UPDATE maskid_status_list SET jwt = ${ph(1)}, kid = ${ph(2)} WHERE platform_number = ${ph(3)} AND purpose = ${ph(4)} AND list_no = ${ph(5)} AND epoch = ${ph(6)} AND jwt = ''`,
          [jwt, kid, ...key],
        );
      } else {
        await this.issuer.ds.query(
          `UPDATE maskid_status_list SET prev_epoch = ${ph(1)}, prev_jwt = ${ph(2)} WHERE platform_number = ${ph(3)} AND purpose = ${ph(4)} AND list_no = ${ph(5)} AND epoch = ${ph(6)} AND (prev_epoch IS NULL OR prev_epoch < ${ph(7)})`,
          [v, jwt, ...key, v],
        );
      }
      const stored = await repo.findOneBy(where);
      if (stored?.epoch === v && stored.jwt !== '') return { epoch: v, jwt: stored.jwt };
      if (stored?.prevEpoch === v && stored.prevJwt) return { epoch: v, jwt: stored.prevJwt };
      if (v < row.epoch) return { epoch: v, jwt };
    }
    return undefined;
  }

  /** An all-zeros list at epoch 0, signed once per process and key. */
  async #zeroList(platform: Platform, purpose: StatusPurpose, listNo: number): Promise<string> {
    const s = await this.issuer.settings();
    const key = `${platform.id}/${purpose}-${listNo}/${s.kid}`;
    let jwt = this.#zeroLists.get(key);
    if (!jwt) {
      const url = statusListUrl(s.url, platform.id, purpose, listNo);
      const credential = statusListCredential(s.did, await contextRelatedResource(s.did), url, purpose, encodeStatusBits(new Uint8Array(s.listSize / 8)), 0, Date.now());
      jwt = (await this.#signLists([credential], s.kid))[0]!;
      if (this.#zeroLists.size >= 4096) this.#zeroLists.clear();
      this.#zeroLists.set(key, jwt);
    }
    return jwt;
  }

  /** Whether the list changed in epoch `v` and every change after it is still recorded (the change window). */
  async #isRecentVersion(pn: string, purpose: StatusPurpose, listNo: number, v: number, listSize: number): Promise<boolean> {
    const current = Number((await this.issuer.getMeta('epoch')) ?? '0');
    const trackedFrom = Number((await this.issuer.getMeta('status_changes_from')) ?? Number.MAX_SAFE_INTEGER);
    if (v < trackedFrom || v < current - CHANGE_WINDOW_EPOCHS) return false;
    const ph = this.#ph();
    const rows: unknown[] = await this.issuer.ds.query(
      `SELECT 1 FROM maskid_status_change WHERE platform_number = ${ph(1)} AND purpose = ${ph(2)} AND epoch = ${ph(3)} AND idx BETWEEN ${ph(4)} AND ${ph(5)} LIMIT 1`,
      [pn, purpose, v, listNo * listSize, listNo * listSize + listSize - 1],
    );
    return rows.length > 0;
  }

  /** A list's bits as of epoch `v`: the published bits with every later recorded change undone. */
  async #bitsAt(pn: string, purpose: StatusPurpose, listNo: number, v: number, listSize: number): Promise<Uint8Array> {
    const bits = await this.#publishedBits(pn, purpose, listNo, listSize);
    const ph = this.#ph();
    const from = listNo * listSize;
    const later: { idx: string | number; value: string | number }[] = await this.issuer.ds.query(
      `SELECT idx, value FROM maskid_status_change WHERE platform_number = ${ph(1)} AND purpose = ${ph(2)} AND epoch > ${ph(3)} AND idx BETWEEN ${ph(4)} AND ${ph(5)} ORDER BY epoch`,
      [pn, purpose, v, from, from + listSize - 1],
    );
    const undone = new Set<number>();
    for (const r of later) {
      const i = Number(r.idx) - from;
      if (undone.has(i)) continue;
      undone.add(i);
      // Every recorded change flipped the bit: before the first one after v, it was the opposite.
      if (Number(r.value) === 1) bits[i >>> 3]! &= ~(0x80 >>> (i & 7));
      else bits[i >>> 3]! |= 0x80 >>> (i & 7);
    }
    return bits;
  }

  /** Placeholders of the database's own SQL. */
  #ph(): (i: number) => string {
    return (i) => this.issuer.placeholder(i);
  }

  /** A list's published bits (an index range scan of `maskid_status_bit`; plain SQL). */
  async #publishedBits(pn: string, purpose: StatusPurpose, listNo: number, listSize: number): Promise<Uint8Array> {
    const ph = this.#ph();
    const from = listNo * listSize;
    const bits = new Uint8Array(listSize / 8);
    const rows: { idx: string | number }[] = await this.issuer.ds.query(
      `SELECT idx FROM maskid_status_bit WHERE platform_number = ${ph(1)} AND purpose = ${ph(2)} AND idx BETWEEN ${ph(3)} AND ${ph(4)}`,
      [pn, purpose, from, from + listSize - 1],
    );
    for (const r of rows) {
      const i = Number(r.idx) - from;
      bits[i >>> 3]! |= 0x80 >>> (i & 7);
    }
    return bits;
  }

  readonly #zeroLists = new Map<string, string>();

  /**
   * A platform's Token Status List number `listNo` (IETF Token Status List, `statuslist+jwt`, 2 bits:
   * VALID, INVALID = revoked, SUSPENDED), the status of the SD-JWT VCLD form. It is a function of the two
   * Bitstring lists of the same number at their latest epochs, so it is signed lazily: on the first
   * request after either list changed (cached per epoch pair and key), never per epoch for every list —
   * it adds no signature to an epoch's publishing. `iat` is when it was signed, `ttl` the epoch length;
   * like the Bitstring lists it has no `exp` (a maskid verifier bounds freshness by the manifest, and
   * reads the same bits from the Bitstring lists).
   */
  async tokenStatusList(platform: Platform, listNo: number): Promise<string | undefined> {
    const s = await this.issuer.settings();
    if (!Number.isSafeInteger(listNo) || listNo < 0 || listNo >= s.capacity / s.listSize) return undefined;
    const repo = this.issuer.ds.getRepository(StatusListEntity);
    const where = { platformNumber: platformKey(platform.number), listNo };
    const epochsOf = async () => new Map((await repo.find({ where, select: { purpose: true, epoch: true } })).map((r) => [r.purpose, r.epoch]));
    let signed = tokenLists.get(this.issuer);
    if (!signed) {
      signed = new Map<string, string>();
      tokenLists.set(this.issuer, signed);
    }
    let epochs = await epochsOf();
    let key = '';
    let bits: Record<StatusPurpose, Uint8Array> | undefined;
    // The two lists' published bits at the epochs read before and after them (an epoch in between: read again).
    for (let attempt = 0; attempt < 4 && !bits; attempt++) {
      key = `${platform.id}/${listNo}/${epochs.get('revocation') ?? 0}/${epochs.get('suspension') ?? 0}/${s.kid}`;
      const cached = signed.get(key);
      if (cached) return cached;
      const read = {
        revocation: await this.#publishedBits(where.platformNumber, 'revocation', listNo, s.listSize),
        suspension: await this.#publishedBits(where.platformNumber, 'suspension', listNo, s.listSize),
      };
      const again = await epochsOf();
      if (STATUS_PURPOSES.every((p) => again.get(p) === epochs.get(p))) bits = read;
      epochs = again;
    }
    if (!bits) return undefined;
    const epochSeconds = Number((await this.issuer.getMeta('epoch_seconds')) ?? DEFAULT_EPOCH_SECONDS);
    const claims = {
      iss: s.url,
      sub: tokenStatusListUrl(s.url, platform.id, listNo),
      iat: Math.floor(Date.now() / 1000),
      ttl: epochSeconds,
      status_list: { bits: 2, lst: encodeTokenStatusList(bits.revocation, bits.suspension, s.listSize, (b) => deflateSync(b, { level: 9 })) },
    };
    const [jwt] = (await this.issuer.agent.maskidIssueBatch({ issuer: s.did, keyRef: s.kid, proofFormat: 'statuslist+jwt', credentials: [claims] })).credentials;
    if (signed.size >= 4096) signed.clear();
    signed.set(key, jwt!);
    return jwt;
  }

  /**
   * Writes the published documents as static files for a CDN or web server: per platform
   * `manifest`, and for every list that ever changed its canonical file `<purpose>-<n>`, its
   * immutable version `<purpose>-<n>.e<epoch>` and its Token Status List `token-<n>`. Written to a fresh directory and swapped in whole.
   */
  async exportTo(outDir: string): Promise<string> {
    const dir = resolve(outDir);
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const platforms = (await this.issuer.ds.getRepository(PlatformEntity).find()).map(toPlatform);
    for (const platform of platforms) {
      const pn = platformKey(platform.number);
      const pdir = join(tmp, platform.id);
      mkdirSync(pdir);
      const manifest = await this.manifest(platform);
      if (manifest) writeFileSync(join(pdir, 'manifest'), manifest.jwt);
      const changed = new Set<number>();
      for (const row of await this.issuer.ds.getRepository(StatusListEntity).findBy({ platformNumber: pn })) {
        const name = `${row.purpose}-${row.listNo}`;
        // Static files cannot sign on request: every version not signed yet is signed now.
        const latest = row.jwt !== '' ? row : await this.listVersion(platform, row.purpose, row.listNo, row.epoch);
        if (!latest) throw new MaskidError('ERR_STATE_INVALID', `status list ${name} moved during the export; export again`);
        writeFileSync(join(pdir, name), latest.jwt);
        writeFileSync(join(pdir, statusListVersionUrl(name, latest.epoch)), latest.jwt);
        if (row.prevEpoch !== null && row.prevJwt) writeFileSync(join(pdir, statusListVersionUrl(name, row.prevEpoch)), row.prevJwt);
        changed.add(row.listNo);
      }
      // The VCLD form's Token Status Lists of the lists that ever changed (a list that never changed has
      // none here: `serve` signs its all-valid Token Status List on request).
      for (const listNo of changed) writeFileSync(join(pdir, `token-${listNo}`), (await this.tokenStatusList(platform, listNo))!);
    }
    const old = `${dir}.old-${process.pid}`;
    rmSync(old, { recursive: true, force: true });
    try {
      renameSync(dir, old);
    } catch {
      mkdirSync(resolve(dir, '..'), { recursive: true });
    }
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
    return dir;
  }
}

/**
 * The issuer's own epoch schedule (`serve --epoch`): every process on a database ticks four times an
 * epoch and publishes when the last epoch is due (the check and the publication are one write
 * transaction, so processes never publish the same epoch twice). Returns a handle to stop it.
 *
 * @example
 * ```ts
 * const epochs = startEpochs(issuer, 300, (e) => log.warn(e))
 * epochs.stop()
 * ```
 */
export function startEpochs(
  issuer: Issuer,
  epochSeconds: number,
  onError: (e: unknown) => void,
  now: () => number = Date.now,
): { stop(): void; tick(): Promise<PublishResult | undefined> } {
  const service = new StatusService(issuer);
  const epochMs = epochSeconds * 1000;
  let running: Promise<PublishResult | undefined> | undefined;
  const tick = () => {
    running ??= service
      .publishIfDue({ epochSeconds, ifDueMs: epochMs, now: now() })
      .catch((e: unknown) => {
        onError(e);
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  void tick();
  const timer = setInterval(() => void tick(), Math.max(250, Math.floor(epochMs / 4)));
  timer.unref();
  return { stop: () => clearInterval(timer), tick };
}

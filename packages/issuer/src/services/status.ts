/**
 * Status: revocation and suspension bits per platform, computed from the person's status slot through
 * the keyed permutation (no allocation table), and publication of every platform's lists and signed
 * manifest on one epoch.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { constants as zlibConstants, deflateSync, gunzipSync, gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { In, LessThanOrEqual, Not, type EntityManager } from 'typeorm';
import {
  MAX_MANIFEST_LIFETIME_SECONDS,
  TYP_STATUS_MANIFEST,
  VC_CONTEXT_V2,
  contextRelatedResource,
  contextUrlFor,
  decodeJwt,
  decodeListEpochs,
  encodeListEpochs,
  encodeTokenStatusList,
  manifestUrl,
  tokenStatusListUrl,
  signJwt,
  statusListUrl,
  statusListVersionUrl,
  MaskidError,
  type BitstringStatusListEntry,
  type StatusPurpose,
} from '@maskid/core';
import {
  GrantEntity,
  PersonEntity,
  PlatformEntity,
  StatusBitEntity,
  StatusDirtyEntity,
  StatusListEntity,
  StatusManifestEntity,
  StatusReleaseEntity,
  type PersonRow,
  type StatusBitRow,
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
/** Lists signed by a key other than the current one that each epoch re-signs per platform (a rolling re-sign after a rotation, without a burst). */
export const RESIGN_PER_EPOCH = 64;

/** Released slots whose bits one epoch clears at most (the rest wait for the next epoch: clearing is never urgent). */
export const CLEAR_PER_EPOCH = 10_000;

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
  /** Lists signed in this epoch (changed, first published, or re-signed under a new key). */
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

  async #setBits(m: EntityManager, platforms: Platform[], slot: number, purpose: StatusPurpose, value: boolean): Promise<number> {
    let changed = 0;
    for (const platform of platforms) {
      const { index, list } = await this.position(platform, slot);
      const row: StatusBitRow = { platformNumber: platformKey(platform.number), purpose, idx: index };
      const exists = await m.findOneBy(StatusBitEntity, row);
      if (value === Boolean(exists)) continue;
      if (value) await m.insert(StatusBitEntity, row);
      else await m.delete(StatusBitEntity, row);
      // The list is re-signed at the next epoch (same transaction as the bit: a crash loses neither).
      const dirty = { platformNumber: row.platformNumber, purpose, listNo: list };
      if (!(await m.findOneBy(StatusDirtyEntity, dirty))) await m.insert(StatusDirtyEntity, dirty);
      changed++;
    }
    return changed;
  }

  /** Records that nothing more is issued at `slot`: its bits are cleared at {@link clearAtFor}. */
  async #release(m: EntityManager, slot: number): Promise<void> {
    const { credentialValidityDays } = await this.issuer.settings();
    await m.save(StatusReleaseEntity, { slot, clearAt: clearAtFor(Date.now(), credentialValidityDays) });
  }

  /**
   * Clears, on every platform and for both purposes, the bits of up to {@link CLEAR_PER_EPOCH} released
   * slots whose time has come (inside the epoch's transaction; the lists they sat in become dirty).
   */
  async #clearReleased(m: EntityManager, platforms: Platform[], now: number, listSize: number): Promise<number> {
    const due = await m.find(StatusReleaseEntity, { where: { clearAt: LessThanOrEqual(now) }, order: { clearAt: 'ASC' }, take: CLEAR_PER_EPOCH });
    if (due.length === 0) return 0;
    const position = await this.positionsFor(platforms);
    for (const platform of platforms) {
      const pn = platformKey(platform.number);
      const indexes = due.map((r) => position(platform, r.slot).index);
      let dirty: Set<string> | undefined;
      for (let i = 0; i < indexes.length; i += 500) {
        const part = indexes.slice(i, i + 500);
        const set = await m.findBy(StatusBitEntity, { platformNumber: pn, idx: In(part) });
        if (set.length === 0) continue;
        await m.delete(StatusBitEntity, { platformNumber: pn, idx: In(part) });
        // The platform's dirty lists, read once (the loop below keeps the set current).
        dirty ??= new Set((await m.findBy(StatusDirtyEntity, { platformNumber: pn })).map((d) => `${d.purpose}-${d.listNo}`));
        for (const b of set) {
          const listNo = Math.floor(b.idx / listSize);
          if (dirty.has(`${b.purpose}-${listNo}`)) continue;
          dirty.add(`${b.purpose}-${listNo}`);
          await m.insert(StatusDirtyEntity, { platformNumber: pn, purpose: b.purpose, listNo });
        }
      }
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
   * claims the next epoch number, re-signs only the lists whose bits changed (plus, per platform, up
   * to {@link RESIGN_PER_EPOCH} lists still signed by a key that no longer signs), and re-signs every
   * platform's manifest with `iat` and `exp` = `iat` + 3 epochs (at most 1 h). With `ifDueMs`, nothing
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
      const ph = (i: number) => (this.issuer.ds.options.type === 'postgres' ? `$${i}` : '?');
      const related = await contextRelatedResource(s.did);
      const listCredential = (url: string, purpose: StatusPurpose, encodedList: string, listEpoch: number) =>
        statusListCredential(s.did, related, url, purpose, encodedList, listEpoch, now);
      const cleared = await this.#clearReleased(m, platforms, now, s.listSize);
      let lists = 0;
      for (const platform of platforms) {
        const pn = platformKey(platform.number);
        const todo = new Map<string, { purpose: StatusPurpose; listNo: number }>();
        const note = (purpose: StatusPurpose, listNo: number) => todo.set(`${purpose}-${listNo}`, { purpose, listNo });
        for (const d of await m.findBy(StatusDirtyEntity, { platformNumber: pn })) note(d.purpose, d.listNo);
        const previous = await m.findOneBy(StatusManifestEntity, { platformNumber: pn });
        if (!previous) {
          // First epoch of this platform (or of a database from before per-list epochs): every list holding a set bit.
          for (const b of await m.findBy(StatusBitEntity, { platformNumber: pn })) note(b.purpose, Math.floor(b.idx / s.listSize));
        }
        for (const old of await m.find(StatusListEntity, { where: { platformNumber: pn, kid: Not(kid) }, take: RESIGN_PER_EPOCH })) note(old.purpose, old.listNo);
        const jobs = [...todo.values()];
        // Every changed list of the platform: bits read as bare indexes, one index range scan per list (plain
        // SQL: TypeORM's query building cost more than the read; one query for many ranges scanned more), encoded
        // on node:zlib, signed in one agent call.
        const credentials: Record<string, unknown>[] = [];
        for (const { purpose, listNo } of jobs) {
          const from = listNo * s.listSize;
          const bits = new Uint8Array(s.listSize / 8);
          const rows: { idx: string | number }[] = await m.query(
            `SELECT idx FROM maskid_status_bit WHERE platform_number = ${ph(1)} AND purpose = ${ph(2)} AND idx BETWEEN ${ph(3)} AND ${ph(4)}`,
            [pn, purpose, from, from + s.listSize - 1],
          );
          for (const r of rows) {
            const i = Number(r.idx) - from;
            bits[i >>> 3]! |= 0x80 >>> (i & 7);
          }
          credentials.push(listCredential(statusListUrl(s.url, platform.id, purpose, listNo), purpose, encodeStatusBits(bits), epoch));
        }
        const jwts = await this.#signLists(credentials, s.kid);
        // The new version replaces the row and the one before becomes `prev` (its URL stays servable for a
        // verifier one epoch behind): one upsert per 500 lists, in SQL (the old text is never read into the process).
        for (let i = 0; i < jobs.length; i += 500) {
          const part = jobs.slice(i, i + 500);
          const values = part.map((_, k) => `(${[1, 2, 3, 4, 5, 6].map((c) => ph(6 * k + c)).join(', ')})`).join(', ');
          await m.query(
            `INSERT INTO maskid_status_list (platform_number, purpose, list_no, epoch, kid, jwt) VALUES ${values}
             ON CONFLICT (platform_number, purpose, list_no) DO UPDATE SET prev_epoch = maskid_status_list.epoch, prev_jwt = maskid_status_list.jwt,
             epoch = excluded.epoch, kid = excluded.kid, jwt = excluded.jwt`,
            part.flatMap(({ purpose, listNo }, k) => [pn, purpose, listNo, epoch, kid, jwts[i + k]!]),
          );
        }
        lists += jobs.length;
        await m.delete(StatusDirtyEntity, { platformNumber: pn });
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
          },
          signer,
        );
        await m.save(StatusManifestEntity, { platformNumber: pn, epoch, jwt: manifest });
        input.onProgress?.(platforms.indexOf(platform) + 1, platforms.length);
      }
      const published: PublishResult = { epoch, platforms: platforms.length, lists, cleared };
      return published;
    });
    if (result && input.outDir) result.outDir = await this.exportTo(input.outDir);
    return result;
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
   * One signed list version: `epoch` undefined = the latest. A list that never changed is epoch 0,
   * all zeros: signed on demand (for verifiers that read the canonical URL without the manifest).
   */
  async listVersion(platform: Platform, purpose: StatusPurpose, listNo: number, epoch?: number): Promise<{ epoch: number; jwt: string } | undefined> {
    const s = await this.issuer.settings();
    if (!Number.isSafeInteger(listNo) || listNo < 0 || listNo >= s.capacity / s.listSize) return undefined;
    const row = await this.issuer.ds.getRepository(StatusListEntity).findOneBy({ platformNumber: platformKey(platform.number), purpose, listNo });
    if (row && (epoch === undefined || epoch === row.epoch)) return { epoch: row.epoch, jwt: row.jwt };
    if (row && epoch === row.prevEpoch && row.prevJwt) return { epoch, jwt: row.prevJwt };
    if (row || (epoch !== undefined && epoch !== 0)) return undefined;
    const key = `${platform.id}/${purpose}-${listNo}/${s.kid}`;
    let jwt = this.#zeroLists.get(key);
    if (!jwt) {
      const url = statusListUrl(s.url, platform.id, purpose, listNo);
      const credential = statusListCredential(s.did, await contextRelatedResource(s.did), url, purpose, encodeStatusBits(new Uint8Array(s.listSize / 8)), 0, Date.now());
      jwt = (await this.#signLists([credential], s.kid))[0]!;
      if (this.#zeroLists.size >= 4096) this.#zeroLists.clear();
      this.#zeroLists.set(key, jwt);
    }
    return { epoch: 0, jwt };
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
    const epochs = new Map((await repo.find({ where, select: { purpose: true, epoch: true } })).map((r) => [r.purpose, r.epoch]));
    const key = `${platform.id}/${listNo}/${epochs.get('revocation') ?? 0}/${epochs.get('suspension') ?? 0}/${s.kid}`;
    let signed = tokenLists.get(this.issuer);
    if (!signed) {
      signed = new Map<string, string>();
      tokenLists.set(this.issuer, signed);
    }
    const cached = signed.get(key);
    if (cached) return cached;
    const bits = { revocation: new Uint8Array(s.listSize / 8), suspension: new Uint8Array(s.listSize / 8) };
    for (const row of await repo.find({ where, select: { purpose: true, jwt: true } })) {
      const encoded = (decodeJwt(row.jwt, Number.MAX_SAFE_INTEGER).payload['credentialSubject'] as { encodedList: string }).encodedList;
      bits[row.purpose] = gunzipSync(Buffer.from(encoded.slice(1), 'base64url'));
    }
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
        writeFileSync(join(pdir, name), row.jwt);
        writeFileSync(join(pdir, statusListVersionUrl(name, row.epoch)), row.jwt);
        if (row.prevEpoch !== null && row.prevJwt) writeFileSync(join(pdir, statusListVersionUrl(name, row.prevEpoch)), row.prevJwt);
        changed.add(row.listNo);
      }
      // The VCLD form's Token Status Lists of the lists that ever changed (signed when their lists changed;
      // a list that never changed has none here: `serve` signs its all-valid Token Status List on request).
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

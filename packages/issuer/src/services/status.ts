/**
 * Status: revocation and suspension bits per platform, computed from the person's status slot through
 * the keyed permutation (no allocation table), and publication of every platform's lists and signed
 * manifest on one epoch.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EntityManager } from 'typeorm';
import {
  BitstringStatusList, signJwt, VC_CONTEXT_V2, MaskidError, type BitstringStatusListEntry,
} from '@maskid/core';
import { GrantEntity, PersonEntity, PlatformEntity, StatusBitEntity, type PersonRow, type StatusBitRow } from '../db/entities.js';
import { StatusIndexPermutation } from '../crypto/status-index.js';
import { truncateWal } from '../db/data-source.js';
import { formatNetworkNumber } from '../network-number.js';
import type { Issuer } from '../issuer.js';
import { AuditService } from './audit.js';
import { EnrollmentService, findPerson } from './enrollment.js';
import { toPlatform, type Platform } from './platforms.js';

export type StatusPurpose = 'revocation' | 'suspension';
export const TYP_MANIFEST = 'maskid-status-manifest+jwt';

/** Where one slot sits on one platform. */
export interface StatusPosition {
  platform: Platform;
  index: number;
  list: number;
  offset: number;
}

/** The URL of a platform's list. */
export function statusListUrl(issuerUrl: string, platformId: string, purpose: StatusPurpose, list: number): string {
  return `${issuerUrl}/status/${platformId}/${purpose}-${list}`;
}

/** The URL of a platform's manifest. */
export function manifestUrl(issuerUrl: string, platformId: string): string {
  return `${issuerUrl}/status/${platformId}/manifest`;
}

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

  /** The position of a slot on a platform. */
  async position(platform: Platform, slot: number): Promise<StatusPosition> {
    const { listSize } = await this.issuer.settings();
    const index = (await this.#perm(platform)).index(slot);
    return { platform, index, list: Math.floor(index / listSize), offset: index % listSize };
  }

  /** The two `BitstringStatusListEntry`s (same index, revocation and suspension lists). */
  async entriesFor(platform: Platform, slot: number): Promise<[BitstringStatusListEntry, BitstringStatusListEntry]> {
    const { url } = await this.issuer.settings();
    const pos = await this.position(platform, slot);
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
      const { index } = await this.position(platform, slot);
      const row: StatusBitRow = { platformNumber: platform.number.toString(16).padStart(16, '0'), purpose, idx: index };
      const exists = await m.findOneBy(StatusBitEntity, row);
      if (value && !exists) {
        await m.insert(StatusBitEntity, row);
        changed++;
      } else if (!value && exists) {
        await m.delete(StatusBitEntity, row);
        changed++;
      }
    }
    return changed;
  }

  /** Sets the suspension bit for a suspended person on a platform (issuance to a newer platform). */
  async ensureSuspended(platform: Platform, slot: number): Promise<void> {
    await this.issuer.write((m) => this.#setBits(m, [platform], slot, 'suspension', true));
  }

  /** Runs a status change in one durable transaction with its audit entry. */
  async #change(networkNumber: string, action: string, platformId: string | undefined,
    apply: (m: EntityManager, person: PersonRow, platforms: Platform[]) => Promise<{ changed: number; state: PersonRow['state'] }>): Promise<StatusChange> {
    const result = await this.issuer.write(async (m) => {
      const person = await findPerson(this.issuer, networkNumber, m);
      if (person.state === 'deleted') throw new MaskidError('ERR_STATE_INVALID', 'this person was deleted');
      const platforms = await this.#platforms(m, platformId);
      const { changed, state } = await apply(m, person, platforms);
      if (state !== person.state) await m.update(PersonEntity, { serial: person.serial }, { state });
      await new AuditService(this.issuer).append(m, { action, subject: formatNetworkNumber(BigInt('0x' + person.serial)), ...(platformId ? { platform: platformId } : {}), detail: { changedBits: changed } });
      return { networkNumber: formatNetworkNumber(BigInt('0x' + person.serial)), state, changedBits: changed, platforms: platforms.map((p) => p.id) };
    });
    await new AuditService(this.issuer).signHead();
    return result;
  }

  /** Revokes the person's current credentials on one platform, or on all (then nothing more is issued). */
  async revoke(input: { networkNumber: string; platformId?: string }): Promise<StatusChange> {
    return this.#change(input.networkNumber, 'revoke', input.platformId, async (m, person, platforms) => ({
      changed: await this.#setBits(m, platforms, person.slot, 'revocation', true),
      state: input.platformId ? person.state : 'revoked',
    }));
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
      const slot = await new EnrollmentService(this.issuer).allocateSlot(m);
      generation = person.generation + 1;
      await m.update(PersonEntity, { serial: person.serial }, { slot, generation });
      await m.delete(GrantEntity, { serial: person.serial });
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
      await m.update(PersonEntity, { serial: person.serial }, { dataSealed: null, dataKeySealed: null, blindIndex: null, deletedAt: new Date().toISOString() });
      await m.delete(GrantEntity, { serial: person.serial });
      return { changed, state: 'deleted' };
    });
    await truncateWal(this.issuer.ds);
    return change;
  }

  /**
   * Publishes one epoch: for every platform all its revocation and suspension lists (`vc+jwt`
   * BitstringStatusListCredentials with `ttl` and `validUntil`) and a signed manifest of their URLs.
   * Files are written to a fresh directory and swapped in, so readers never see half an epoch.
   */
  async publish(input: { outDir?: string; now?: number; onProgress?: (done: number, total: number) => void } = {}): Promise<{ epoch: number; outDir: string; platforms: number; lists: number; setBits: number }> {
    const s = await this.issuer.settings();
    const now = input.now ?? Date.now();
    const outDir = resolve(input.outDir ?? join(this.issuer.dataDir, 'public', 'status'));
    const tmp = `${outDir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    // Claim the epoch number first, so two publishing processes never write the same epoch.
    const epoch = await this.issuer.write(async (m) => {
      const next = Number((await this.issuer.getMeta('epoch', m)) ?? '0') + 1;
      await this.issuer.setMeta('epoch', String(next), m);
      return next;
    });
    const platforms = (await this.issuer.ds.getRepository(PlatformEntity).find({ order: { id: 'ASC' } })).map(toPlatform);
    const listsPerPlatform = s.capacity / s.listSize;
    const validFrom = new Date(now).toISOString();
    const validUntil = new Date(now + s.listValidityMs).toISOString();
    const { signer, kid } = await this.issuer.signer();
    let lists = 0;
    let setBits = 0;
    const total = platforms.length * listsPerPlatform * 2;
    for (const platform of platforms) {
      const dir = join(tmp, platform.id);
      mkdirSync(dir);
      const bits = await this.issuer.ds.getRepository(StatusBitEntity).findBy({ platformNumber: platform.number.toString(16).padStart(16, '0') });
      setBits += bits.length;
      const manifestLists: { purpose: StatusPurpose; url: string }[] = [];
      for (const purpose of ['revocation', 'suspension'] as const) {
        const built = Array.from({ length: listsPerPlatform }, () => BitstringStatusList.create(s.listSize));
        for (const b of bits) if (b.purpose === purpose) built[Math.floor(b.idx / s.listSize)]!.set(b.idx % s.listSize, true);
        for (let n = 0; n < listsPerPlatform; n++) {
          const url = statusListUrl(s.url, platform.id, purpose, n);
          const credential = {
            '@context': [VC_CONTEXT_V2],
            id: url,
            type: ['VerifiableCredential', 'BitstringStatusListCredential'],
            issuer: s.did,
            validFrom,
            validUntil,
            credentialSubject: { id: `${url}#list`, type: 'BitstringStatusList', statusPurpose: purpose, encodedList: built[n]!.encode(), ttl: s.ttlMs },
          };
          const vc = (await this.issuer.agent.createVerifiableCredential({ credential: credential as never, proofFormat: 'vc+jwt' as never, keyRef: s.kid })) as unknown as { id: string };
          writeFileSync(join(dir, `${purpose}-${n}.jwt`), vc.id.slice('data:application/vc+jwt,'.length));
          manifestLists.push({ purpose, url });
          lists++;
          input.onProgress?.(lists, total);
        }
      }
      const manifest = await signJwt({ typ: TYP_MANIFEST, kid }, {
        iss: s.did, sub: platform.id, epoch, iat: Math.floor(now / 1000), exp: Math.floor((now + s.listValidityMs) / 1000), ttl: s.ttlMs, lists: manifestLists,
      }, signer);
      writeFileSync(join(dir, 'manifest.jwt'), manifest);
    }
    writeFileSync(join(tmp, 'epoch.json'), JSON.stringify({ epoch, publishedAt: validFrom, validUntil, platforms: platforms.map((p) => p.id) }, null, 2));
    const old = `${outDir}.old-${process.pid}`;
    rmSync(old, { recursive: true, force: true });
    try {
      renameSync(outDir, old);
    } catch {
      mkdirSync(resolve(outDir, '..'), { recursive: true });
    }
    renameSync(tmp, outDir);
    rmSync(old, { recursive: true, force: true });
    return { epoch, outDir, platforms: platforms.length, lists, setBits };
  }
}

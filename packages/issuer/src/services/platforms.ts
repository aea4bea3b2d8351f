/**
 * The platform registry: each platform gets a unique random 64-bit number at `platform add` (never
 * derived from its chosen id), a verified name, web origins and the claims it may receive.
 */
import { randomBytes } from 'node:crypto';
import {
  FORMAT_DC_SD_JWT,
  FORMAT_ID,
  PLATFORM_ID_PATTERN,
  PLATFORM_REGISTRY_PATH,
  PLATFORM_REGISTRY_TYPE,
  REGISTRY_VALIDITY_SECONDS,
  VC_CONTEXT_V2,
  contextRelatedResource,
  contextUrlFor,
  isClaimName,
  isFormatList,
  manifestUrl,
  platformFormats,
  MaskidError,
  type ClaimName,
  type CredentialFormat,
} from '@maskid/core';
import { signVcJwt } from '../agent/signing.js';
import { PlatformEntity, type PlatformRow } from '../db/entities.js';
import type { Issuer } from '../issuer.js';

/** The registry as last read, per issuer, with the version it was read at. */
interface RegistrySnapshot {
  version: string;
  platforms: Platform[];
  byId: Map<string, Platform>;
}
const registries = new WeakMap<object, RegistrySnapshot>();

/** A platform as the registry describes it. */
export interface Platform {
  id: string;
  number: bigint;
  name: string;
  origins: string[];
  claims: ClaimName[];
  /** The credential forms its verifiers ask for (the registry's `formats`; default the VCDM form). */
  formats: CredentialFormat[];
  createdAt: string;
}

export function toPlatform(row: PlatformRow): Platform {
  return {
    id: row.id,
    number: BigInt('0x' + row.number),
    name: row.name,
    origins: row.origins,
    claims: row.claims as ClaimName[],
    formats: platformFormats({ ...(row.formats ? { formats: row.formats as CredentialFormat[] } : {}) }),
    createdAt: row.createdAt,
  };
}

/** Checks a web origin: scheme + host (+ port), no path; http only for localhost in dev. */
export function checkOrigin(origin: string, dev: boolean): string {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    throw new MaskidError('ERR_INPUT_INVALID', `origin is not a URL: ${origin}`);
  }
  if (u.origin !== origin) throw new MaskidError('ERR_INPUT_INVALID', `origin must be scheme://host[:port] with no path or slash, e.g. ${u.origin}`);
  const local = u.hostname === 'localhost' || u.hostname === '127.0.0.1';
  if (u.protocol !== 'https:' && !(dev && local && u.protocol === 'http:'))
    throw new MaskidError('ERR_INPUT_INVALID', `origin must be https (http only for localhost with --dev): ${origin}`);
  return u.origin;
}

/**
 * Platform registry.
 *
 * @example
 * ```ts
 * await new PlatformService(issuer).add({ id: 'shop-a', name: 'Shop A', origins: ['https://shop-a.example'], claims: ['ageOver18'] })
 * ```
 */
export class PlatformService {
  constructor(private readonly issuer: Issuer) {}

  async add(input: { id: string; name: string; origins: string[]; claims: string[]; formats?: string[] }): Promise<Platform> {
    if (!PLATFORM_ID_PATTERN.test(input.id ?? '')) throw new MaskidError('ERR_INPUT_INVALID', 'platform id must be 2-63 characters of a-z, 0-9 and -');
    const name = (input.name ?? '').trim();
    if (!name || name.length > 200) throw new MaskidError('ERR_INPUT_INVALID', 'platform name is required (at most 200 characters)');
    if (!input.origins?.length) throw new MaskidError('ERR_INPUT_INVALID', 'at least one --origin is required');
    const origins = [...new Set(input.origins.map((o) => checkOrigin(o, this.issuer.dev)))];
    if (!input.claims?.length) throw new MaskidError('ERR_INPUT_INVALID', 'at least one claim is required');
    const claims: ClaimName[] = [];
    for (const c of input.claims) {
      if (!isClaimName(c)) throw new MaskidError('ERR_INPUT_INVALID', `unknown claim ${c}`);
      if (!claims.includes(c)) claims.push(c);
    }
    const formats = input.formats === undefined ? undefined : [...new Set(input.formats)];
    if (formats !== undefined && !isFormatList(formats)) throw new MaskidError('ERR_INPUT_INVALID', `formats must be ${FORMAT_ID} and/or ${FORMAT_DC_SD_JWT}`);
    return this.issuer.write(async (m) => {
      if (await m.findOneBy(PlatformEntity, { id: input.id })) throw new MaskidError('ERR_CONFLICT', `platform ${input.id} already exists`);
      const taken = (await m.find(PlatformEntity)).flatMap((p) => p.origins);
      const clash = origins.find((o) => taken.includes(o));
      if (clash) throw new MaskidError('ERR_CONFLICT', `origin ${clash} already belongs to another platform`);
      let number: string;
      do number = randomBytes(8).toString('hex');
      while (number === '0000000000000000' || (await m.findOneBy(PlatformEntity, { number })));
      const row: PlatformRow = { id: input.id, number, name, origins, claims, formats: formats ?? null, createdAt: new Date().toISOString() };
      await m.insert(PlatformEntity, row);
      // The registry's version only grows: wallets refuse an older registry than the one they hold.
      await this.issuer.setMeta('registry_version', String(Number((await this.issuer.getMeta('registry_version', m)) ?? '0') + 1), m);
      return toPlatform(row);
    });
  }

  /**
   * The signed platform registry (`vc+jwt` `PlatformRegistryCredential`, see `@maskid/core` registry):
   * its `version` (grows with every registry change), valid {@link REGISTRY_VALIDITY_SECONDS} from `now`.
   */
  async signedRegistry(now = Date.now()): Promise<{ version: number; jwt: string }> {
    const s = await this.issuer.settings();
    const version = await this.registryVersion();
    const platforms = (await this.list()).map((p) => ({ id: p.id, name: p.name, origins: p.origins, claims: p.claims, manifest: manifestUrl(s.url, p.id), formats: p.formats }));
    const id = `${s.url}${PLATFORM_REGISTRY_PATH}`;
    const jwt = await signVcJwt(
      this.issuer.agent,
      {
        '@context': [VC_CONTEXT_V2, contextUrlFor(s.did)],
        id,
        type: ['VerifiableCredential', PLATFORM_REGISTRY_TYPE],
        issuer: s.did,
        validFrom: new Date(now).toISOString(),
        validUntil: new Date(now + REGISTRY_VALIDITY_SECONDS * 1000).toISOString(),
        relatedResource: await contextRelatedResource(s.did),
        credentialSubject: { id, version, platforms },
      },
      s.kid,
    );
    return { version, jwt };
  }

  /** The registry's current version (1 before any platform exists). */
  async registryVersion(): Promise<number> {
    return Number((await this.issuer.getMeta('registry_version')) ?? '0') || 1;
  }

  /**
   * Every platform, by id. Platforms are only ever added, each in the transaction that bumps the registry
   * version, so the list is read again only when that version moved (one small read per call instead of
   * every row: every token response names every platform). Shared by all services of one issuer.
   */
  async list(): Promise<Platform[]> {
    return (await this.#current()).platforms;
  }

  /** The platforms named by `ids` that exist (from the same cached registry). */
  async byIds(ids: Iterable<string>): Promise<Map<string, Platform>> {
    const { byId } = await this.#current();
    const out = new Map<string, Platform>();
    for (const id of ids) {
      const p = byId.get(id);
      if (p) out.set(id, p);
    }
    return out;
  }

  async get(id: string): Promise<Platform> {
    const p = (await this.#current()).byId.get(id);
    if (!p) throw new MaskidError('ERR_NOT_FOUND', `no platform ${id}`);
    return p;
  }

  async #current(): Promise<RegistrySnapshot> {
    const version = (await this.issuer.getMeta('registry_version')) ?? '0';
    const held = registries.get(this.issuer);
    if (held && held.version === version) return held;
    // Read the version before the rows: a platform added in between makes the next call read again.
    const platforms = (await this.issuer.ds.getRepository(PlatformEntity).find({ order: { id: 'ASC' } })).map(toPlatform);
    const snapshot: RegistrySnapshot = { version, platforms, byId: new Map(platforms.map((p) => [p.id, p])) };
    registries.set(this.issuer, snapshot);
    return snapshot;
  }
}

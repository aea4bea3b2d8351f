/**
 * Credential issuance: one SD-JWT per (person, platform, form), a person's whole batch in one pass through
 * the Veramo agent's `maskidIssueBatch`. Masked ID from K_mask, status index from the keyed
 * permutation, `validUntil` drawn per credential on a day grid, no `validFrom`.
 */
import { randomInt } from 'node:crypto';
import {
  birthdayAt,
  buildCredentialClaims,
  envelope,
  FORMAT_DC_SD_JWT,
  FORMAT_ID,
  maskidContext,
  MaskidError,
  vcldClaimsOf,
  type CredentialFormat,
  type EnvelopedVerifiableCredential,
  type PersonClaims,
} from '@maskid/core';
import { maskedIdEncoder, maskedIdFor } from '../crypto/masked-id.js';
import { holderJwk } from '../crypto/holder-key.js';
import type { PersonRow } from '../db/entities.js';
import type { Issuer } from '../issuer.js';
import { EnrollmentService, findPerson, type PersonData } from './enrollment.js';
import { PlatformService, type Platform } from './platforms.js';
import { StatusService } from './status.js';
import { validUntilFor } from './validity.js';

export { maxValidityDays, validUntilFor } from './validity.js';

/** The disclosable claims of a person at `now`. */
export function claimsAt(data: PersonData, now: number): PersonClaims {
  return {
    givenName: data.givenName,
    familyName: data.familyName,
    birthDate: data.birthDate,
    ageOver14: birthdayAt(data.birthDate, 14) <= now,
    ageOver16: birthdayAt(data.birthDate, 16) <= now,
    ageOver18: birthdayAt(data.birthDate, 18) <= now,
    gender: data.gender,
    region: data.region,
    nationality: data.nationality,
    realNameVerified: true,
  };
}

/** An issued credential and what the operator may need to know about it. */
export interface IssuedCredential {
  /** The form: the profile's VCDM 2.0 SD-JWT or the SD-JWT VCLD form. */
  format: CredentialFormat;
  /** The VCDM form as an `EnvelopedVerifiableCredential` (the VCLD form is an SD-JWT VC, not enveloped). */
  credential?: EnvelopedVerifiableCredential;
  sdJwt: string;
  platform: string;
  maskedId: string;
  statusListIndex: string;
  /** The index in the platform's whole index space (list number × list size + statusListIndex). */
  statusIndex: number;
  validUntil: string;
}

/** One credential of a batch: the platform, the holder's `did:jwk` (a fresh key per credential) and the form (default VCDM). */
export interface BatchItem {
  platform: Platform;
  holder: string;
  format?: CredentialFormat;
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

/**
 * Credential service.
 *
 * @example
 * ```ts
 * const issued = await new CredentialService(issuer).issue({ networkNumber, platformId: 'shop-a', holder: 'did:jwk:...' })
 * const batch = await new CredentialService(issuer).issueBatch(person, platforms.map((platform, i) => ({ platform, holder: holders[i] })), Date.now())
 * ```
 */
export class CredentialService {
  readonly #enrollment: EnrollmentService;
  readonly #platforms: PlatformService;
  readonly #status: StatusService;
  readonly #random: (max: number) => number;

  /** `random` draws each credential's validity (injected by simulations; default node:crypto). */
  constructor(
    private readonly issuer: Issuer,
    options: { random?: (max: number) => number } = {},
  ) {
    this.#enrollment = new EnrollmentService(issuer);
    this.#platforms = new PlatformService(issuer);
    this.#status = new StatusService(issuer);
    this.#random = options.random ?? randomInt;
  }

  /** The masked ID of a person on a platform (current K_mask version). */
  async maskedId(serial: bigint, platform: Platform): Promise<string> {
    return maskedIdFor(await this.issuer.secret('k_mask_v1'), 1, serial, platform.number);
  }

  /** One credential, by network number and platform id (the CLI's `issue`). */
  async issue(input: { networkNumber: string; platformId: string; holder: string; format?: CredentialFormat; now?: number }): Promise<IssuedCredential> {
    const person = await findPerson(this.issuer, input.networkNumber);
    const platform = await this.#platforms.get(input.platformId);
    const [issued] = await this.issueBatch(person, [{ platform, holder: input.holder, ...(input.format ? { format: input.format } : {}) }], input.now ?? Date.now());
    return issued!;
  }

  /**
   * A person's credentials for many platforms in one pass: the person is decrypted once, every holder
   * key is checked before anything is signed, suspension bits (for a suspended person) are ensured in
   * one transaction, and the agent's `maskidIssueBatch` signs the whole batch. Writes nothing for an
   * active person.
   */
  async issueBatch(person: PersonRow, items: readonly BatchItem[], now: number): Promise<IssuedCredential[]> {
    if (person.state === 'revoked' || person.state === 'deleted') throw new MaskidError('ERR_STATE_INVALID', `this person is ${person.state}; nothing can be issued`);
    if (items.length === 0) return [];
    const holders = items.map((item) => holderJwk(item.holder));
    const settings = await this.issuer.settings();
    const data = await this.#enrollment.personData(person);
    const claims = claimsAt(data, now);
    const serial = BigInt('0x' + person.serial);
    const kMask = await this.issuer.secret('k_mask_v1');
    const contextDigestSRI = (await maskidContext(settings.did)).digestSRI;
    if (person.state === 'suspended')
      await this.#status.ensureSuspended(
        items.map((i) => i.platform),
        person.slot,
      );
    const positionOf = await this.#status.positionsFor(items.map((i) => i.platform));
    const maskedId = maskedIdEncoder(kMask, 1);
    const built = items.map(({ platform, holder }, i) => {
      const pos = positionOf(platform, person.slot);
      const entries = this.#status.entriesAt(settings.url, pos);
      const validUntil = iso(validUntilFor(now, settings.credentialValidityDays, this.#random));
      const masked = maskedId(serial, platform.number);
      const vc = buildCredentialClaims({
        issuer: settings.did,
        kid: settings.kid,
        validUntil,
        holder: { id: holder, jwk: holders[i]! },
        maskedId: masked,
        platform: platform.id,
        credentialStatus: entries,
        claims,
        contextDigestSRI,
      });
      const format = items[i]!.format ?? FORMAT_ID;
      const claimsSet = format === FORMAT_ID ? vc : vcldClaimsOf(vc, settings.url, pos.list);
      return {
        claimsSet: claimsSet as unknown as Record<string, unknown>,
        format,
        platform: platform.id,
        maskedId: masked,
        statusListIndex: entries[0].statusListIndex,
        statusIndex: pos.index,
        validUntil,
      };
    });
    // One agent call per form present (a batch is usually one form), each a single signing pass.
    const sdJwts: string[] = new Array(built.length);
    for (const format of [FORMAT_ID, FORMAT_DC_SD_JWT] as const) {
      const at = built.flatMap((b, i) => (b.format === format ? [i] : []));
      if (at.length === 0) continue;
      const { credentials } = await this.issuer.agent.maskidIssueBatch({
        issuer: settings.did,
        keyRef: settings.kid,
        proofFormat: format,
        credentials: at.map((i) => built[i]!.claimsSet),
      });
      at.forEach((i, k) => {
        sdJwts[i] = credentials[k]!;
      });
    }
    return built.map(({ claimsSet: _c, ...rest }, i) => ({ ...rest, sdJwt: sdJwts[i]!, ...(rest.format === FORMAT_ID ? { credential: envelope(sdJwts[i]!) } : {}) }));
  }
}

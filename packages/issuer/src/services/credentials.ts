/**
 * Credential issuance: one SD-JWT per (person, platform), through the Veramo agent's `vc+sd-jwt`
 * provider. Masked ID from K_mask, status index from the keyed permutation, validity rounded to the
 * day and jittered per credential (the same way for every person).
 */
import { randomInt } from 'node:crypto';
import { buildCredentialClaims, jwkFromDidJwk, maskidContext, MaskidError, type EnvelopedVerifiableCredential, type PersonClaims } from '@maskid/core';
import { signSdJwt } from '../agent/signing.js';
import { maskedIdFor } from '../crypto/masked-id.js';
import type { PersonRow } from '../db/entities.js';
import type { Issuer } from '../issuer.js';
import { EnrollmentService, findPerson, type PersonData } from './enrollment.js';
import { PlatformService, type Platform } from './platforms.js';
import { StatusService } from './status.js';

const DAY = 86_400_000;

/** `birthDate` + `years`, as a UTC midnight timestamp (29 February → 1 March in common years). */
export function birthdayAt(birthDate: string, years: number): number {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const t = Date.UTC(y + years, m - 1, d);
  return new Date(t).getUTCDate() === d ? t : Date.UTC(y + years, m, 1);
}

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

/**
 * Validity of one credential: `validFrom` is today's UTC midnight minus 0–2 days, `validUntil` is
 * midnight `validityDays` + 0–6 days ahead, for everybody alike. It is deliberately *not* capped at
 * the next 14th/16th/18th birthday (as the first design said): that date would be the same in the
 * person's credentials for every platform, a value two colluding platforms could join on. An age claim
 * only ever changes from false to true, so a credential issued before the birthday under-claims until
 * the wallet's next refresh (every 12–18 h), it never over-claims.
 */
export function validityFor(now: number, validityDays: number, random: (max: number) => number = randomInt): { validFrom: number; validUntil: number } {
  const today = Math.floor(now / DAY) * DAY;
  return { validFrom: today - random(3) * DAY, validUntil: today + (validityDays + random(7)) * DAY };
}

/** An issued credential and what the operator may need to know about it. */
export interface IssuedCredential {
  credential: EnvelopedVerifiableCredential;
  sdJwt: string;
  platform: string;
  maskedId: string;
  statusListIndex: string;
  /** The index in the platform's whole index space (list number × list size + statusListIndex). */
  statusIndex: number;
  validFrom: string;
  validUntil: string;
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

/**
 * Credential service.
 *
 * @example
 * ```ts
 * const issued = await new CredentialService(issuer).issue({ networkNumber, platformId: 'shop-a', holder: 'did:jwk:...' })
 * ```
 */
export class CredentialService {
  readonly #enrollment: EnrollmentService;
  readonly #platforms: PlatformService;
  readonly #status: StatusService;

  constructor(private readonly issuer: Issuer) {
    this.#enrollment = new EnrollmentService(issuer);
    this.#platforms = new PlatformService(issuer);
    this.#status = new StatusService(issuer);
  }

  /** The masked ID of a person on a platform (current K_mask version). */
  async maskedId(serial: bigint, platform: Platform): Promise<string> {
    return maskedIdFor(await this.issuer.secret('k_mask_v1'), 1, serial, platform.number);
  }

  async issue(input: { networkNumber: string; platformId: string; holder: string; now?: number }): Promise<IssuedCredential> {
    const person = await findPerson(this.issuer, input.networkNumber);
    const platform = await this.#platforms.get(input.platformId);
    return this.issueFor(person, platform, input.holder, input.now ?? Date.now());
  }

  /** Issues for an already loaded person and platform (the wallet endpoint issues a batch this way). */
  async issueFor(person: PersonRow, platform: Platform, holder: string, now: number): Promise<IssuedCredential> {
    if (person.state === 'revoked' || person.state === 'deleted') throw new MaskidError('ERR_STATE_INVALID', `this person is ${person.state}; nothing can be issued`);
    const holderJwk = jwkFromDidJwk(holder);
    const settings = await this.issuer.settings();
    const data = await this.#enrollment.personData(person);
    const serial = BigInt('0x' + person.serial);
    const entries = await this.#status.entriesFor(platform, person.slot);
    if (person.state === 'suspended') await this.#status.ensureSuspended(platform, person.slot);
    const { validFrom, validUntil } = validityFor(now, settings.credentialValidityDays);
    const maskedId = await this.maskedId(serial, platform);
    const claims = buildCredentialClaims({
      issuer: settings.did,
      kid: settings.kid,
      validFrom: iso(validFrom),
      validUntil: iso(validUntil),
      holder: { id: holder, jwk: holderJwk },
      maskedId,
      platform: platform.id,
      credentialStatus: entries,
      claims: claimsAt(data, now),
      contextDigestSRI: (await maskidContext(settings.did)).digestSRI,
    });
    const signed = await signSdJwt(this.issuer.agent, claims, settings.kid);
    return {
      credential: signed.credential,
      sdJwt: signed.sdJwt,
      platform: platform.id,
      maskedId,
      statusListIndex: entries[0].statusListIndex,
      statusIndex: (await this.#status.position(platform, person.slot)).index,
      validFrom: iso(validFrom),
      validUntil: iso(validUntil),
    };
  }
}

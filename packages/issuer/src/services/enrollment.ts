/**
 * Enrolment: validates a person's data, finds duplicates through a keyed blind index, and stores the
 * data sealed with a fresh per-person data key. A batch (CSV) is written in transactions of whole
 * rows, so a crash leaves every row either fully enrolled or absent.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { GENDERS, MaskidError, type Gender } from '@maskid/core';
import { PersonEntity, type PersonRow } from '../db/entities.js';
import { PROVINCE_CODES, isRealDate, validateNationalId } from '../national-id.js';
import { formatNetworkNumber, parseNetworkNumber, randomSerial, serialKey } from '../network-number.js';
import { openWith, sealWith } from '../crypto/sealer.js';
import type { Issuer } from '../issuer.js';

/** What is enrolled about a person (all of it sealed at rest). */
export interface PersonData {
  nationalId: string;
  familyName: string;
  givenName: string;
  birthDate: string;
  gender: Gender;
  region: string;
  nationality: string;
}

/** Raw enrolment input (CLI flags or a CSV row). */
export interface EnrollInput {
  nationalId: string;
  familyName?: string;
  givenName?: string;
  /** "Family Given" or "Family, Given" (used when the two parts are not given separately). */
  name?: string;
  birthDate: string;
  gender: string;
  region: string;
  nationality?: string;
}

const GENDER_ALIASES: Record<string, Gender> = {
  f: 'female',
  female: 'female',
  m: 'male',
  male: 'male',
  x: 'not-applicable',
  '0': 'not-known',
  '9': 'not-applicable',
  'not-known': 'not-known',
  'not-applicable': 'not-applicable',
};

function cleanName(value: string | undefined, what: string): string {
  const v = (value ?? '').normalize('NFC').trim();
  if (v.length === 0) throw new MaskidError('ERR_INPUT_INVALID', `${what} is required`);
  if (v.length > 100) throw new MaskidError('ERR_INPUT_INVALID', `${what} is longer than 100 characters`);
  if (/[\p{Cc}\p{Cf}]/u.test(v)) throw new MaskidError('ERR_INPUT_INVALID', `${what} has control characters`);
  return v;
}

/** Validates and normalises enrolment input; throws a {@link MaskidError} naming the field. */
export function validateEnrollInput(input: EnrollInput, today = new Date()): PersonData {
  let familyName = input.familyName;
  let givenName = input.givenName;
  if ((familyName === undefined || givenName === undefined) && input.name !== undefined) {
    const name = input.name.trim();
    const sep = name.includes(',') ? name.indexOf(',') : name.indexOf(' ');
    if (sep < 0) throw new MaskidError('ERR_INPUT_INVALID', '--name must be "Family Given" or "Family, Given" (or use --family-name and --given-name)');
    familyName ??= name.slice(0, sep);
    givenName ??= name.slice(sep + 1);
  }
  const birthDate = (input.birthDate ?? '').trim();
  if (!isRealDate(birthDate)) throw new MaskidError('ERR_INPUT_INVALID', 'birth date must be a real date YYYY-MM-DD');
  const id = validateNationalId(input.nationalId, { expectedBirthDate: birthDate, today });
  const gender = GENDER_ALIASES[(input.gender ?? '').trim().toLowerCase()];
  if (!gender) throw new MaskidError('ERR_INPUT_INVALID', `gender must be one of F, M, X, ${GENDERS.join(', ')}`);
  const region = (input.region ?? '').trim();
  if (!PROVINCE_CODES.has(region)) throw new MaskidError('ERR_INPUT_INVALID', 'region must be a 2-digit province code (GB/T 2260)');
  const nationality = (input.nationality ?? 'CN').trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(nationality)) throw new MaskidError('ERR_INPUT_INVALID', 'nationality must be an ISO 3166-1 alpha-2 code');
  return { nationalId: id.value, familyName: cleanName(familyName, 'family name'), givenName: cleanName(givenName, 'given name'), birthDate, gender, region, nationality };
}

/** Result of enrolling one person. */
export interface Enrolled {
  networkNumber: string;
  serial: bigint;
}

/** One rejected row of a batch. */
export interface RowError {
  row: number;
  code: string;
  message: string;
}

/**
 * Enrolment service.
 *
 * @example
 * ```ts
 * const { networkNumber } = await new EnrollmentService(issuer).enroll({ nationalId, name: 'Zhang San', birthDate, gender: 'M', region: '11' })
 * ```
 */
export class EnrollmentService {
  constructor(private readonly issuer: Issuer) {}

  /** The keyed blind index of a normalised national ID. */
  async blindIndex(nationalId: string): Promise<string> {
    return createHmac('sha256', await this.issuer.secret('blind_index'))
      .update(nationalId, 'utf8')
      .digest('hex');
  }

  async enroll(input: EnrollInput): Promise<Enrolled> {
    const data = validateEnrollInput(input);
    const [result] = await this.#insert([{ data, blind: await this.blindIndex(data.nationalId) }]);
    return result!;
  }

  /**
   * Enrols many rows: invalid or duplicate rows are reported and skipped, valid rows are written in
   * transactions of up to `batchSize` whole rows. `onProgress(done, total)` after each batch.
   */
  async enrollMany(
    rows: readonly EnrollInput[],
    options: { batchSize?: number; onProgress?: (done: number, total: number) => void; firstRowNumber?: number } = {},
  ): Promise<{ enrolled: Enrolled[]; errors: RowError[] }> {
    const batchSize = options.batchSize ?? 500;
    const first = options.firstRowNumber ?? 1;
    const enrolled: Enrolled[] = [];
    const errors: RowError[] = [];
    const seen = new Map<string, number>();
    for (let start = 0; start < rows.length; start += batchSize) {
      const batch: { data: PersonData; blind: string; row: number }[] = [];
      for (let i = start; i < Math.min(rows.length, start + batchSize); i++) {
        const row = first + i;
        try {
          const data = validateEnrollInput(rows[i]!);
          const blind = await this.blindIndex(data.nationalId);
          const dup = seen.get(blind);
          if (dup !== undefined) throw new MaskidError('ERR_PERSON_DUPLICATE', `same national ID as row ${dup}`);
          seen.set(blind, row);
          batch.push({ data, blind, row });
        } catch (e) {
          errors.push(rowError(row, e));
        }
      }
      try {
        enrolled.push(...(await this.#insert(batch)));
      } catch {
        // A row conflicted with the database (e.g. already enrolled): retry row by row.
        for (const item of batch) {
          try {
            enrolled.push(...(await this.#insert([item])));
          } catch (e) {
            errors.push(rowError(item.row, e));
          }
        }
      }
      options.onProgress?.(Math.min(rows.length, start + batchSize), rows.length);
    }
    return { enrolled, errors };
  }

  async #insert(items: readonly { data: PersonData; blind: string }[]): Promise<Enrolled[]> {
    if (items.length === 0) return [];
    const settings = await this.issuer.settings();
    // Seal before taking the write lock: the lock is held only for the slot counter and the insert.
    const now = new Date().toISOString();
    const out: Enrolled[] = [];
    const rows: PersonRow[] = [];
    for (const { data, blind } of items) {
      const serial = randomSerial();
      const key = serialKey(serial);
      const dataKey = randomBytes(32);
      rows.push({
        serial: key,
        blindIndex: blind,
        slot: -1,
        generation: 1,
        state: 'active',
        dataSealed: sealWith(dataKey, Buffer.from(JSON.stringify(data), 'utf8'), `person:${key}`),
        dataKeySealed: this.issuer.sealer.seal(dataKey, `person-key:${key}`),
        enrolledAt: now,
        deletedAt: null,
      });
      dataKey.fill(0);
      out.push({ serial, networkNumber: formatNetworkNumber(serial) });
    }
    return this.issuer.write(async (m) => {
      const existing = await m
        .getRepository(PersonEntity)
        .createQueryBuilder('p')
        .where('p.blind_index IN (:...b)', { b: items.map((i) => i.blind) })
        .getCount();
      if (existing > 0) throw new MaskidError('ERR_PERSON_DUPLICATE', 'a person with this national ID is already enrolled');
      let slot = await this.#allocateSlots(m, items.length, settings.capacity);
      for (const row of rows) row.slot = slot++;
      await m.insert(PersonEntity, rows);
      return out;
    });
  }

  /** Takes `count` consecutive status slots from the counter (inside the caller's `Issuer.write`). */
  async #allocateSlots(m: EntityManager, count: number, capacity: number): Promise<number> {
    const next = Number(await this.issuer.getMeta('next_slot', m));
    if (next + count > capacity) {
      throw new MaskidError('ERR_STATE_INVALID', `status index capacity ${capacity} is used up; a new issuer generation with a larger --capacity is needed`);
    }
    await this.issuer.setMeta('next_slot', String(next + count), m);
    return next;
  }

  /** Allocates one new slot (reissue). */
  async allocateSlot(m: EntityManager): Promise<number> {
    return this.#allocateSlots(m, 1, (await this.issuer.settings()).capacity);
  }

  /** The person's data, opened with their data key. */
  async personData(person: PersonRow): Promise<PersonData> {
    if (person.state === 'deleted' || !person.dataSealed || !person.dataKeySealed) throw new MaskidError('ERR_STATE_INVALID', 'this person was deleted');
    const dataKey = this.issuer.sealer.open(person.dataKeySealed, `person-key:${person.serial}`);
    try {
      return JSON.parse(openWith(dataKey, person.dataSealed, `person:${person.serial}`).toString('utf8')) as PersonData;
    } finally {
      dataKey.fill(0);
    }
  }
}

function rowError(row: number, e: unknown): RowError {
  if (e instanceof MaskidError) return { row, code: e.code, message: e.message };
  return { row, code: 'ERR_INTERNAL', message: (e as Error).message };
}

/** Looks a person up by network number; `ERR_NOT_FOUND` when nobody has it. */
export async function findPerson(issuer: Issuer, networkNumber: string, manager: EntityManager = issuer.ds.manager): Promise<PersonRow> {
  const person = await manager.findOneBy(PersonEntity, { serial: serialKey(parseNetworkNumber(networkNumber)) });
  if (!person) throw new MaskidError('ERR_NOT_FOUND', `no person has the network number ${networkNumber}`);
  return person;
}

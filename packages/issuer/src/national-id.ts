/**
 * Chinese resident identity numbers (GB 11643-1999): 6-digit address code, 8-digit birth date,
 * 3-digit sequence, 1 check character (ISO 7064 MOD 11-2). The number is only ever used to find
 * duplicates (through a keyed blind index) and stored encrypted; it is never put in a credential.
 */
import { MaskidError, PROVINCE_CODES } from '@maskid/core';

export { PROVINCE_CODES };

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/** The GB 11643 check character for the first 17 digits. */
export function nationalIdCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK[sum % 11]!;
}

/** A validated national ID and what it encodes. */
export interface NationalId {
  /** Normalised: upper-case `X`. */
  value: string;
  province: string;
  birthDate: string;
}

/**
 * Validates an 18-character national ID: digits, province code, a real birth date in the past (not
 * before 1900), the check character; a lower-case `x` is accepted and normalised. When
 * `expectedBirthDate` is given, the date in the number must equal it.
 *
 * @example
 * ```ts
 * validateNationalId('11010519491231002X', { expectedBirthDate: '1949-12-31' }).province // '11'
 * ```
 */
export function validateNationalId(input: unknown, options: { expectedBirthDate?: string; today?: Date } = {}): NationalId {
  // Messages never repeat the ID or the birth date in it: they end up in terminals and logs.
  const fail = (why: string): never => {
    throw new MaskidError('ERR_NATIONAL_ID_INVALID', `national ID ${why}`);
  };
  if (typeof input !== 'string') return fail('must be a string');
  const value = input.trim().toUpperCase();
  if (value.length !== 18) fail('must have 18 characters');
  if (!/^[0-9]{17}[0-9X]$/.test(value)) fail('must be 17 digits and a digit or X');
  const province = value.slice(0, 2);
  if (!PROVINCE_CODES.has(province)) fail('has an unknown province code');
  const birthDate = `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`;
  if (!isRealDate(birthDate)) fail('holds an impossible birth date');
  const today = (options.today ?? new Date()).toISOString().slice(0, 10);
  if (birthDate > today || birthDate < '1900-01-01') fail(`holds a birth date outside 1900-01-01..today`);
  if (options.expectedBirthDate !== undefined && options.expectedBirthDate !== birthDate) {
    fail('holds another birth date than the one given');
  }
  if (nationalIdCheckChar(value) !== value[17]) fail('has a wrong check character');
  return { value, province, birthDate };
}

/** True for a real calendar date `YYYY-MM-DD`. */
export function isRealDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

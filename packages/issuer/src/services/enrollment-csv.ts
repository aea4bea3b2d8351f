/**
 * The enrolment CSV: a header row naming the columns (any order, case-insensitive), UTF-8, BOM
 * tolerated. Errors name the problem and the line, never a field's content (the content is personal
 * data and error messages end up in terminals and logs).
 */
import { parse as parseCsv } from 'csv-parse/sync';
import { MaskidError } from '@maskid/core';
import type { EnrollInput } from './enrollment.js';

export const CSV_COLUMNS = ['national_id', 'family_name', 'given_name', 'birth_date', 'gender', 'region'] as const;

/** Parses an enrolment CSV's text into rows for `EnrollmentService.enrollMany`; `name` is used in errors. */
export function parseEnrollmentCsv(text: string, name = 'the CSV'): EnrollInput[] {
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, { columns: (h: string[]) => h.map((c) => c.trim().toLowerCase()), bom: true, skip_empty_lines: true, trim: true, relax_column_count: false });
  } catch (cause) {
    // csv-parse's messages quote the offending field ("value is …"): report its code and line only.
    const c = cause as { code?: string; lines?: number };
    throw new MaskidError('ERR_INPUT_INVALID', `${name} is not valid CSV${c.code ? ` (${c.code})` : ''}${typeof c.lines === 'number' ? ` at line ${c.lines}` : ''}`);
  }
  const header = records.length > 0 ? Object.keys(records[0]!) : [];
  const missing = CSV_COLUMNS.filter((c) => !header.includes(c) && !(header.includes('name') && (c === 'family_name' || c === 'given_name')));
  if (records.length > 0 && missing.length > 0) throw new MaskidError('ERR_INPUT_INVALID', `${name} lacks the column(s) ${missing.join(', ')}`);
  return records.map((r) => ({
    nationalId: r['national_id'] ?? '',
    ...(r['family_name'] !== undefined ? { familyName: r['family_name'] } : {}),
    ...(r['given_name'] !== undefined ? { givenName: r['given_name'] } : {}),
    ...(r['name'] !== undefined ? { name: r['name'] } : {}),
    birthDate: r['birth_date'] ?? '',
    gender: r['gender'] ?? '',
    region: r['region'] ?? '',
    ...(r['nationality'] ? { nationality: r['nationality'] } : {}),
  }));
}

/** The CLI's file inputs: text and JSON files with clear errors, operator keys, enrolment CSVs, list options. */
import { readFileSync } from 'node:fs';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { MaskidError, parseJsonStrict, publicJwk, type Jwk, type JwsSigner } from '@maskid/core';
import { parseEnrollmentCsv } from '../services/enrollment-csv.js';
import type { EnrollInput } from '../services/enrollment.js';

/** A repeatable option's values. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
/** A comma-separated, repeatable option's values. */
export const list = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
];

/** A text file, or `ERR_INPUT_INVALID` naming it. */
export function readTextFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `cannot read ${what} ${path}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, { cause });
  }
}

/** A JSON file, or `ERR_INPUT_INVALID` naming it. */
export function readJsonFile(path: string, what: string): unknown {
  const text = readTextFile(path, what);
  try {
    return parseJsonStrict(text, `${what} ${path}`);
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `${what} ${path} is not JSON (or names a member twice)`, { cause });
  }
}

/** A signer from an operator's private JWK file (P-256 or Ed25519). */
export function operatorSigner(file: string): { signer: JwsSigner; jwk: Jwk } {
  const jwk = readJsonFile(file, 'operator key') as Jwk;
  if (!jwk || typeof jwk !== 'object' || typeof jwk.d !== 'string') throw new MaskidError('ERR_INPUT_INVALID', `${file} must hold a private JWK (with "d")`);
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `${file} is not a usable private JWK`, { cause });
  }
  const ec = jwk.kty === 'EC';
  return {
    jwk: publicJwk(jwk),
    signer: {
      alg: ec ? 'ES256' : 'EdDSA',
      async sign(data) {
        const { sign } = await import('node:crypto');
        return ec ? sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : sign(null, data, key);
      },
    },
  };
}

/** Reads an enrolment CSV file (see {@link parseEnrollmentCsv}). */
export function readCsv(file: string): EnrollInput[] {
  return parseEnrollmentCsv(readTextFile(file, 'CSV file'), file);
}

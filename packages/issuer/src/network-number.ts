/**
 * The network number: the printable form of a person's random 64-bit serial. Crockford base32 (13
 * characters) plus a mod-37 check symbol, grouped `XXXX-XXXX-XXXX-XX`; parsing forgives case,
 * hyphens, spaces and the look-alikes I/L→1, O→0.
 */
import { randomBytes } from 'node:crypto';
import { MaskidError } from '@maskid/core';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const CHECK_ALPHABET = ALPHABET + '*~$=U';

/** A fresh random 64-bit serial (never 0). */
export function randomSerial(): bigint {
  for (;;) {
    const n = randomBytes(8).readBigUInt64BE();
    if (n !== 0n) return n;
  }
}

/**
 * Formats a serial as a network number.
 *
 * @example
 * ```ts
 * formatNetworkNumber(0x0123456789abcdefn) // '028T-5CY4-GNF7-FD'
 * ```
 */
export function formatNetworkNumber(serial: bigint): string {
  let s = '';
  let n = serial;
  for (let i = 0; i < 13; i++) {
    s = ALPHABET[Number(n & 31n)] + s;
    n >>= 5n;
  }
  s += CHECK_ALPHABET[Number(serial % 37n)];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}-${s.slice(12)}`;
}

/** Parses a network number back to its serial; `ERR_INPUT_INVALID` on a typo (check symbol). */
export function parseNetworkNumber(text: unknown): bigint {
  if (typeof text !== 'string') throw new MaskidError('ERR_INPUT_INVALID', 'network number must be a string');
  const s = text.toUpperCase().replace(/[-\s]/g, '').replace(/[IL]/g, '1').replace(/O/g, '0');
  if (s.length !== 14) throw new MaskidError('ERR_INPUT_INVALID', 'network number must have 14 symbols (XXXX-XXXX-XXXX-XX)');
  let n = 0n;
  for (const ch of s.slice(0, 13)) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new MaskidError('ERR_INPUT_INVALID', `network number has an invalid symbol ${ch}`);
    n = (n << 5n) | BigInt(v);
  }
  if (n >= 1n << 64n) throw new MaskidError('ERR_INPUT_INVALID', 'network number is out of range');
  if (CHECK_ALPHABET[Number(n % 37n)] !== s[13]) throw new MaskidError('ERR_INPUT_INVALID', 'network number check symbol does not match (typo?)');
  return n;
}

/** The serial as the 16-hex-digit database key. */
export function serialKey(serial: bigint): string {
  return serial.toString(16).padStart(16, '0');
}

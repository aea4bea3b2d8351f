/**
 * W3C Bitstring Status List v1.0 codec (§2.1, §3.1): bit 0 is the left-most bit of the first byte;
 * `encodedList` is the Multibase base64url (`u` prefix, no padding) of the GZIP of the bitstring.
 */
import { gunzipSync, gzipSync } from 'fflate';
import { base64url, fromBase64url } from './encoding.js';
import { MaskidError } from './errors.js';

/** The minimum list length the spec requires (16 KB of bits) and the profile's herd size. */
export const MIN_STATUS_LIST_ENTRIES = 131_072;
/** Upper bound on a decoded list accepted from the network (bits): 2^30 entries, 128 MiB. */
export const MAX_STATUS_LIST_ENTRIES = 2 ** 30;

/**
 * A bitstring of status entries (statusSize 1).
 *
 * @example
 * ```ts
 * const list = BitstringStatusList.create(131072)
 * list.set(94567, true)
 * const encoded = list.encode()               // 'uH4sI...'
 * BitstringStatusList.decode(encoded).get(94567) // true
 * ```
 */
export class BitstringStatusList {
  /** The raw bits, big-endian within each byte. */
  readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  /** A list of `length` entries, all 0. `length` must be a multiple of 8 and ≥ 131,072. */
  static create(length: number): BitstringStatusList {
    if (!Number.isSafeInteger(length) || length < MIN_STATUS_LIST_ENTRIES || length % 8 !== 0 || length > MAX_STATUS_LIST_ENTRIES) {
      throw new MaskidError('ERR_INPUT_INVALID', `status list length must be a multiple of 8 between ${MIN_STATUS_LIST_ENTRIES} and ${MAX_STATUS_LIST_ENTRIES}`);
    }
    return new BitstringStatusList(new Uint8Array(length / 8));
  }

  /** Wraps existing bits (not copied). */
  static fromBytes(bytes: Uint8Array): BitstringStatusList {
    if (bytes.length * 8 < MIN_STATUS_LIST_ENTRIES) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'status list is shorter than 131,072 entries');
    return new BitstringStatusList(bytes);
  }

  /** Number of entries. */
  get length(): number {
    return this.bytes.length * 8;
  }

  /** The bit at `index`. */
  get(index: number): boolean {
    this.check(index);
    return (this.bytes[index >>> 3]! & (0x80 >>> (index & 7))) !== 0;
  }

  /** Sets the bit at `index`. */
  set(index: number, value: boolean): void {
    this.check(index);
    const mask = 0x80 >>> (index & 7);
    if (value) this.bytes[index >>> 3]! |= mask;
    else this.bytes[index >>> 3]! &= ~mask;
  }

  /** Number of set bits. */
  countSet(): number {
    let n = 0;
    for (const b of this.bytes) {
      let v = b;
      while (v) {
        v &= v - 1;
        n++;
      }
    }
    return n;
  }

  /** `encodedList`: `u` + base64url(GZIP(bits)), deterministic (mtime 0). */
  encode(): string {
    return 'u' + base64url(gzipSync(this.bytes, { level: 9, mtime: 0 }));
  }

  /**
   * Decodes an `encodedList`. Rejects a missing multibase prefix, bad base64url or GZIP, a list
   * shorter than `minEntries` (default 131,072) or larger than `maxEntries` (checked before
   * inflating, so a compression bomb allocates nothing).
   */
  static decode(encodedList: string, options: { minEntries?: number; maxEntries?: number } = {}): BitstringStatusList {
    const minEntries = options.minEntries ?? MIN_STATUS_LIST_ENTRIES;
    const maxEntries = options.maxEntries ?? MAX_STATUS_LIST_ENTRIES;
    if (typeof encodedList !== 'string' || encodedList[0] !== 'u') {
      throw new MaskidError('ERR_STATUS_LIST_INVALID', 'encodedList must be multibase base64url (prefix u)');
    }
    const gz = fromBase64url(encodedList.slice(1));
    if (!gz || gz.length < 18 || gz[0] !== 0x1f || gz[1] !== 0x8b) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'encodedList is not GZIP');
    const n = gz.length;
    const declared = (gz[n - 4]! | (gz[n - 3]! << 8) | (gz[n - 2]! << 16) | (gz[n - 1]! << 24)) >>> 0;
    if (declared * 8 < minEntries) throw new MaskidError('ERR_STATUS_LIST_INVALID', `status list has fewer than ${minEntries} entries`);
    if (declared * 8 > maxEntries) throw new MaskidError('ERR_STATUS_LIST_INVALID', `status list has more than ${maxEntries} entries`);
    let bytes: Uint8Array;
    try {
      bytes = gunzipSync(gz, { out: new Uint8Array(declared) });
    } catch (cause) {
      throw new MaskidError('ERR_STATUS_LIST_INVALID', 'encodedList does not inflate', { cause });
    }
    if (bytes.length !== declared) throw new MaskidError('ERR_STATUS_LIST_INVALID', 'encodedList length does not match its GZIP trailer');
    return new BitstringStatusList(bytes);
  }

  private check(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.length) {
      throw new MaskidError('ERR_STATUS_LIST_INVALID', `status index ${index} is outside the list (${this.length} entries)`);
    }
  }
}

/** Parses a `statusListIndex` string (base-10, no sign, no leading zeros). */
export function parseStatusListIndex(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,14})$/.test(value)) return undefined;
  return Number(value);
}

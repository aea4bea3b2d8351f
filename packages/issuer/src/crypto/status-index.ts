/**
 * Status indexes without an allocation table: a keyed permutation of the platform's index space
 * (format-preserving encryption: a balanced Feistel network with AES-256 as the round function and
 * cycle-walking into `[0, capacity)`). Each (person, generation) has a dense status slot; its index on
 * platform P is `permute_P(slot)`. Distinct slots never share an index, and indexes of one person on
 * two platforms are unrelated (per-platform keys).
 */
import { createCipheriv, createHmac, type Cipher } from 'node:crypto';
import { MaskidError } from '@maskid/core';

const ROUNDS = 10;

/**
 * A keyed permutation of `[0, capacity)`.
 *
 * @example
 * ```ts
 * const perm = StatusIndexPermutation.forPlatform(statusKey, platformNumber, 1 << 20)
 * perm.index(0) // a number in [0, 1048576), different for every slot
 * ```
 */
export class StatusIndexPermutation {
  readonly capacity: number;
  readonly #halfBits: number;
  readonly #halfSize: number;
  readonly #mask: number;
  readonly #cipher: Cipher;
  readonly #block = Buffer.alloc(16);

  constructor(key: Uint8Array, capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 4 || capacity > 2 ** 52) throw new MaskidError('ERR_INPUT_INVALID', 'status index capacity must be 4..2^52');
    if (key.length !== 32) throw new MaskidError('ERR_INPUT_INVALID', 'status index key must be 32 bytes');
    this.capacity = capacity;
    let bits = 2;
    while (2 ** bits < capacity) bits += 2;
    this.#halfBits = bits / 2;
    this.#halfSize = 2 ** this.#halfBits;
    this.#mask = this.#halfSize - 1;
    this.#cipher = createCipheriv('aes-256-ecb', key, null).setAutoPadding(false);
  }

  /** The permutation for one platform: its key is HMAC(statusKey, platformNumber). */
  static forPlatform(statusKey: Uint8Array, platformNumber: bigint, capacity: number): StatusIndexPermutation {
    const n = Buffer.alloc(8);
    n.writeBigUInt64BE(platformNumber);
    const key = createHmac('sha256', statusKey).update('maskid:status-index:').update(n).digest();
    return new StatusIndexPermutation(key, capacity);
  }

  /** The index of `slot` (cycle-walks until the value falls inside the capacity). */
  index(slot: number): number {
    if (!Number.isSafeInteger(slot) || slot < 0 || slot >= this.capacity) {
      throw new MaskidError('ERR_STATE_INVALID', `status slot ${slot} is outside the index capacity ${this.capacity}`);
    }
    let x = slot;
    do x = this.#encrypt(x);
    while (x >= this.capacity);
    return x;
  }

  #encrypt(x: number): number {
    let left = Math.floor(x / this.#halfSize);
    let right = x % this.#halfSize;
    for (let r = 0; r < ROUNDS; r++) {
      const next = (left ^ this.#round(r, right)) & this.#mask;
      left = right;
      right = next;
    }
    return left * this.#halfSize + right;
  }

  #round(round: number, value: number): number {
    const b = this.#block;
    b.fill(0);
    b[0] = round;
    b[1] = this.#halfBits;
    b.writeUInt32BE(value >>> 0, 2);
    const out = this.#cipher.update(b);
    return out.readUInt32BE(0) >>> 0;
  }
}

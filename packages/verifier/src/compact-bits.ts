/**
 * Status bits held in proportion to what is set (Roaring's container rule, by hand).
 *
 * A list is cut into chunks of 65,536 entries. A chunk with no bit set holds nothing; a chunk with at
 * most 4,096 bits set holds their offsets as a sorted `Uint16Array` (2 bytes per set bit); a fuller
 * chunk holds its 8 KiB of bits. So memory follows the set bits until a chunk is 1/16 full, and is
 * never more than the dense bits. A lookup is a shift and either one byte test or a binary search
 * over at most 4,096 offsets (12 steps).
 *
 * Measured against `roaring-wasm` (CRoaring) and the dense bytes in `bench/status-memory.mjs`;
 * the dense `BitstringStatusList` is the oracle in the tests.
 */

const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
/** Beyond this many set bits a chunk is cheaper as bits (4,096 × 2 bytes = 8 KiB). */
const SPARSE_MAX = 4096;

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >>> 1]!;

/**
 * One list's bits, read-only.
 *
 * @example
 * ```ts
 * const bits = CompactBits.fromBytes(BitstringStatusList.decode(encodedList).bytes)
 * bits.has(94567) // true when the bit is set
 * ```
 */
export class CompactBits {
  /** Number of entries. */
  readonly length: number;
  /** Number of set bits. */
  readonly setCount: number;
  readonly #sparse: (Uint16Array | undefined)[];
  readonly #dense: (Uint8Array | undefined)[];

  private constructor(length: number, setCount: number, sparse: (Uint16Array | undefined)[], dense: (Uint8Array | undefined)[]) {
    this.length = length;
    this.setCount = setCount;
    this.#sparse = sparse;
    this.#dense = dense;
  }

  /** From Bitstring Status List bytes (bit 0 is the left-most bit of byte 0). The bytes are not kept. */
  static fromBytes(bytes: Uint8Array): CompactBits {
    const chunks = Math.ceil((bytes.length * 8) / CHUNK);
    const sparse: (Uint16Array | undefined)[] = new Array(chunks).fill(undefined);
    const dense: (Uint8Array | undefined)[] = new Array(chunks).fill(undefined);
    let total = 0;
    const chunkBytes = CHUNK / 8;
    for (let c = 0; c < chunks; c++) {
      const from = c * chunkBytes;
      const to = Math.min(bytes.length, from + chunkBytes);
      let count = 0;
      for (let i = from; i < to; i++) count += POPCOUNT[bytes[i]!]!;
      total += count;
      if (count === 0) continue;
      if (count > SPARSE_MAX) {
        dense[c] = bytes.slice(from, to);
        continue;
      }
      const offsets = new Uint16Array(count);
      let k = 0;
      for (let i = from; i < to; i++) {
        const b = bytes[i]!;
        if (b === 0) continue;
        const base = (i - from) << 3;
        for (let bit = 0; bit < 8; bit++) if (b & (0x80 >>> bit)) offsets[k++] = base + bit;
      }
      sparse[c] = offsets;
    }
    return new CompactBits(bytes.length * 8, total, sparse, dense);
  }

  /** Whether the bit at `index` is set (`index` must be within the list: the caller checked it). */
  has(index: number): boolean {
    const c = index >>> CHUNK_BITS;
    const low = index & (CHUNK - 1);
    const d = this.#dense[c];
    if (d !== undefined) return (d[low >>> 3]! & (0x80 >>> (low & 7))) !== 0;
    const s = this.#sparse[c];
    if (s === undefined) return false;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = s[mid]!;
      if (v === low) return true;
      if (v < low) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** The Bitstring Status List bytes again (a fresh array). */
  toBytes(): Uint8Array {
    const bytes = new Uint8Array(Math.ceil(this.length / 8));
    const chunkBytes = CHUNK / 8;
    for (let c = 0; c < this.#dense.length; c++) {
      const d = this.#dense[c];
      if (d) bytes.set(d, c * chunkBytes);
      const s = this.#sparse[c];
      if (s) for (const low of s) bytes[c * chunkBytes + (low >>> 3)]! |= 0x80 >>> (low & 7);
    }
    return bytes;
  }

  /** A new list: these bits with the offsets in `set` set and those in `clear` cleared (offsets within the list). */
  applied(set: ArrayLike<number>, clear: ArrayLike<number>): CompactBits {
    const bytes = this.toBytes();
    for (let i = 0; i < set.length; i++) bytes[set[i]! >>> 3]! |= 0x80 >>> (set[i]! & 7);
    for (let i = 0; i < clear.length; i++) bytes[clear[i]! >>> 3]! &= ~(0x80 >>> (clear[i]! & 7));
    return CompactBits.fromBytes(bytes);
  }

  /** A list of `length` entries with no bit set. */
  static empty(length: number): CompactBits {
    const chunks = Math.ceil(length / CHUNK);
    return new CompactBits(length, 0, new Array(chunks).fill(undefined), new Array(chunks).fill(undefined));
  }

  /** Bytes held for the bits (not counting the object itself). */
  byteSize(): number {
    let n = 0;
    for (const s of this.#sparse) if (s) n += s.byteLength;
    for (const d of this.#dense) if (d) n += d.byteLength;
    return n;
  }
}

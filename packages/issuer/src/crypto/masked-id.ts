/**
 * Masked IDs (docs/design.md): `"m" + version + base32(AES-256(K_mask_v, personSerial64 ‖ platformNumber64))`.
 * One AES block, so it is a permutation: distinct (person, platform) pairs never collide and the issuer
 * can invert it (re-identification) with the key. Without the key, masked IDs of one person on two
 * platforms are unrelated.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { base32, fromBase32, MaskidError, MASKED_ID_PATTERN } from '@maskid/core';

/**
 * The masked ID of a person on a platform.
 *
 * @example
 * ```ts
 * maskedIdFor(kMask, 1, 0x1234n, 0xabcdn) // 'm1' + 26 base32 characters
 * ```
 */
export function maskedIdFor(kMask: Uint8Array, version: number, personSerial: bigint, platformNumber: bigint): string {
  checkVersion(version);
  const block = Buffer.alloc(16);
  block.writeBigUInt64BE(personSerial, 0);
  block.writeBigUInt64BE(platformNumber, 8);
  const cipher = createCipheriv('aes-256-ecb', kMask, null).setAutoPadding(false);
  const ct = Buffer.concat([cipher.update(block), cipher.final()]);
  return `m${version}${base32(ct)}`;
}

/**
 * A masked-ID function for many (person, platform) pairs under one key: one AES-256-ECB context reused
 * for every block (ECB without padding answers each 16-byte update at once), instead of a new cipher
 * per masked ID. Same output as {@link maskedIdFor}.
 */
export function maskedIdEncoder(kMask: Uint8Array, version: number): (personSerial: bigint, platformNumber: bigint) => string {
  checkVersion(version);
  const cipher = createCipheriv('aes-256-ecb', kMask, null).setAutoPadding(false);
  const block = Buffer.alloc(16);
  return (personSerial, platformNumber) => {
    block.writeBigUInt64BE(personSerial, 0);
    block.writeBigUInt64BE(platformNumber, 8);
    return `m${version}${base32(cipher.update(block))}`;
  };
}

/** The key version of a masked ID (the digit after `m`). */
export function maskedIdVersion(maskedId: string): number {
  if (typeof maskedId !== 'string' || !MASKED_ID_PATTERN.test(maskedId)) throw new MaskidError('ERR_INPUT_INVALID', 'not a masked ID');
  return Number(maskedId[1]);
}

/**
 * Inverts a masked ID: the person serial and the platform number it was made for.
 * With another key the result is random, so callers must check the platform number.
 */
export function openMaskedId(kMask: Uint8Array, maskedId: string): { version: number; personSerial: bigint; platformNumber: bigint } {
  const version = maskedIdVersion(maskedId);
  const ct = fromBase32(maskedId.slice(2));
  if (ct?.length !== 16) throw new MaskidError('ERR_INPUT_INVALID', 'not a masked ID');
  const decipher = createDecipheriv('aes-256-ecb', kMask, null).setAutoPadding(false);
  const block = Buffer.concat([decipher.update(ct), decipher.final()]);
  return { version, personSerial: block.readBigUInt64BE(0), platformNumber: block.readBigUInt64BE(8) };
}

function checkVersion(version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > 9) throw new MaskidError('ERR_INPUT_INVALID', 'masked ID key version must be 1..9');
}

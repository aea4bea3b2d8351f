/**
 * Secrets at rest: the key-encryption key (KEK) comes from a file or passphrase named at start, never
 * from the data directory; everything secret in the database is sealed under keys derived from it
 * (AES-256-GCM, with the purpose bound as associated data).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { MaskidError } from '@maskid/core';

/** The well-known development KEK, accepted only with `--dev`. */
export const DEV_KEK = 'maskid-development-kek-NOT-FOR-PRODUCTION';

const VERSION = 1;

/**
 * Seals and opens small secrets with AES-256-GCM. The output is `base64url(v ‖ iv ‖ ciphertext ‖ tag)`.
 *
 * @example
 * ```ts
 * const sealer = Sealer.fromKek(kekBytes, salt)
 * const box = sealer.seal(dataKey, 'person-data-key:' + serial)
 * sealer.open(box, 'person-data-key:' + serial) // dataKey
 * ```
 */
export class Sealer {
  readonly #key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new MaskidError('ERR_KEK_INVALID', 'sealing key must be 32 bytes');
    this.#key = Buffer.from(key);
  }

  /** Derives the sealing key from KEK material (scrypt; the salt lives in the database, it is not secret). */
  static fromKek(kek: Uint8Array, salt: Uint8Array): Sealer {
    const key = scryptSync(kek, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    return new Sealer(key);
  }

  /** A sub-key for another purpose (HKDF-SHA-256). */
  derive(purpose: string, length = 32): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#key, Buffer.alloc(0), `maskid:${purpose}`, length));
  }

  seal(plaintext: Uint8Array, aad: string): string {
    return sealWith(this.#key, plaintext, aad);
  }

  open(sealed: string, aad: string): Buffer {
    return openWith(this.#key, sealed, aad);
  }
}

/** AES-256-GCM seal with an explicit 32-byte key (per-person data keys use this). */
export function sealWith(key: Uint8Array, plaintext: Uint8Array, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, ct, cipher.getAuthTag()]).toString('base64url');
}

/** Inverse of {@link sealWith}; `ERR_KEK_INVALID` when the key or associated data is wrong. */
export function openWith(key: Uint8Array, sealed: string, aad: string): Buffer {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < 1 + 12 + 16 || raw[0] !== VERSION) throw new MaskidError('ERR_KEK_INVALID', 'sealed value is malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 13));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  try {
    return Buffer.concat([decipher.update(raw.subarray(13, raw.length - 16)), decipher.final()]);
  } catch (cause) {
    throw new MaskidError('ERR_KEK_INVALID', 'cannot open a sealed value: wrong key-encryption key or tampered data', { cause });
  }
}

/** Where the KEK came from. */
export interface KekSource {
  material: Buffer;
  origin: 'file' | 'dev';
}

/**
 * Loads the KEK: `--kek-file` / `MASKID_KEK_FILE` (a passphrase or key file, trimmed), or with `dev`
 * the well-known development KEK. Never reads the data directory.
 */
export function loadKek(options: { kekFile?: string | undefined; dev?: boolean | undefined }): KekSource {
  if (options.kekFile) {
    let content: Buffer;
    try {
      content = readFileSync(options.kekFile);
    } catch (cause) {
      throw new MaskidError('ERR_KEK_MISSING', `cannot read the KEK file ${options.kekFile}`, { cause });
    }
    const trimmed = Buffer.from(content.toString('utf8').trim(), 'utf8');
    if (trimmed.length < 16) throw new MaskidError('ERR_KEK_INVALID', 'the KEK file must hold at least 16 characters (a long passphrase or a random key)');
    return { material: trimmed, origin: 'file' };
  }
  if (options.dev) return { material: Buffer.from(DEV_KEK, 'utf8'), origin: 'dev' };
  throw new MaskidError('ERR_KEK_MISSING', 'no key-encryption key: pass --kek-file FILE or set MASKID_KEK_FILE (or --dev for a throw-away development setup)');
}

/**
 * The issuer's offline root key: a private JWK in its own file, independent of the KEK and the data
 * directory, read only by the key ceremony commands (`init`, `key rotate`, `key retire`,
 * `key list sign`). It signs nothing but key lists. Verifiers and wallets are configured with its
 * RFC 7638 thumbprint.
 */
import { createPrivateKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { algForJwk, jwkThumbprint, publicJwk, MaskidError, type Jwk, type JwsSigner } from '@maskid/core';

/** A loaded root key. */
export interface RootKey {
  signer: JwsSigner;
  /** The public JWK (goes into the key list's `jwk` header). */
  jwk: Jwk;
  /** RFC 7638 thumbprint: the trust anchor verifiers and wallets are configured with. */
  thumbprint: string;
}

/** A node:crypto {@link JwsSigner} for a private key (ES256 as r‖s, EdDSA). */
export function nodeSigner(key: KeyObject, alg: 'ES256' | 'EdDSA'): JwsSigner {
  return {
    alg,
    async sign(data) {
      return alg === 'ES256' ? nodeSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }) : nodeSign(null, data, key);
    },
  };
}

/** Loads a root key from a private JWK (ES256 or EdDSA); `ERR_INPUT_INVALID` with the file name otherwise. */
export async function rootKeyFromJwk(jwk: Jwk, where = 'root key'): Promise<RootKey> {
  if (!jwk || typeof jwk !== 'object' || typeof jwk.d !== 'string') throw new MaskidError('ERR_INPUT_INVALID', `${where} must hold a private JWK (with "d")`);
  let key: KeyObject;
  let alg: 'ES256' | 'EdDSA';
  try {
    alg = algForJwk(jwk);
    key = createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `${where} is not a usable P-256 or Ed25519 private JWK`, { cause });
  }
  const pub = publicJwk(jwk);
  return { signer: nodeSigner(key, alg), jwk: pub, thumbprint: await jwkThumbprint(pub) };
}

/** Reads a root key file. */
export async function loadRootKey(file: string): Promise<RootKey> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `cannot read the root key ${file}: ${(cause as NodeJS.ErrnoException).code ?? 'error'}`, { cause });
  }
  let jwk: Jwk;
  try {
    jwk = JSON.parse(text) as Jwk;
  } catch (cause) {
    throw new MaskidError('ERR_INPUT_INVALID', `the root key ${file} is not JSON`, { cause });
  }
  return rootKeyFromJwk(jwk, `the root key ${file}`);
}

/** Creates a new root key file (mode 600; refuses to overwrite) and returns the loaded key. */
export async function createRootKeyFile(file: string): Promise<RootKey> {
  if (existsSync(file)) throw new MaskidError('ERR_CONFLICT', `${file} exists; a root key is never overwritten`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as Jwk;
  writeFileSync(file, JSON.stringify(jwk) + '\n', { mode: 0o600, flag: 'wx' });
  return rootKeyFromJwk(jwk, file);
}

/**
 * A Veramo KMS on node:crypto. Private keys are kept by an injected `AbstractPrivateKeyStore` (the
 * issuer uses Veramo's TypeORM `PrivateKeyStore` with a `SecretBox` keyed from the KEK, so they are
 * sealed at rest); once decrypted, each key is cached as a `KeyObject`, so signing costs one
 * node:crypto call (ES256 ~20× faster than the stock local KMS's pure-JS signer).
 */
import { createECDH, createPrivateKey, createPublicKey, generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { AbstractKeyManagementSystem, type AbstractPrivateKeyStore } from '@veramo/key-manager';
import type { IKey, ManagedKeyInfo, MinimalImportableKey, TKeyType } from '@veramo/core-types';
import { jwkThumbprint, type Jwk } from '@maskid/core';
import type { BatchSigningHandle } from './sd-jwt-batch.js';

interface CachedKey {
  info: ManagedKeyInfo;
  keyObject: KeyObject;
  alg: 'ES256' | 'EdDSA';
}

/** Key types this KMS handles. */
export const SUPPORTED_KEY_TYPES: readonly TKeyType[] = ['Secp256r1', 'Ed25519'];

/**
 * The node:crypto KMS.
 *
 * @example
 * ```ts
 * new KeyManager({ store: new KeyStore(db), kms: { node: new NodeCryptoKeyManagementSystem(new PrivateKeyStore(db, secretBox)) } })
 * ```
 */
export class NodeCryptoKeyManagementSystem extends AbstractKeyManagementSystem {
  readonly #store: AbstractPrivateKeyStore;
  readonly #cache = new Map<string, CachedKey>();
  readonly #name: string;

  /** `name` is the KMS's name in the key manager (agent.yml), recorded on every key. */
  constructor(store: AbstractPrivateKeyStore, name = 'node') {
    super();
    this.#store = store;
    this.#name = name;
  }

  override async createKey({ type, kid }: { type: TKeyType; kid?: string }): Promise<ManagedKeyInfo> {
    let privateKeyHex: string;
    if (type === 'Secp256r1') {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      privateKeyHex = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url').toString('hex');
    } else if (type === 'Ed25519') {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url');
      const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
      privateKeyHex = Buffer.concat([seed, pub]).toString('hex');
    } else {
      throw new Error(`not_supported: key type ${type} (supported: ${SUPPORTED_KEY_TYPES.join(', ')})`);
    }
    return this.importKey({ type, privateKeyHex, ...(kid ? { kid } : {}) });
  }

  override async importKey(args: Omit<MinimalImportableKey, 'kms'>): Promise<ManagedKeyInfo> {
    if (!args.type || !args.privateKeyHex) throw new Error('invalid_argument: type and privateKeyHex are required');
    const { keyObject, jwk, publicKeyHex } = keyMaterial(args.type, args.privateKeyHex);
    const kid = args.kid ?? (await jwkThumbprint(jwk));
    await this.#store.importKey({ alias: kid, type: args.type, privateKeyHex: args.privateKeyHex });
    const info: ManagedKeyInfo = { kid, kms: this.#name, type: args.type, publicKeyHex, meta: { algorithms: [algFor(args.type)], jwk } };
    this.#cache.set(kid, { info, keyObject, alg: algFor(args.type) });
    return info;
  }

  override async listKeys(): Promise<ManagedKeyInfo[]> {
    const keys = await this.#store.listKeys({});
    return keys.map((k) => this.#remember(k.alias, k.type, k.privateKeyHex).info);
  }

  override async deleteKey({ kid }: { kid: string }): Promise<boolean> {
    this.#cache.delete(kid);
    return this.#store.deleteKey({ alias: kid });
  }

  override async sign({ keyRef, algorithm, data }: { keyRef: Pick<IKey, 'kid'>; algorithm?: string; data: Uint8Array }): Promise<string> {
    const key = await this.#load(keyRef.kid);
    if (algorithm !== undefined && algorithm !== key.alg && !(key.alg === 'EdDSA' && algorithm === 'Ed25519')) {
      throw new Error(`not_supported: cannot sign ${algorithm} with a ${key.info.type} key`);
    }
    return this.signSync(key, data).toString('base64url');
  }

  /** Raw JOSE signature bytes for a cached key. */
  private signSync(key: CachedKey, data: Uint8Array): Buffer {
    return key.alg === 'ES256' ? nodeSign('sha256', data, { key: key.keyObject, dsaEncoding: 'ieee-p1363' }) : nodeSign(null, data, key.keyObject);
  }

  /**
   * A signing handle for one batch (the agent's `maskidIssueBatch`): the key is decrypted once and stays
   * inside this KMS; the handle signs synchronously, without a key-store lookup per signature.
   */
  async batchHandle(kid: string): Promise<BatchSigningHandle> {
    const key = await this.#load(kid);
    return { alg: key.alg, sign: (data) => this.signSync(key, data) };
  }

  override async sharedSecret(): Promise<string> {
    throw new Error('not_supported: this KMS does not compute shared secrets');
  }

  async #load(kid: string): Promise<CachedKey> {
    const cached = this.#cache.get(kid);
    if (cached) return cached;
    const k = await this.#store.getKey({ alias: kid });
    return this.#remember(kid, k.type, k.privateKeyHex);
  }

  #remember(kid: string, type: TKeyType, privateKeyHex: string): CachedKey {
    const cached = this.#cache.get(kid);
    if (cached) return cached;
    const { keyObject, jwk, publicKeyHex } = keyMaterial(type, privateKeyHex);
    const entry: CachedKey = { info: { kid, kms: this.#name, type, publicKeyHex, meta: { algorithms: [algFor(type)], jwk } }, keyObject, alg: algFor(type) };
    this.#cache.set(kid, entry);
    return entry;
  }
}

function algFor(type: TKeyType): 'ES256' | 'EdDSA' {
  if (type === 'Secp256r1') return 'ES256';
  if (type === 'Ed25519') return 'EdDSA';
  throw new Error(`not_supported: key type ${type}`);
}

/** KeyObject, public JWK and Veramo-style publicKeyHex (compressed for P-256) from a private key hex. */
export function keyMaterial(type: TKeyType, privateKeyHex: string): { keyObject: KeyObject; jwk: Jwk; publicKeyHex: string } {
  const raw = Buffer.from(privateKeyHex, 'hex');
  if (type === 'Secp256r1') {
    if (raw.length !== 32) throw new Error('invalid_argument: a P-256 private key has 32 bytes');
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(raw);
    const pub = ecdh.getPublicKey();
    const jwk: Jwk = { kty: 'EC', crv: 'P-256', x: pub.subarray(1, 33).toString('base64url'), y: pub.subarray(33, 65).toString('base64url') };
    const keyObject = createPrivateKey({ key: { ...jwk, d: raw.toString('base64url') } as import('node:crypto').JsonWebKey, format: 'jwk' });
    return { keyObject, jwk, publicKeyHex: ecdh.getPublicKey('hex', 'compressed') };
  }
  if (type === 'Ed25519') {
    if (raw.length !== 32 && raw.length !== 64) throw new Error('invalid_argument: an Ed25519 private key has 32 or 64 bytes');
    const seed = raw.subarray(0, 32);
    const keyObject = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
    const x = createPublicKey(keyObject).export({ format: 'jwk' }).x!;
    return { keyObject, jwk: { kty: 'OKP', crv: 'Ed25519', x }, publicKeyHex: Buffer.from(x, 'base64url').toString('hex') };
  }
  throw new Error(`not_supported: key type ${type}`);
}

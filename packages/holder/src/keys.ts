/**
 * Holder keys: one fresh key per credential (and one for DPoP). Private keys never leave WebCrypto:
 * {@link WebCryptoKeyStore} keeps non-extractable `CryptoKey`s in storage that can hold them;
 * {@link SealedJwkKeyStore} (for JSON-only storage such as a file) keeps private JWKs sealed with
 * AES-GCM under a key derived from a passphrase (PBKDF2-SHA-256).
 */
import { base64url, fromBase64url, MaskidError, publicJwk, utf8, webCryptoSigner, type Jwk, type JwsSigner } from '@maskid/core';
import type { StorageAdapter } from './storage.js';

/** Where the wallet's private keys live. */
export interface HolderKeyStore {
  /** Creates a new ES256 key; returns its id and public JWK. */
  create(): Promise<{ id: string; jwk: Jwk }>;
  signer(id: string): Promise<JwsSigner>;
  remove(id: string): Promise<void>;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const newId = () => base64url(crypto.getRandomValues(new Uint8Array(16)));

/** Non-extractable WebCrypto keys stored as `CryptoKey`s (memory, IndexedDB). */
export class WebCryptoKeyStore implements HolderKeyStore {
  constructor(private readonly storage: StorageAdapter) {
    if (!storage.holdsCryptoKeys) throw new MaskidError('ERR_CONFIG_INVALID', 'this storage cannot hold CryptoKeys; use SealedJwkKeyStore');
  }

  async create(): Promise<{ id: string; jwk: Jwk }> {
    const pair = (await crypto.subtle.generateKey(EC, false, ['sign', 'verify'])) as CryptoKeyPair;
    const jwk = publicJwk((await crypto.subtle.exportKey('jwk', pair.publicKey)) as Jwk);
    const id = newId();
    await this.storage.set(`key:${id}`, { privateKey: pair.privateKey, jwk });
    return { id, jwk };
  }

  async signer(id: string): Promise<JwsSigner> {
    const entry = await this.storage.get<{ privateKey: CryptoKey }>(`key:${id}`);
    if (!entry) throw new MaskidError('ERR_NOT_FOUND', 'holder key not found');
    return webCryptoSigner(entry.privateKey, 'ES256');
  }

  async remove(id: string): Promise<void> {
    await this.storage.delete(`key:${id}`);
  }
}

/** Private JWKs sealed with AES-256-GCM under a PBKDF2 key (JSON-only storage, e.g. a file in Node). */
export class SealedJwkKeyStore implements HolderKeyStore {
  #key: Promise<CryptoKey> | undefined;

  constructor(
    private readonly storage: StorageAdapter,
    private readonly passphrase: string,
    private readonly iterations = 310_000,
  ) {
    if (typeof passphrase !== 'string' || passphrase.length < 12) throw new MaskidError('ERR_CONFIG_INVALID', 'the wallet passphrase must have at least 12 characters');
  }

  async #wrapKey(): Promise<CryptoKey> {
    this.#key ??= (async () => {
      let salt = await this.storage.get<string>('keystore:salt');
      if (!salt) {
        salt = base64url(crypto.getRandomValues(new Uint8Array(16)));
        await this.storage.set('keystore:salt', salt);
      }
      const base = await crypto.subtle.importKey('raw', utf8(this.passphrase) as BufferSource, 'PBKDF2', false, ['deriveKey']);
      return crypto.subtle.deriveKey(
        { name: 'PBKDF2', hash: 'SHA-256', salt: fromBase64url(salt)! as BufferSource, iterations: this.iterations },
        base,
        { name: 'AES-GCM', length: 256 },
        false,
        ['encrypt', 'decrypt'],
      );
    })();
    return this.#key;
  }

  async create(): Promise<{ id: string; jwk: Jwk }> {
    const pair = (await crypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const priv = await crypto.subtle.exportKey('jwk', pair.privateKey);
    const id = newId();
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: utf8(`key:${id}`) as BufferSource },
      await this.#wrapKey(),
      utf8(JSON.stringify(priv)) as BufferSource,
    );
    const jwk = publicJwk(priv as Jwk);
    await this.storage.set(`key:${id}`, { sealed: `${base64url(iv)}.${base64url(new Uint8Array(ct))}`, jwk });
    return { id, jwk };
  }

  async signer(id: string): Promise<JwsSigner> {
    const entry = await this.storage.get<{ sealed: string }>(`key:${id}`);
    if (!entry) throw new MaskidError('ERR_NOT_FOUND', 'holder key not found');
    const [iv, ct] = entry.sealed.split('.');
    let plain: ArrayBuffer;
    try {
      plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: fromBase64url(iv!)! as BufferSource, additionalData: utf8(`key:${id}`) as BufferSource },
        await this.#wrapKey(),
        fromBase64url(ct!)! as BufferSource,
      );
    } catch (cause) {
      throw new MaskidError('ERR_KEK_INVALID', 'cannot open the wallet key: wrong passphrase or tampered file', { cause });
    }
    const privateKey = await crypto.subtle.importKey('jwk', JSON.parse(new TextDecoder().decode(plain)), EC, false, ['sign']);
    return webCryptoSigner(privateKey, 'ES256');
  }

  async remove(id: string): Promise<void> {
    await this.storage.delete(`key:${id}`);
  }
}

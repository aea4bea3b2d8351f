/**
 * Creating an issuer in an opened data directory (`maskid-issuer init`): its secrets, its did:web
 * with one assertion key, its settings, and the first key list signed by the root key.
 */
import { randomBytes } from 'node:crypto';
import { MaskidError, urlToDidWeb } from '@maskid/core';
import { MetaEntity, SecretEntity } from '../db/entities.js';
import type { RootKey } from '../crypto/root-key.js';
import { checkIssuerUrl, DEFAULT_CAPACITY, DEFAULT_LIST_SIZE, SECRET_NAMES, type Issuer, type IssuerSettings } from '../issuer.js';
import { KeyService } from './keys.js';

/** Init options. */
export interface InitOptions {
  url: string;
  keyType?: 'Secp256r1' | 'Ed25519';
  capacity?: number;
  listSize?: number;
  credentialValidityDays?: number;
  /**
   * The offline root key that signs the key list (see {@link KeyService}). Required outside `--dev`;
   * with `--dev` a development root key is made in `<dataDir>/dev-root-key.jwk` when none is given.
   */
  rootKey?: RootKey;
}

/**
 * Creates the issuer: secrets, did:web with one assertion key, settings. Idempotent: running it
 * again with the same URL reports the existing issuer; it never replaces keys.
 *
 * @example
 * ```ts
 * const issuer = await Issuer.open({ dataDir, kek: loadKek({ dev: true }), dev: true }, true)
 * const { settings } = await initIssuer(issuer, { url: 'http://localhost:8443' })
 * ```
 */
export async function initIssuer(issuer: Issuer, options: InitOptions): Promise<{ created: boolean; settings: IssuerSettings }> {
  const url = checkIssuerUrl(options.url, issuer.dev);
  const existing = await issuer.getMeta('issuer_did');
  if (existing) {
    const settings = await issuer.settings();
    if (settings.url !== url) throw new MaskidError('ERR_CONFLICT', `this data directory already holds the issuer ${settings.url}; init refuses to replace its keys`);
    return { created: false, settings };
  }
  const listSize = options.listSize ?? DEFAULT_LIST_SIZE;
  const capacity = options.capacity ?? DEFAULT_CAPACITY;
  if (listSize < 131_072 || listSize % 8 !== 0) throw new MaskidError('ERR_INPUT_INVALID', 'list size must be a multiple of 8 and at least 131072');
  if (capacity < listSize || capacity % listSize !== 0) throw new MaskidError('ERR_INPUT_INVALID', 'capacity must be a multiple of the list size');
  const rootKey = options.rootKey ?? (await issuer.devRootKey());
  const did = urlToDidWeb(url);
  const alias = did.slice('did:web:'.length);
  let identifier = (await issuer.agent.didManagerFind({ alias })).find((i) => i.did === did);
  identifier ??= await issuer.agent.didManagerCreate({ provider: 'did:web', alias, kms: 'node', options: { keyType: options.keyType ?? 'Secp256r1' } });
  const kid = identifier.keys[0]!.kid;
  await issuer.write(async (m) => {
    for (const name of SECRET_NAMES) {
      if (await m.findOneBy(SecretEntity, { name })) continue;
      await m.insert(SecretEntity, { name, sealed: issuer.sealer.seal(randomBytes(32), `secret:${name}`), createdAt: new Date().toISOString() });
    }
    const values: Record<string, string> = {
      issuer_url: url,
      issuer_kid: kid,
      capacity: String(capacity),
      list_size: String(listSize),
      credential_validity_days: String(options.credentialValidityDays ?? 30),
      next_slot: '0',
      epoch: '0',
      issuer_did: did,
    };
    for (const [key, value] of Object.entries(values)) await m.save(MetaEntity, { key, value });
  });
  await new KeyService(issuer).initialise(rootKey, kid, Date.now());
  issuer.forgetSettings();
  return { created: true, settings: await issuer.settings() };
}

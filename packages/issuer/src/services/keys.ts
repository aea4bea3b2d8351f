/**
 * Issuer assertion keys and the root-signed key list (see `@maskid/core` key-list): the schedule of
 * each key (when it starts signing, until when it signs, until when it is accepted), rotation with a
 * lead time, distrust, and re-signing the list. Every change here is a key ceremony: it needs the
 * offline root key and is audit-logged.
 */
import type { EntityManager } from 'typeorm';
import { MAX_ASSERTION_KEYS, TYP_KEY_LIST, signJwt, signingKeyAt, MaskidError, type Jwk, type KeyListEntry } from '@maskid/core';
import type { Issuer, ScheduledKey } from '../issuer.js';
import type { RootKey } from '../crypto/root-key.js';
import { maxValidityDays } from './validity.js';
import { AuditService } from './audit.js';

/**
 * How long before a new key signs it is announced in the key list: at least twice the verifiers'
 * key-list refresh interval (1 h by default) and twice the wallets' wake-up interval (12–18 h), so an
 * unknown `kid` during a login never happens to a running verifier or wallet.
 */
export const DEFAULT_KEY_LEAD_SECONDS = 3 * 86_400;
/** A key list is valid this long; `key list sign` re-signs it before then. */
export const DEFAULT_KEY_LIST_VALIDITY_SECONDS = 180 * 86_400;

const nowSeconds = (now: number) => Math.floor(now / 1000);

/**
 * Key schedule and key list.
 *
 * @example
 * ```ts
 * const keys = new KeyService(issuer)
 * await keys.rotate(await loadRootKey('root.jwk'), { leadSeconds: 3 * 86400 })
 * ```
 */
export class KeyService {
  constructor(private readonly issuer: Issuer) {}

  /** The schedule as stored. */
  async schedule(m: EntityManager = this.issuer.ds.manager): Promise<ScheduledKey[]> {
    const raw = await this.issuer.getMeta('key_schedule', m);
    return raw ? (JSON.parse(raw) as ScheduledKey[]) : [];
  }

  /** The key list entries (DID URL kids and public JWKs) of a schedule. */
  async entries(schedule: readonly ScheduledKey[]): Promise<KeyListEntry[]> {
    const did = (await this.issuer.getMeta('issuer_did'))!;
    const out: KeyListEntry[] = [];
    for (const k of schedule) {
      const key = await this.issuer.agent.keyManagerGet({ kid: k.kid });
      const jwk = (key.meta as { jwk?: Jwk } | undefined)?.jwk;
      if (!jwk) throw new MaskidError('ERR_STATE_INVALID', `key ${k.kid} has no public JWK`);
      out.push({
        kid: `${did}#${k.kid}`,
        jwk,
        signFrom: k.signFrom,
        ...(k.signUntil !== undefined ? { signUntil: k.signUntil } : {}),
        ...(k.verifyUntil !== undefined ? { verifyUntil: k.verifyUntil } : {}),
      });
    }
    return out;
  }

  /** The current signed key list (served at `/keys`). */
  async keyList(): Promise<string | undefined> {
    return this.issuer.getMeta('key_list');
  }

  /** The trust anchor: the root key's thumbprint (what verifiers and wallets are configured with). */
  async rootThumbprint(): Promise<string | undefined> {
    return this.issuer.getMeta('root_thumbprint');
  }

  /**
   * Signs the schedule as the next key list version (keys past their `verifyUntil` are left out) and
   * stores it. The first call records the root's thumbprint; later calls refuse any other root.
   */
  async signKeyList(root: RootKey, m: EntityManager, now: number, validitySeconds = DEFAULT_KEY_LIST_VALIDITY_SECONDS): Promise<{ version: number; jwt: string }> {
    const anchored = await this.issuer.getMeta('root_thumbprint', m);
    if (anchored && anchored !== root.thumbprint) throw new MaskidError('ERR_CONFLICT', "this is not the issuer's root key (its thumbprint differs from the anchored one)");
    const nowSec = nowSeconds(now);
    const schedule = (await this.schedule(m)).filter((k) => k.verifyUntil === undefined || k.verifyUntil > nowSec);
    if (schedule.length === 0) throw new MaskidError('ERR_STATE_INVALID', 'the key schedule is empty');
    if (schedule.length > MAX_ASSERTION_KEYS) throw new MaskidError('ERR_STATE_INVALID', `at most ${MAX_ASSERTION_KEYS} assertion keys may be valid at once`);
    const version = Number((await this.issuer.getMeta('key_list_version', m)) ?? '0') + 1;
    const did = (await this.issuer.getMeta('issuer_did', m))!;
    const jwt = await signJwt(
      { typ: TYP_KEY_LIST, jwk: root.jwk },
      { iss: did, version, iat: nowSec, exp: nowSec + validitySeconds, keys: await this.entries(schedule) },
      root.signer,
    );
    await this.issuer.setMeta('key_schedule', JSON.stringify(schedule), m);
    await this.issuer.setMeta('key_list', jwt, m);
    await this.issuer.setMeta('key_list_version', String(version), m);
    if (!anchored) await this.issuer.setMeta('root_thumbprint', root.thumbprint, m);
    await new AuditService(this.issuer).append(m, { action: 'key.list', detail: { version, keys: schedule } });
    return { version, jwt };
  }

  /**
   * The did:web DID document, for discovery: the keys of the current key list under
   * `assertionMethod`. It is not a trust anchor: verifiers and wallets take keys only from the key
   * list signed by the root key (a verifier that trusts did:web alone trusts TLS alone).
   */
  async didDocument(): Promise<Record<string, unknown>> {
    const s = await this.issuer.settings();
    const methods = (await this.entries(await this.schedule())).map((k) => ({ id: k.kid, type: 'JsonWebKey2020', controller: s.did, publicKeyJwk: k.jwk }));
    return {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
      id: s.did,
      verificationMethod: methods,
      assertionMethod: methods.map((m) => m.id),
    };
  }

  /** The first key (at `init`): it signs from now on; the key list is version 1. */
  async initialise(root: RootKey, kid: string, now: number): Promise<void> {
    await this.issuer.write(async (m) => {
      if ((await this.schedule(m)).length > 0) return;
      await this.issuer.setMeta('key_schedule', JSON.stringify([{ kid, signFrom: nowSeconds(now) }]), m);
      await this.signKeyList(root, m, now);
    });
    await new AuditService(this.issuer).signHead();
  }

  /**
   * Announces a new assertion key that starts signing `leadSeconds` from now (0 only for an
   * emergency: running verifiers and wallets then refuse its credentials until they re-read the key
   * list). The current key signs until then and stays accepted until its last credential expires.
   */
  async rotate(
    root: RootKey,
    options: { leadSeconds?: number; keyType?: 'Secp256r1' | 'Ed25519'; now?: number } = {},
  ): Promise<{ kid: string; signFrom: string; previous: string; version: number }> {
    const now = options.now ?? Date.now();
    const lead = options.leadSeconds ?? DEFAULT_KEY_LEAD_SECONDS;
    if (!Number.isSafeInteger(lead) || lead < 0) throw new MaskidError('ERR_INPUT_INVALID', 'the lead time must be a whole number of seconds ≥ 0');
    const s = await this.issuer.settings();
    const current = signingKeyAt(await this.schedule(), now);
    const key = await this.issuer.agent.keyManagerCreate({ kms: 'node', type: options.keyType ?? 'Secp256r1' });
    await this.issuer.agent.didManagerAddKey({ did: s.did, key });
    const signFrom = nowSeconds(now) + lead;
    // The last credential the old key signs is valid at most maxValidityDays after signUntil (plus a day of skew).
    const verifyUntil = signFrom + (maxValidityDays(s.credentialValidityDays) + 1) * 86_400;
    const r = await this.issuer.write(async (m) => {
      const schedule = (await this.schedule(m)).map((k) => (k.kid === current.kid ? { ...k, signUntil: signFrom, verifyUntil } : k));
      schedule.push({ kid: key.kid, signFrom });
      await this.issuer.setMeta('key_schedule', JSON.stringify(schedule), m);
      await new AuditService(this.issuer).append(m, { action: 'key.rotate', detail: { kid: key.kid, signFrom, previous: current.kid } });
      return this.signKeyList(root, m, now);
    });
    await new AuditService(this.issuer).signHead();
    this.issuer.forgetSettings();
    return { kid: `${s.did}#${key.kid}`, signFrom: new Date(signFrom * 1000).toISOString(), previous: `${s.did}#${current.kid}`, version: r.version };
  }

  /**
   * Distrusts a key: it leaves the key list at once, so every verifier and wallet refuses it from
   * their next key-list refresh (every credential it signed must be re-issued). The last key that can
   * sign cannot be retired; announce a successor (`key rotate`, with `--lead 0` in an emergency) first.
   */
  async retire(root: RootKey, kid: string, now = Date.now()): Promise<{ retired: string; version: number }> {
    const s = await this.issuer.settings();
    const short = kid.startsWith(`${s.did}#`) ? kid.slice(s.did.length + 1) : kid;
    const r = await this.issuer.write(async (m) => {
      const schedule = await this.schedule(m);
      if (!schedule.some((k) => k.kid === short)) throw new MaskidError('ERR_NOT_FOUND', `no key ${kid} in the schedule`);
      const rest = schedule.filter((k) => k.kid !== short);
      if (!rest.some((k) => k.signUntil === undefined))
        throw new MaskidError('ERR_STATE_INVALID', 'this is the only key that can sign; announce a successor with `key rotate` first');
      // The successor takes over signing now if the retired key was signing.
      const nowSec = nowSeconds(now);
      const adjusted = rest.map((k) =>
        k.signUntil === undefined && k.signFrom > nowSec && !rest.some((o) => o !== k && o.signFrom <= nowSec && (o.signUntil ?? Infinity) > nowSec)
          ? { ...k, signFrom: nowSec }
          : k,
      );
      await this.issuer.setMeta('key_schedule', JSON.stringify(adjusted), m);
      await new AuditService(this.issuer).append(m, { action: 'key.retire', detail: { kid: short } });
      return this.signKeyList(root, m, now);
    });
    await new AuditService(this.issuer).signHead();
    this.issuer.forgetSettings();
    return { retired: `${s.did}#${short}`, version: r.version };
  }

  /** Re-signs the key list unchanged (a new version and `exp`), e.g. before it expires. */
  async resign(root: RootKey, now = Date.now()): Promise<{ version: number }> {
    const r = await this.issuer.write((m) => this.signKeyList(root, m, now));
    await new AuditService(this.issuer).signHead();
    return { version: r.version };
  }
}

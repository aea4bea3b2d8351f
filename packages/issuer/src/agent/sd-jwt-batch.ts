/**
 * The batch SD-JWT builder (RFC 9901) behind the agent's `maskidIssueBatch`: many claims sets secured in
 * one pass on node:crypto. Salts and decoys for the whole batch are drawn in one call, disclosures are hashed with
 * node:crypto's SHA-256, the header is encoded once, each payload is serialised once and signed through a
 * {@link BatchSigningHandle} the KMS lends for the batch (the private key never leaves the KMS).
 *
 * It builds exactly what `@sd-jwt/core` builds for the profile's disclosure frame (every profile claim
 * present in `credentialSubject`, or `ld.credentialSubject` for the VCLD form, disclosable, decoys up to {@link DIGEST_COUNT}, digests sorted, `_sd_alg`
 * last, disclosures in profile order); `@sd-jwt/core` stays the test oracle for that
 * (test/issuer/batch-issuance.test.ts) and the per-credential path of the `vc+sd-jwt` provider.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DIGEST_COUNT, DISCLOSABLE_CLAIMS, MaskidError, SALT_BYTES } from '@maskid/core';

/** What the KMS lends a batch: the algorithm and a signature over bytes, with the key kept inside. */
export interface BatchSigningHandle {
  readonly alg: 'ES256' | 'EdDSA';
  /** The JOSE signature bytes (ES256: r ‖ s) of `data`; may be async for KMSs without a sync signer. */
  sign(data: Buffer): Buffer | Promise<Buffer>;
}

/** A decoy digest: as many random bytes as a SHA-256 digest. */
const DECOY_BYTES = 32;

const b64 = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

/**
 * Secures `claimsSets` as compact SD-JWTs (with every disclosure, ending in `~`), in input order.
 * `header` is the protected header without `alg` (the handle's algorithm is added last, as
 * `@sd-jwt/core` does).
 *
 * @example
 * ```ts
 * const [sdJwt] = await secureSdJwtBatch([claims], await kms.batchHandle(kid), { typ: 'vc+sd-jwt', cty: 'vc', kid: `${did}#${kid}` })
 * ```
 */
export async function secureSdJwtBatch(
  claimsSets: readonly Record<string, unknown>[],
  handle: BatchSigningHandle,
  header: Record<string, string>,
  subjectPath: readonly string[] = ['credentialSubject'],
): Promise<string[]> {
  const headerB64 = b64(JSON.stringify({ ...header, alg: handle.alg }));
  // Every salt and decoy of the batch in one draw: per credential at most one salt per claim, then the decoys.
  const perCredential = DISCLOSABLE_CLAIMS.length * SALT_BYTES + DIGEST_COUNT * DECOY_BYTES;
  const randomness = randomBytes(claimsSets.length * perCredential);
  // A disclosure's JSON after its salt (`","name",value]`), kept per claim while the value stays the same
  // (a person's batch shows the same values to every platform): one serialisation per value, not per credential.
  const tails = new Map<string, { value: unknown; tail: string }>();
  const out: string[] = new Array(claimsSets.length);
  for (let i = 0; i < claimsSets.length; i++) {
    const claims = claimsSets[i]!;
    const subject = at(claims, subjectPath);
    if (!subject || typeof subject !== 'object' || Array.isArray(subject))
      throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: ${subjectPath.join('.')} must be an object`);
    if ('_sd' in claims || '_sd_alg' in claims || '_sd' in subject) throw new MaskidError('ERR_PROFILE_INVALID', `credential ${i}: claims must not carry SD-JWT members`);
    let r = i * perCredential;
    const visible: Record<string, unknown> = {};
    const disclosures: string[] = [];
    const digests: string[] = [];
    const s = subject as Record<string, unknown>;
    for (const key of Object.keys(s)) if (!(DISCLOSABLE_CLAIMS as readonly string[]).includes(key)) visible[key] = s[key];
    for (const name of DISCLOSABLE_CLAIMS) {
      if (!(name in s)) continue;
      const value = s[name];
      let known = tails.get(name);
      if (known === undefined || known.value !== value || (typeof value === 'object' && value !== null)) {
        known = { value, tail: JSON.stringify([name, value]).slice(1) };
        tails.set(name, known);
      }
      // A base64url salt needs no JSON escaping: `["<salt>",` + the tail is JSON.stringify([salt, name, value]).
      const disclosure = b64(`["${randomness.toString('base64url', r, r + SALT_BYTES)}",${known.tail}`);
      r += SALT_BYTES;
      disclosures.push(disclosure);
      digests.push(createHash('sha256').update(disclosure).digest('base64url'));
    }
    // Decoys: 32 fresh random bytes each. RFC 9901 §4.2.5 recommends hashing a random number; SHA-256 of
    // a random input and 32 random bytes have the same distribution, and this saves a hash per decoy.
    // Either way a decoy cannot be told from a digest.
    r = i * perCredential + DISCLOSABLE_CLAIMS.length * SALT_BYTES;
    for (let d = digests.length; d < DIGEST_COUNT; d++, r += DECOY_BYTES) digests.push(randomness.toString('base64url', r, r + DECOY_BYTES));
    digests.sort();
    visible['_sd'] = digests;
    const payload = replaced(claims, subjectPath, 0, visible);
    payload['_sd_alg'] = 'sha-256';
    const signingInput = `${headerB64}.${b64(JSON.stringify(payload))}`;
    const signature = await handle.sign(Buffer.from(signingInput, 'latin1'));
    out[i] = `${signingInput}.${signature.toString('base64url')}~${disclosures.join('~')}~`;
  }
  return out;
}

/** The value at `path` in `obj`, or undefined. */
function at(obj: Record<string, unknown>, path: readonly string[]): unknown {
  let v: unknown = obj;
  for (const key of path) v = v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
  return v;
}

/** A copy of `obj` with the value at `path[from..]` replaced, members in their order (copied along the path only). */
function replaced(obj: Record<string, unknown>, path: readonly string[], from: number, value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(obj)) {
    out[key] = key !== path[from] ? obj[key] : from === path.length - 1 ? value : replaced(obj[key] as Record<string, unknown>, path, from + 1, value);
  }
  return out;
}

/**
 * Secures `claimsSets` as compact JWSs (`vc+jwt`, VC-JOSE-COSE; no disclosures), in input order: the
 * header encoded once, each payload serialised once and signed through the batch's handle. Status
 * lists are published through it, every changed list of an epoch in one pass.
 *
 * @example
 * ```ts
 * const [jwt] = await secureJwtBatch([claims], await kms.batchHandle(kid), { typ: 'vc+jwt', cty: 'vc', kid: `${did}#${kid}` })
 * ```
 */
export async function secureJwtBatch(claimsSets: readonly Record<string, unknown>[], handle: BatchSigningHandle, header: Record<string, string>): Promise<string[]> {
  const headerB64 = b64(JSON.stringify({ ...header, alg: handle.alg }));
  const out: string[] = new Array(claimsSets.length);
  for (let i = 0; i < claimsSets.length; i++) {
    const signingInput = `${headerB64}.${b64(JSON.stringify(claimsSets[i]))}`;
    const signature = await handle.sign(Buffer.from(signingInput, 'latin1'));
    out[i] = `${signingInput}.${signature.toString('base64url')}`;
  }
  return out;
}

/**
 * Status lists and their manifest: the URLs, the signed shapes and the rules that issuer and
 * verifier share.
 *
 * Each epoch the issuer re-signs the manifest of every platform (`iat`, a short `exp`) and only the
 * lists whose bits changed. The manifest names, for every list, the epoch in which it last changed
 * (a packed array); each list carries the same epoch in its signed payload and has an immutable URL
 * per version (`<canonical URL>.e<epoch>`). A list that never changed has epoch 0 and is all zeros by
 * definition, so nothing needs to be fetched for it. A verifier never replaces what it holds with an
 * older epoch, and measures freshness from the manifest's signed `iat`, never from a fetch or a 304.
 */
import { gunzipSync, gzipSync } from 'fflate';
import { base64url, fromBase64url } from './encoding.js';
import { MaskidError } from './errors.js';

/** JOSE `typ` of a platform's status manifest. */
export const TYP_STATUS_MANIFEST = 'maskid-status-manifest+jwt';
/** The two status purposes, in the order of `credentialStatus`. */
export const STATUS_PURPOSES = ['revocation', 'suspension'] as const;
export type StatusPurpose = (typeof STATUS_PURPOSES)[number];
/** A manifest is valid for at most this long after its `iat` (seconds). */
export const MAX_MANIFEST_LIFETIME_SECONDS = 3600;

/** The status capacity a verifier accepts by default (entries per purpose): the README's national sizing. */
export const DEFAULT_STATUS_CAPACITY = 2 ** 31;

/**
 * The longest manifest JWT that can name `listsPerPurpose` lists (bytes): the two packed epoch arrays
 * at their incompressible worst (GZIP stored blocks, base64url twice: as a member and inside the JWT
 * payload) plus 4 KiB of fixed members and 1 KiB of header and signature. A verifier refuses anything
 * longer unread, so the limit follows from the capacity it accepts: ~234 KiB for 2 × 16,384 lists.
 */
export function manifestLengthLimit(listsPerPurpose: number): number {
  const raw = listsPerPurpose * 4;
  const gz = raw + 5 * (Math.ceil(raw / 65_535) + 1) + 18;
  const member = Math.ceil((gz * 4) / 3);
  return Math.ceil(((4096 + 2 * member) * 4) / 3) + 1024;
}

/** The canonical URL of a platform's status list (`statusListCredential`). */
export function statusListUrl(issuerUrl: string, platformId: string, purpose: StatusPurpose, list: number): string {
  return `${issuerUrl}/status/${platformId}/${purpose}-${list}`;
}

/** The immutable URL of one version of a list: the canonical URL plus the epoch it was signed in. */
export function statusListVersionUrl(canonicalUrl: string, epoch: number): string {
  return `${canonicalUrl}.e${epoch}`;
}

/** The URL of a platform's manifest. */
export function manifestUrl(issuerUrl: string, platformId: string): string {
  return `${issuerUrl}/status/${platformId}/manifest`;
}

/**
 * Packs the per-list epochs (`u32` big-endian, GZIP, base64url): 16,384 lists of one purpose take a
 * few KiB while few of them changed, at most ~64 KiB when all did. `gzip` defaults to fflate (it runs
 * in browsers too); the issuer passes node:zlib, several times faster on 64 KiB.
 */
export function encodeListEpochs(epochs: Uint32Array, gzip: (bytes: Uint8Array) => Uint8Array = (bytes) => gzipSync(bytes, { level: 9, mtime: 0 })): string {
  const bytes = new Uint8Array(epochs.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < epochs.length; i++) view.setUint32(i * 4, epochs[i]!);
  return base64url(gzip(bytes));
}

/** Inverse of {@link encodeListEpochs}; `count` lists exactly, or `ERR_STATUS_MANIFEST_INVALID`. */
export function decodeListEpochs(encoded: unknown, count: number): Uint32Array {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_STATUS_MANIFEST_INVALID', `manifest list epochs: ${why}`);
  };
  if (typeof encoded !== 'string') fail('not a string');
  const gz = fromBase64url(encoded as string);
  if (!gz || gz.length < 18) fail('not base64url GZIP');
  const n = gz!.length;
  const declared = (gz![n - 4]! | (gz![n - 3]! << 8) | (gz![n - 2]! << 16) | (gz![n - 1]! << 24)) >>> 0;
  if (declared !== count * 4) fail(`must hold exactly ${count} epochs`);
  let bytes: Uint8Array;
  try {
    bytes = gunzipSync(gz!, { out: new Uint8Array(declared) });
  } catch {
    return fail('does not inflate');
  }
  if (bytes.length !== declared) fail('length does not match');
  const out = new Uint32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4);
  return out;
}

/** A verified manifest's content. */
export interface StatusManifest {
  issuer: string;
  platform: string;
  epoch: number;
  /** Signed time (seconds): freshness is measured from it. */
  iat: number;
  exp: number;
  /** The issuer's epoch length (seconds): how often a new manifest appears. */
  epochSeconds: number;
  /** `<issuer URL>/status/<platform>`: list n of a purpose is `<base>/<purpose>-<n>`. */
  base: string;
  /** Lists per purpose. */
  count: number;
  /** Entries per list. */
  listSize: number;
  /** The epoch in which each list last changed (0: never, all zeros), per purpose. */
  epochs: Record<StatusPurpose, Uint32Array>;
}

const isCount = (v: unknown, max: number): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;

/**
 * Checks a manifest payload (its signature was checked by the caller): issuer, platform, epoch,
 * `iat` not in the future and not older than `maxAgeMs`, `exp` not past and at most
 * {@link MAX_MANIFEST_LIFETIME_SECONDS} after `iat`, and list epochs that never exceed the manifest's
 * epoch. With `held`, nothing may go back: a lower manifest epoch, or any list whose epoch is lower
 * than before, is `ERR_ROLLBACK`.
 */
export function checkStatusManifest(
  payload: Record<string, unknown>,
  o: {
    issuer: string;
    platform: string;
    issuerUrl?: string;
    now: number;
    skewSeconds?: number;
    maxAgeMs?: number;
    /** Entries per purpose this verifier accepts (`count` × `listSize`); default {@link DEFAULT_STATUS_CAPACITY}. */
    maxEntries?: number;
    held?: StatusManifest | undefined;
  },
): StatusManifest {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_STATUS_MANIFEST_INVALID', `status manifest: ${why}`);
  };
  const skew = o.skewSeconds ?? 60;
  const nowSec = Math.floor(o.now / 1000);
  if (payload['iss'] !== o.issuer) fail('iss is another issuer');
  if (payload['sub'] !== o.platform) fail('it is for another platform');
  const { epoch, iat, exp, epochSeconds } = payload;
  if (!isCount(epoch, 2 ** 32 - 1)) fail('epoch is missing');
  if (!isCount(iat, 2 ** 40) || iat > nowSec + skew) fail('iat is missing or in the future');
  if (!isCount(exp, 2 ** 40) || exp <= nowSec) fail('it has expired');
  if ((exp as number) - (iat as number) > MAX_MANIFEST_LIFETIME_SECONDS) fail(`its lifetime exceeds ${MAX_MANIFEST_LIFETIME_SECONDS} s`);
  if (o.maxAgeMs !== undefined && o.now - (iat as number) * 1000 > o.maxAgeMs) fail('it is older than the staleness bound');
  if (!isCount(epochSeconds, 86_400) || epochSeconds < 1) fail('epochSeconds is missing');
  const lists = payload['lists'] as Record<string, unknown> | undefined;
  if (!lists || typeof lists !== 'object' || Array.isArray(lists)) fail('lists is missing');
  const { base, count, listSize } = lists!;
  if (typeof base !== 'string' || (o.issuerUrl !== undefined && base !== `${o.issuerUrl}/status/${o.platform}`)) fail("lists.base is not this platform's status URL");
  if (!isCount(count, 1 << 20) || count < 1) fail('lists.count is missing');
  if (!isCount(listSize, 2 ** 30) || listSize < 8 || listSize % 8 !== 0) fail('lists.listSize is missing');
  const maxEntries = o.maxEntries ?? DEFAULT_STATUS_CAPACITY;
  if ((count as number) * (listSize as number) > maxEntries) fail(`it names ${count} × ${listSize} entries, over the accepted capacity ${maxEntries}`);
  const epochs = {} as Record<StatusPurpose, Uint32Array>;
  for (const purpose of STATUS_PURPOSES) {
    const e = decodeListEpochs(lists![purpose], count as number);
    for (let i = 0; i < e.length; i++) if (e[i]! > (epoch as number)) fail(`list ${purpose}-${i} is newer than the manifest`);
    epochs[purpose] = e;
  }
  const m: StatusManifest = {
    issuer: o.issuer,
    platform: o.platform,
    epoch: epoch as number,
    iat: iat as number,
    exp: exp as number,
    epochSeconds: epochSeconds as number,
    base: base as string,
    count: count as number,
    listSize: listSize as number,
    epochs,
  };
  const held = o.held;
  if (held) {
    if (m.epoch < held.epoch) throw new MaskidError('ERR_ROLLBACK', `status manifest epoch ${m.epoch} is older than the held epoch ${held.epoch}`);
    if (m.count !== held.count || m.listSize !== held.listSize || m.base !== held.base) fail('the list layout changed');
    for (const purpose of STATUS_PURPOSES) {
      const a = held.epochs[purpose];
      const b = m.epochs[purpose];
      for (let i = 0; i < a.length; i++) if (b[i]! < a[i]!) throw new MaskidError('ERR_ROLLBACK', `list ${purpose}-${i} goes back from epoch ${a[i]} to ${b[i]}`);
    }
  }
  return m;
}

/**
 * Checks a status list credential payload (signature checked by the caller) against what the
 * manifest names: its `id` is the canonical URL, the issuer, `BitstringStatusListCredential` with a
 * `BitstringStatusList` subject of the purpose, and exactly the named `epoch` (an older one is
 * `ERR_ROLLBACK`, any other `ERR_STATUS_LIST_INVALID`). Returns the `encodedList`.
 */
export function checkStatusListCredential(payload: Record<string, unknown>, o: { url: string; issuer: string; purpose: StatusPurpose; epoch: number }): string {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_STATUS_LIST_INVALID', `status list ${o.url}: ${why}`);
  };
  if (payload['issuer'] !== o.issuer) fail('another issuer');
  if (payload['id'] !== o.url) fail('its id is not its URL');
  const type = payload['type'];
  if (!Array.isArray(type) || !type.includes('BitstringStatusListCredential')) fail('not a BitstringStatusListCredential');
  const subject = payload['credentialSubject'] as Record<string, unknown> | undefined;
  if (!subject || typeof subject !== 'object' || subject['type'] !== 'BitstringStatusList') fail('credentialSubject is not a BitstringStatusList');
  if (subject!['statusPurpose'] !== o.purpose) fail(`statusPurpose is not ${o.purpose}`);
  const epoch = subject!['epoch'];
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch)) fail('it carries no epoch');
  if ((epoch as number) < o.epoch) throw new MaskidError('ERR_ROLLBACK', `status list ${o.url}: epoch ${epoch} is older than the manifest's ${o.epoch}`);
  if (epoch !== o.epoch) fail(`epoch ${epoch} is not the manifest's ${o.epoch}`);
  if (typeof subject!['encodedList'] !== 'string') fail('encodedList is missing');
  return subject!['encodedList'] as string;
}

/**
 * Status lists and their manifest: the URLs, the signed shapes and the rules that issuer and
 * verifier share.
 *
 * Each epoch the issuer signs one manifest per platform (`iat`, a short `exp`) and no list. The
 * manifest names, for every list, the epoch in which it last changed (a packed array), and carries the
 * entries that changed in the last few epochs (`changes`): a verifier that held the previous manifest
 * applies them and fetches nothing more. Lists are signed when first asked for at a version; each
 * carries its epoch in its signed payload and has an immutable URL per version (`<canonical
 * URL>.e<epoch>`), fetched only by a verifier starting cold or too far behind. A list that never
 * changed has epoch 0 and is all zeros by definition. A verifier never replaces what it holds with an
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

/** Epochs whose changes a manifest carries at most: its lifetime, so a verifier that still holds a valid manifest can catch up from the next one. */
export const CHANGE_WINDOW_EPOCHS = 3;
/** Changed entries one manifest carries at most (both purposes, set and cleared); past it the issuer shortens the window. */
export const MAX_MANIFEST_CHANGES = 16_384;

/** GZIP of `raw` bytes at worst (stored blocks), then base64url. */
const packedLength = (raw: number) => Math.ceil(((raw + 5 * (Math.ceil(raw / 65_535) + 1) + 18) * 4) / 3);

/**
 * The longest manifest JWT that can name `listsPerPurpose` lists (bytes): the two packed epoch arrays
 * at their incompressible worst (GZIP stored blocks, base64url twice: as a member and inside the JWT
 * payload), the four packed change sets at {@link MAX_MANIFEST_CHANGES} entries (a gap below 2²¹ is at
 * most 3 varint bytes; sorted indexes below the capacity, `listsPerPurpose` × 131,072, leave room in each
 * set for at most `listsPerPurpose / 16` gaps of 2²¹ or more, of 4 bytes, and `/ 2,048` of 2²⁸ or more,
 * of 5), plus 4 KiB of fixed members and 1 KiB of header and signature. A verifier refuses anything
 * longer unread, so the limit follows from the capacity it accepts: ~327 KiB for 2 × 16,384 lists.
 */
export function manifestLengthLimit(listsPerPurpose: number): number {
  const changeBytes = 3 * MAX_MANIFEST_CHANGES + 4 * (Math.ceil(listsPerPurpose / 16) + Math.ceil(listsPerPurpose / 2048) + 1);
  const changes = 4 * (packedLength(0) + 1) + packedLength(changeBytes);
  return Math.ceil(((4096 + 2 * packedLength(listsPerPurpose * 4) + changes) * 4) / 3) + 1024;
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

/**
 * Packs sorted entry indexes (strictly increasing, below 2³²): the gaps as LEB128 varints, GZIP,
 * base64url. A manifest's change sets: ~2–3 bytes per index at the national event rate.
 */
export function encodeIndexes(sorted: ArrayLike<number>, gzip: (bytes: Uint8Array) => Uint8Array = (bytes) => gzipSync(bytes, { level: 9, mtime: 0 })): string {
  const bytes = new Uint8Array(sorted.length * 5);
  let k = 0;
  let last = -1;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (!Number.isInteger(v) || v <= last || v >= 2 ** 32) throw new MaskidError('ERR_INPUT_INVALID', 'indexes must be integers below 2^32, strictly increasing');
    let gap = i === 0 ? v : v - last;
    last = v;
    while (gap >= 0x80) {
      bytes[k++] = (gap & 0x7f) | 0x80;
      gap = Math.floor(gap / 128);
    }
    bytes[k++] = gap;
  }
  return base64url(gzip(bytes.subarray(0, k)));
}

/** Inverse of {@link encodeIndexes}: at most `maxCount` indexes, each below `limit`, or `ERR_STATUS_MANIFEST_INVALID`. */
export function decodeIndexes(encoded: unknown, maxCount: number, limit: number): Uint32Array {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_STATUS_MANIFEST_INVALID', `manifest changes: ${why}`);
  };
  if (typeof encoded !== 'string') fail('not a string');
  const gz = fromBase64url(encoded as string);
  if (!gz || gz.length < 18) fail('not base64url GZIP');
  const n = gz!.length;
  const declared = (gz![n - 4]! | (gz![n - 3]! << 8) | (gz![n - 2]! << 16) | (gz![n - 1]! << 24)) >>> 0;
  if (declared > maxCount * 5) fail(`more than ${maxCount} indexes`);
  let bytes: Uint8Array = new Uint8Array(0);
  try {
    if (declared > 0) bytes = gunzipSync(gz!, { out: new Uint8Array(declared) });
  } catch {
    fail('does not inflate');
  }
  if (bytes.length !== declared) fail('length does not match');
  const out: number[] = [];
  let last = -1;
  for (let k = 0; k < bytes.length; ) {
    let gap = 0;
    let scale = 1;
    for (let j = 0; ; j++) {
      if (j === 5 || k >= bytes.length) fail('a truncated or overlong varint');
      const b = bytes[k++]!;
      gap += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) break;
    }
    if (out.length > 0 && gap === 0) fail('indexes are not strictly increasing');
    const v = out.length === 0 ? gap : last + gap;
    if (v >= limit) fail(`index ${v} is outside the lists`);
    if (out.length === maxCount) fail(`more than ${maxCount} indexes`);
    out.push(v);
    last = v;
  }
  return Uint32Array.from(out);
}

/**
 * The entries that changed in the epochs after `since`, up to the manifest's epoch, with their value
 * now: a verifier that holds the lists as of a manifest of epoch `since` or later applies them instead
 * of fetching the lists that moved (a moved list with no entry here kept its bits: re-signed only).
 * Indexes are global (`list × listSize + offset`), sorted.
 */
export interface StatusChanges {
  since: number;
  set: Record<StatusPurpose, Uint32Array>;
  clear: Record<StatusPurpose, Uint32Array>;
}

/** The `changes` member of a manifest payload: per purpose the packed `set` and `clear` indexes. */
export function encodeStatusChanges(c: StatusChanges, gzip?: (bytes: Uint8Array) => Uint8Array): Record<string, unknown> {
  const out: Record<string, unknown> = { since: c.since };
  for (const purpose of STATUS_PURPOSES) out[purpose] = { set: encodeIndexes(c.set[purpose], gzip), clear: encodeIndexes(c.clear[purpose], gzip) };
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
  /** What changed since an earlier epoch, when the issuer sent it (see {@link StatusChanges}). */
  changes?: StatusChanges;
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
  const changes = payload['changes'] === undefined ? undefined : checkChanges(payload['changes'], epoch as number, count as number, listSize as number, epochs);
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
    ...(changes ? { changes } : {}),
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
 * A manifest's `changes`: `since` not after the epoch, at most {@link MAX_MANIFEST_CHANGES} entries,
 * inside the lists, no entry both set and cleared, and only in lists whose epoch moved after `since`
 * (a change in a list the manifest says did not change is a contradiction, refused).
 */
function checkChanges(value: unknown, epoch: number, count: number, listSize: number, epochs: Record<StatusPurpose, Uint32Array>): StatusChanges {
  const fail = (why: string): never => {
    throw new MaskidError('ERR_STATUS_MANIFEST_INVALID', `status manifest changes: ${why}`);
  };
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('not an object');
  const c = value as Record<string, unknown>;
  const since = c['since'];
  if (!isCount(since, epoch)) fail('since is missing or after the epoch');
  const out: StatusChanges = { since: since as number, set: {} as StatusChanges['set'], clear: {} as StatusChanges['clear'] };
  let left = MAX_MANIFEST_CHANGES;
  for (const purpose of STATUS_PURPOSES) {
    const member = c[purpose] as Record<string, unknown> | undefined;
    if (!member || typeof member !== 'object') fail(`${purpose} is missing`);
    for (const kind of ['set', 'clear'] as const) {
      const indexes = decodeIndexes(member![kind], left, count * listSize);
      left -= indexes.length;
      for (const i of indexes) if (epochs[purpose][Math.floor(i / listSize)]! <= (since as number)) fail(`${purpose} entry ${i} is in a list that did not change`);
      out[kind][purpose] = indexes;
    }
    const set = out.set[purpose];
    const clear = out.clear[purpose];
    for (let i = 0, j = 0; i < set.length && j < clear.length; ) {
      if (set[i] === clear[j]) fail(`${purpose} entry ${set[i]} is both set and cleared`);
      if (set[i]! < clear[j]!) i++;
      else j++;
    }
  }
  return out;
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

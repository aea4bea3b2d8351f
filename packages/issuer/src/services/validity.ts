/**
 * Credential validity dates: how `validUntil` is drawn, the longest a credential can be valid, and
 * so when a status slot nothing more is issued at can be cleared. Credentials, key rotation and status
 * all follow these rules.
 */
import { randomInt } from 'node:crypto';

const DAY = 86_400_000;

/**
 * `validUntil` of one credential: a UTC midnight drawn uniformly `validityDays` to `2 × validityDays`
 * days after today, independently for every credential. Everybody issued on one day shares the grid
 * and the range, and the draws of one person's batch are independent, so no pair of dates singles out
 * a batch. There is no `validFrom` (optional in VCDM 2.0): it would be the batch's issuance day.
 * Never capped at a birthday: an age claim only turns from false to true, and the wallet renews each
 * credential at its own random moment after the birthday (see the holder's renewal policy).
 */
export function validUntilFor(now: number, validityDays: number, random: (max: number) => number = randomInt): number {
  const today = Math.floor(now / DAY) * DAY;
  return today + (validityDays + random(validityDays + 1)) * DAY;
}

/** The longest a credential issued with `validityDays` can be valid, in days (key rotation keeps keys verifiable this long). */
export function maxValidityDays(validityDays: number): number {
  return 2 * validityDays + 1;
}

/**
 * When the bits of a slot released at `releasedAt` may be cleared: after the last credential issued
 * at it has expired (its `validUntil` is at most {@link maxValidityDays} after issuance), plus a day of
 * clock skew. Until then a revocation stays set.
 */
export function clearAtFor(releasedAt: number, validityDays: number): number {
  return releasedAt + (maxValidityDays(validityDays) + 1) * DAY;
}

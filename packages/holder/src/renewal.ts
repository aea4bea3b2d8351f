/**
 * The wallet's renewal policy: which credentials a wake-up (scheduled, or "Refresh now") fetches.
 *
 * - A credential is fetched when the wallet holds none for a registered platform (onboarding, a new
 *   platform, after `reissue`), and otherwise renewed once per validity period: at a moment drawn for
 *   that credential alone, uniformly within its renewal window, which closes {@link RenewalPolicy.closeDays}
 *   before `validUntil` and is {@link RenewalPolicy.windowDays} wide. An expired credential is always due.
 * - Routine renewals are gathered: a wake-up contacts the issuer for them only when the last contact is
 *   at least {@link RenewalPolicy.gatherDays} old, so with wake-ups every 12–18 h about every second
 *   wake-up (anything else due — a missing, expired or distrusted credential — is fetched at once, with
 *   every routine renewal due by then). At 400 platforms that is a contact every ~30 h with ~12
 *   credentials instead of nearly every wake-up with ~6: each contact costs the issuer a token refresh
 *   and a request of its own, whatever it carries. (Gathering around each credential's own moment
 *   instead clustered one person's renewals: the dates-history test found them on the same day three
 *   times as often as two people's.)
 * - When an age claim of a credential turns true (its birthday passes), the credential is renewed at
 *   its own random moment within {@link RenewalPolicy.ageDelayDays} after the birthday (at least the
 *   window's width), never all on the birthday: an age-boundary renewal then looks like a routine one
 *   to a platform that did not ask for the age claim.
 * - Nothing here depends on which sites were visited: the due set is a function of the credentials
 *   held, the registry and the clock, in registry order.
 */
import { AGE_CLAIMS, birthdayAt } from '@maskid/core';

const DAY = 86_400_000;

/** The renewal policy's parameters (days). */
export interface RenewalPolicy {
  /** The window closes this long before `validUntil`. */
  closeDays: number;
  /** The window's width. */
  windowDays: number;
  /** After a birthday that turns an age claim true, each credential is renewed within this many days. */
  ageDelayDays: number;
  /** Routine renewals wait for a wake-up at least this long after the last issuer contact (0: the next wake-up). */
  gatherDays: number;
}

export const DEFAULT_RENEWAL: RenewalPolicy = { closeDays: 3, windowDays: 2, ageDelayDays: 7, gatherDays: 1 };

/**
 * Checks a policy (members left out take {@link DEFAULT_RENEWAL}'s): positive days (`gatherDays` may be
 * 0), an age delay at least the window's width, and gathering that still leaves a day before
 * `validUntil` after the longest wake-up interval (`gatherDays` ≤ `closeDays` − 1).
 */
export function checkRenewalPolicy(policy: Partial<RenewalPolicy>): RenewalPolicy {
  const p = { ...DEFAULT_RENEWAL, ...policy };
  for (const [k, v] of Object.entries(p)) {
    if (!(Number.isFinite(v) && (v > 0 || (k === 'gatherDays' && v === 0)))) throw new RangeError(`renewal policy: ${k} must be a positive number of days`);
  }
  if (p.ageDelayDays < p.windowDays) throw new RangeError('renewal policy: ageDelayDays must be at least windowDays');
  if (p.gatherDays > p.closeDays - 1) throw new RangeError('renewal policy: gatherDays must be at most closeDays - 1');
  return p;
}

/**
 * When a credential just received is to be renewed (ms): a uniform draw in its renewal window, or, if
 * one of its age claims is false and turns true before that, a uniform draw within `ageDelayDays`
 * after that birthday. Always makes two draws from `random`, so the wallet's random stream depends
 * only on the credentials received.
 */
export function renewalTimeFor(credential: { validUntil: number; claims: Record<string, unknown> }, random: () => number, policy: RenewalPolicy = DEFAULT_RENEWAL): number {
  const windowEnd = credential.validUntil - policy.closeDays * DAY;
  const routine = windowEnd - policy.windowDays * DAY + random() * policy.windowDays * DAY;
  const agePhase = random() * policy.ageDelayDays * DAY;
  const birthDate = credential.claims['birthDate'];
  if (typeof birthDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) return routine;
  const boundaries = AGE_CLAIMS.filter(([claim]) => credential.claims[claim] === false).map(([, years]) => birthdayAt(birthDate, years));
  if (boundaries.length === 0) return routine;
  return Math.min(routine, Math.min(...boundaries) + agePhase);
}

/** What the policy needs of a held credential. */
export interface RenewalState {
  validUntil: string;
  /** ISO time drawn at receipt ({@link renewalTimeFor}); absent on credentials stored by older versions. */
  renewAt?: string;
}

/**
 * The platforms a wake-up fetches, in registry order: every registered platform without a credential,
 * with an expired one, with one whose signing key the issuer's current key list no longer lets verify
 * (`untrusted`: a distrusted key), or whose renewal moment has come; none while only routine renewals
 * are due and the last contact with the issuer (`lastContact`, ms) is less than `gatherDays` old.
 */
export function dueForRenewal(
  registry: readonly string[],
  held: ReadonlyMap<string, RenewalState>,
  now: number,
  policy: RenewalPolicy = DEFAULT_RENEWAL,
  untrusted: ReadonlySet<string> = new Set(),
  lastContact?: number,
): string[] {
  let urgent = false;
  const due = registry.filter((id) => {
    const c = held.get(id);
    const validUntil = c ? Date.parse(c.validUntil) : Number.NaN;
    if (!c || untrusted.has(id) || !(validUntil > now)) {
      urgent = true;
      return true;
    }
    const renewAt = c.renewAt ? Date.parse(c.renewAt) : validUntil - policy.closeDays * DAY;
    return !(renewAt > now);
  });
  return urgent || lastContact === undefined || now - lastContact >= (policy.gatherDays ?? 0) * DAY ? due : [];
}

/**
 * Dates over a simulated history: 2,000 people on two platforms for 90 days, with the issuer's real
 * `validUntil` rule (`validUntilFor`), the wallet's real renewal policy (`renewalTimeFor`,
 * `dueForRenewal`) and wake-ups every 12–18 h; onboardings spread over 30 days, 5 % reissues, and 200
 * people turning 18 during the period. The two platforms pool what they see of every credential: the day
 * it was first presented (at the latest the day it was issued: people sign in daily) and its
 * `validUntil`. No date may link a person's two accounts beyond what the batches a wallet cannot avoid
 * (onboarding and reissue: it holds nothing, so it fetches everything at once) reveal by their day:
 *
 * - routine renewals of one person's two credentials fall on the same day at most twice as often as
 *   those of two people onboarded the same day (a shuffled pairing is the baseline). Not equal: one wallet
 *   wakes up for all its credentials, so two renewal moments within one 12–18 h gap are fetched together
 *   (measured 4.7 % vs 3.5 % of people over 90 days: a weak signal, stated in docs/issuance.md);
 * - the two credentials of one batch carry equal `validUntil` dates no more often than independent draws;
 * - after the 18th birthday, the two credentials are renewed on days as independent as the policy's
 *   delay allows, never together on the birthday.
 *
 * Each check fails for the obvious mistake (renewing every credential at once, one `validUntil` per
 * batch, renewing on the birthday): the "broken" variants below run the same measurements.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { birthdayAt } from '@maskid/core';
import { validUntilFor } from '@maskid/issuer';
import { DEFAULT_RENEWAL, dueForRenewal, renewalTimeFor, type RenewalState } from '@maskid/holder';
import { seededRandom } from '../helpers.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const PEOPLE = 2000;
const DAYS = 90;
const VALIDITY_DAYS = 30;
const PLATFORMS = ['a', 'b'] as const;
const T0 = Date.UTC(2026, 0, 1);

/** What a platform saw of one credential. */
interface Seen {
  day: number;
  validUntil: number;
  kind: 'batch' | 'routine' | 'age';
}

/** Simulates the history; `broken` swaps in the mistakes each check is meant to catch. */
function simulate(seed: number, broken: { renewTogether?: boolean; batchValidUntil?: boolean; renewOnBirthday?: boolean } = {}) {
  const random = seededRandom(seed);
  const draw = (max: number) => Math.floor(random() * max);
  const seen = new Map<string, Seen[]>();
  const onboardDay: number[] = [];
  const turning18 = new Set<number>();
  for (let p = 0; p < PEOPLE; p++) {
    const onboard = T0 + random() * 30 * DAY;
    onboardDay.push(Math.floor((onboard - T0) / DAY));
    // 200 people turn 18 during the period, the others are adults.
    const birthDate = p < 200 ? new Date(T0 + (20 + random() * 60) * DAY - 18 * 365.25 * DAY).toISOString().slice(0, 10) : '1990-06-15';
    if (p < 200) turning18.add(p);
    const reissueAt = random() < 0.05 ? onboard + random() * (T0 + DAYS * DAY - onboard) : Infinity;
    let reissued = false;
    const held = new Map<string, RenewalState & { claims: Record<string, unknown> }>();
    for (const platform of PLATFORMS) seen.set(`${p}/${platform}`, []);
    let lastContact: number | undefined;
    for (let now = onboard; now < T0 + DAYS * DAY; now += 12 * HOUR + random() * 6 * HOUR) {
      if (!reissued && now >= reissueAt) {
        held.clear(); // a new generation: the wallet holds nothing and fetches everything
        reissued = true;
      }
      const batch = held.size === 0;
      let due = dueForRenewal(PLATFORMS, held, now, DEFAULT_RENEWAL, new Set(), lastContact);
      if (due.length > 0) lastContact = now;
      if (broken.renewTogether && due.length > 0) due = [...PLATFORMS];
      let shared: number | undefined;
      for (const platform of due) {
        const adult = birthdayAt(birthDate, 18) <= now;
        const claims = { birthDate, ageOver18: adult };
        const before = held.get(platform);
        const kind: Seen['kind'] = batch ? 'batch' : before && before.claims['ageOver18'] === false && adult ? 'age' : 'routine';
        let validUntil = validUntilFor(now, VALIDITY_DAYS, draw);
        if (broken.batchValidUntil && batch) {
          shared = shared ?? validUntil;
          validUntil = shared;
        }
        let renewAt = renewalTimeFor({ validUntil, claims }, random);
        if (broken.renewOnBirthday && !adult) renewAt = Math.min(renewAt, birthdayAt(birthDate, 18));
        held.set(platform, { validUntil: new Date(validUntil).toISOString(), renewAt: new Date(renewAt).toISOString(), claims });
        seen.get(`${p}/${platform}`)!.push({ day: Math.floor((now - T0) / DAY), validUntil, kind });
      }
    }
  }
  return { seen, onboardDay, turning18 };
}

/** Pairs of people whose two accounts the checks compare: each person with themselves, and the shuffled baseline (same onboarding day). */
function baselinePairs(onboardDay: number[], seed: number): [number, number][] {
  const random = seededRandom(seed);
  const byDay = new Map<number, number[]>();
  for (const [p, d] of onboardDay.entries()) byDay.set(d, [...(byDay.get(d) ?? []), p]);
  const pairs: [number, number][] = [];
  for (const group of byDay.values()) {
    // Fisher–Yates, then each person paired with the next one in the shuffled order (never with themselves).
    const shuffled = [...group];
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    if (shuffled.length < 2) continue;
    for (let i = 0; i < shuffled.length; i++) pairs.push([shuffled[i]!, shuffled[(i + 1) % shuffled.length]!]);
  }
  return pairs;
}

/** How many pairs (A account of x, B account of y) share a day on which both saw a new routine credential. */
function routineCoincidences(seen: Map<string, Seen[]>, pairs: [number, number][]): number {
  let n = 0;
  for (const [x, y] of pairs) {
    const daysA = new Set(
      seen
        .get(`${x}/a`)!
        .filter((s) => s.kind === 'routine')
        .map((s) => s.day),
    );
    if (seen.get(`${y}/b`)!.some((s) => s.kind === 'routine' && daysA.has(s.day))) n++;
  }
  return n;
}

function measure(run: ReturnType<typeof simulate>) {
  const self = Array.from({ length: PEOPLE }, (_, p) => [p, p] as [number, number]);
  const shuffled = baselinePairs(run.onboardDay, 99);
  const sameRoutineDay = routineCoincidences(run.seen, self) / self.length;
  const baseline = routineCoincidences(run.seen, shuffled) / shuffled.length;
  // Batches: the two credentials of one onboarding or reissue.
  let batches = 0;
  let equalValidUntil = 0;
  for (let p = 0; p < PEOPLE; p++) {
    const a = run.seen.get(`${p}/a`)!.filter((s) => s.kind === 'batch');
    const b = run.seen.get(`${p}/b`)!.filter((s) => s.kind === 'batch');
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      batches++;
      if (a[i]!.validUntil === b[i]!.validUntil) equalValidUntil++;
    }
  }
  // Age boundary: the day each platform first saw a credential saying ageOver18 = true.
  let turned = 0;
  let sameAgeDay = 0;
  for (const p of run.turning18) {
    const a = run.seen.get(`${p}/a`)!.find((s) => s.kind === 'age');
    const b = run.seen.get(`${p}/b`)!.find((s) => s.kind === 'age');
    if (!a || !b) continue;
    turned++;
    if (a.day === b.day) sameAgeDay++;
  }
  return { sameRoutineDay, baseline, batches, equalValidUntilShare: equalValidUntil / batches, turned, sameAgeDayShare: sameAgeDay / turned };
}

describe('dates over a simulated 90-day history link nobody', () => {
  const real = measure(simulate(7));

  it('routine renewals of one person fall on the same day at most twice as often as those of two people onboarded together', (t) => {
    t.diagnostic(`same routine-renewal day: one person ${(100 * real.sameRoutineDay).toFixed(1)} %, shuffled pairs ${(100 * real.baseline).toFixed(1)} %`);
    assert.ok(real.baseline > 0, 'the baseline is not empty');
    // Independent moments, fetched at the wallet's shared wake-ups: a small excess over two people, bounded here.
    assert.ok(real.sameRoutineDay <= real.baseline * 2, `${real.sameRoutineDay} vs ${real.baseline}`);
    const broken = measure(simulate(7, { renewTogether: true }));
    assert.ok(broken.sameRoutineDay > broken.baseline * 2, 'renewing every credential at once would fail this check');
  });

  it('the two credentials of one batch carry equal validUntil dates only as often as independent draws (1 in 31)', (t) => {
    t.diagnostic(`${real.batches} batches, equal validUntil in ${(100 * real.equalValidUntilShare).toFixed(1)} %`);
    assert.ok(real.batches >= PEOPLE, 'every onboarding (and reissue) is a batch');
    assert.ok(real.equalValidUntilShare < 2 / (VALIDITY_DAYS + 1), `${real.equalValidUntilShare}`);
    const broken = measure(simulate(7, { batchValidUntil: true }));
    assert.equal(broken.equalValidUntilShare, 1, 'one validUntil per batch would fail this check');
  });

  it('after the 18th birthday each credential is renewed on its own day within the delay, never all on the birthday', (t) => {
    t.diagnostic(`${real.turned} people turned 18 and renewed both; both on the same day: ${(100 * real.sameAgeDayShare).toFixed(1)} %`);
    assert.ok(real.turned >= 100, `${real.turned}`);
    // Two independent uniform draws over ageDelayDays (7) land on the same day about 1/7 of the time.
    assert.ok(real.sameAgeDayShare < 2.5 / DEFAULT_RENEWAL.ageDelayDays, `${real.sameAgeDayShare}`);
    const broken = measure(simulate(7, { renewOnBirthday: true }));
    assert.ok(broken.sameAgeDayShare > 0.9, 'renewing on the birthday would fail this check');
  });
});

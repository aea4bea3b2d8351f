import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * Load shedding by event-loop delay. Verification is CPU-bound, so when more arrives than one core
 * can verify, the event loop falls behind; while it stays more than `maxDelayMs` late, new
 * verification requests are refused at once (503 `ERR_OVERLOADED`, `Retry-After`) instead of queueing
 * without bound. A refusal costs no body parsing and consumes no nonce, so the platform can retry the
 * same presentation.
 *
 * A timer (unref'd) samples the delay every `sampleMs`. The loop counts as overloaded only when
 * - the last `sustainSamples` samples were all later than `maxDelayMs`: one pause (a GC, a status
 *   list being decoded, a slow disk) delays one sample and never refuses a login; and
 * - the loop was busy for at least `minBusy` of the time those samples span (event-loop
 *   utilisation): a late timer in a process that was idle means the OS ran something else (a
 *   browser, another test, a noisy neighbour), and refusing logins would not help.
 *
 * @example
 * ```ts
 * const shedder = new LoadShedder(20)
 * shedder.start()
 * if (shedder.overloaded) return sendOverloaded(res)
 * ```
 */
export class LoadShedder {
  #delayMs = 0;
  #lateStreak = 0;
  #streakActive = 0;
  #streakTotal = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly maxDelayMs: number, readonly sampleMs = 10, readonly sustainSamples = 3, readonly minBusy = 0.9) {}

  start(): void {
    if (this.maxDelayMs <= 0 || this.#timer) return;
    let expected = performance.now() + this.sampleMs;
    let elu: EventLoopUtilization = performance.eventLoopUtilization();
    this.#timer = setInterval(() => {
      const now = performance.now();
      const current = performance.eventLoopUtilization();
      const d = performance.eventLoopUtilization(current, elu);
      elu = current;
      this.#delayMs = Math.max(0, now - expected);
      expected = now + this.sampleMs;
      if (this.#delayMs > this.maxDelayMs) {
        this.#lateStreak++;
        this.#streakActive += d.active;
        this.#streakTotal += d.active + d.idle;
      } else {
        this.#lateStreak = this.#streakActive = this.#streakTotal = 0;
      }
    }, this.sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#delayMs = this.#lateStreak = this.#streakActive = this.#streakTotal = 0;
  }

  /** The event loop's last measured delay (ms). */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** How busy the loop was over the current run of late samples (0–1; 0 when the last sample was on time). */
  get busy(): number {
    return this.#streakTotal > 0 ? this.#streakActive / this.#streakTotal : 0;
  }

  /** True while new verification work should be refused. */
  get overloaded(): boolean {
    return this.#timer !== undefined && this.#lateStreak >= this.sustainSamples && this.busy >= this.minBusy;
  }
}

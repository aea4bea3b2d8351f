import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/**
 * Load shedding by event-loop delay. Verification is CPU-bound, so when more arrives than one core
 * can verify, the event loop falls behind; while it is more than `maxDelayMs` late because of
 * verification work, new verification requests are refused at once (503 `ERR_OVERLOADED`,
 * `Retry-After`) instead of queueing without bound. A refusal costs no body parsing and consumes no
 * nonce, so the platform can retry the same presentation.
 *
 * A timer (unref'd) samples the delay every `sampleMs`. A late sample starts shedding only when, over
 * the time since the previous sample, the loop was busy (event-loop utilisation ≥ `minBusy`) and at
 * least `minWorkShare` of that time went into verifying presentations (`workMs`, the engine's
 * cumulative time; at saturation it is 30–50 % of the wall time, HTTP and JSON take the rest). A
 * process that the OS kept off the CPU (a browser or another job on the same cores) or a pause for
 * another reason (a GC, a list being decoded, other code in the same process) delays the timer too,
 * and refusing logins would help against neither. Once shedding, it goes on while the samples stay
 * late (under a flood, refusing has its own cost) and stops at the first sample on time. One late
 * sample is enough to start: waiting for a second one lets a flood queue up seconds of work.
 *
 * @example
 * ```ts
 * const shedder = new LoadShedder(20, () => engine.workMs)
 * shedder.start()
 * if (shedder.overloaded) return sendOverloaded(res)
 * ```
 */
export class LoadShedder {
  #delayMs = 0;
  #workShare = 0;
  #busy = 0;
  #overloaded = false;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly maxDelayMs: number,
    readonly workMs: () => number,
    readonly sampleMs = 10,
    readonly minWorkShare = 0.1,
    readonly minBusy = 0.8,
  ) {}

  start(): void {
    if (this.maxDelayMs <= 0 || this.#timer) return;
    let last = performance.now();
    let lastWork = this.workMs();
    let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
    this.#timer = setInterval(() => {
      const now = performance.now();
      const work = this.workMs();
      const elu = performance.eventLoopUtilization();
      this.#delayMs = Math.max(0, now - last - this.sampleMs);
      this.#workShare = now > last ? Math.min(1, (work - lastWork) / (now - last)) : 0;
      this.#busy = performance.eventLoopUtilization(elu, lastElu).utilization;
      last = now;
      lastWork = work;
      lastElu = elu;
      const late = this.#delayMs > this.maxDelayMs;
      this.#overloaded = late && (this.#overloaded || (this.#busy >= this.minBusy && this.#workShare >= this.minWorkShare));
    }, this.sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#delayMs = this.#workShare = this.#busy = 0;
    this.#overloaded = false;
  }

  /** The event loop's last measured delay (ms). */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** The share (0–1) of the last sample interval spent verifying presentations. */
  get workShare(): number {
    return this.#workShare;
  }

  /** Event-loop utilisation (0–1) over the last sample interval. */
  get busy(): number {
    return this.#busy;
  }

  /** True while new verification work should be refused. */
  get overloaded(): boolean {
    return this.#timer !== undefined && this.#overloaded;
  }
}

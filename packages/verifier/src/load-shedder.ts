/**
 * Load shedding by event-loop delay. Verification is CPU-bound, so when more arrives than one core
 * can verify, the event loop falls behind; while it is more than `maxDelayMs` late, new verification
 * requests are refused at once (503 `ERR_OVERLOADED`, `Retry-After`) instead of queueing without
 * bound. A refusal costs no body parsing and consumes no nonce, so the platform can retry the same
 * presentation. The delay is sampled by a timer (unref'd) every `sampleMs`.
 */
export class LoadShedder {
  #delayMs = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly maxDelayMs: number, readonly sampleMs = 10) {}

  start(): void {
    if (this.maxDelayMs <= 0 || this.#timer) return;
    let expected = performance.now() + this.sampleMs;
    this.#timer = setInterval(() => {
      const now = performance.now();
      this.#delayMs = Math.max(0, now - expected);
      expected = now + this.sampleMs;
    }, this.sampleMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#delayMs = 0;
  }

  /** The event loop's last measured delay (ms). */
  get delayMs(): number {
    return this.#delayMs;
  }

  /** True while new verification work should be refused. */
  get overloaded(): boolean {
    return this.#timer !== undefined && this.#delayMs > this.maxDelayMs;
  }
}

/**
 * The wallet's wake-up schedule: a refresh every 12 h plus a random jitter of up to 6 h, independent of
 * browsing (a refresh for the site that asked would tell the issuer which sites a person uses).
 */
/** Options of the refresh schedule: period, jitter and the random source. */
export interface RefreshTiming {
  everyMs?: number;
  jitterMs?: number;
  random?: () => number;
}

/**
 * The delay before the next scheduled refresh: `everyMs` plus a random jitter in `[0, jitterMs)`
 * after a success, a tenth of the period after a failure. Used by {@link scheduleRefresh} and by
 * the extension's alarm-driven schedule (a service worker cannot keep a timer).
 */
export function nextRefreshDelay(succeeded: boolean, timing: RefreshTiming = {}): number {
  const every = timing.everyMs ?? 12 * 3600_000;
  const jitter = timing.jitterMs ?? 6 * 3600_000;
  const random = timing.random ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32);
  return succeeded ? every + random() * jitter : every / 10;
}

/**
 * Schedules `wallet.refresh()` every `everyMs` plus a random jitter in `[0, jitterMs)`, independent
 * of browsing. Errors retry sooner (a tenth of the period). Returns a function that stops it.
 */
export function scheduleRefresh(
  wallet: { refresh(): Promise<unknown> },
  options: RefreshTiming & { setTimer?: (fn: () => void, ms: number) => unknown; clearTimer?: (t: unknown) => void } = {},
): () => void {
  const setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  let timer: unknown;
  let stopped = false;
  const arm = (ms: number) => {
    if (!stopped) timer = setTimer(run, ms);
  };
  const run = () => {
    wallet.refresh().then(
      () => arm(nextRefreshDelay(true, options)),
      () => arm(nextRefreshDelay(false, options)),
    );
  };
  arm(nextRefreshDelay(true, options));
  return () => {
    stopped = true;
    clearTimer(timer);
  };
}

/** Exponential backoff with ±25% jitter, so jobs that failed together do not retry together. */
export function backoffDelayMs(
  attempt: number,
  opts: { baseMs?: number; maxMs?: number; random?: () => number } = {},
): number {
  const base = opts.baseMs ?? 5_000;
  const max = opts.maxMs ?? 10 * 60_000;
  const random = opts.random ?? Math.random;
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.75 + random() * 0.5));
}

/** How many times a job is tried when its enqueuer does not say (both engines). */
export const DEFAULT_JOB_ATTEMPTS = 5;

/** pg-boss's wait after a failed try, in seconds: up to this·2ⁿ after the n-th failed try (retryBackoff, jittered). */
export const PG_BOSS_RETRY_DELAY_S = 5;

/**
 * The longest the queue waits in all between a job's first try and its last, on either engine, jitter at its worst
 * (SQLite: `backoffDelayMs`; pg-boss: retry_delay·2^(n)/2·(1 + random) after the n-th failed try). Waits for a rate
 * limit's reset are not tries and are not counted here.
 */
export function retrySpanMs(attempts = DEFAULT_JOB_ATTEMPTS): number {
  let total = 0;
  for (let failed = 1; failed < attempts; failed++) {
    const sqlite = backoffDelayMs(failed, { random: () => 1 });
    const pgBoss = PG_BOSS_RETRY_DELAY_S * 1000 * 2 ** failed;
    total += Math.max(sqlite, pgBoss);
  }
  return total;
}

// How ci-medic reads GitHub's failures, applied to every request by the error hook in octokit.ts. Only rate limits
// become a typed error: the queue re-runs the job at `retryAt` (see src/queue/errors.ts, which looks for that
// property). Everything else propagates unchanged, and callers branch on statusOf.

/** GitHub refused for now; try again at `retryAt`. */
export class RateLimitedError extends Error {
  constructor(
    readonly retryAt: Date,
    readonly status: number,
  ) {
    super(`GitHub rate limit (HTTP ${status}); retry at ${retryAt.toISOString()}`);
    this.name = "RateLimitedError";
  }
}

type Headers = Record<string, string | number | undefined>;

/** The HTTP status of an Octokit RequestError (or anything shaped like one). */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" ? status : undefined;
}

function headersOf(error: unknown): Headers {
  const response = (error as { response?: { headers?: Headers } }).response;
  return response?.headers ?? {};
}

const DEFAULT_WAIT_MS = 60_000;

/**
 * When a 403/429 is a rate limit, the moment to retry: `retry-after` (seconds) wins, then `x-ratelimit-reset` (epoch
 * seconds) when the quota is spent. A 403 without these headers is a permission problem, not a rate limit.
 */
export function rateLimitRetryAt(status: number, headers: Headers, now = Date.now()): Date | undefined {
  if (status !== 403 && status !== 429) return undefined;
  const retryAfter = Number(headers["retry-after"]);
  if (headers["retry-after"] !== undefined && Number.isFinite(retryAfter)) return new Date(now + retryAfter * 1000);
  const reset = Number(headers["x-ratelimit-reset"]);
  const spent = String(headers["x-ratelimit-remaining"]) === "0";
  if (spent && Number.isFinite(reset)) return new Date(Math.max(reset * 1000, now));
  if (status === 429) return new Date(now + DEFAULT_WAIT_MS);
  return undefined;
}

/** The RateLimitedError for this error, when it is one. */
export function asRateLimited(error: unknown): RateLimitedError | undefined {
  const status = statusOf(error);
  if (status === undefined) return undefined;
  const retryAt = rateLimitRetryAt(status, headersOf(error));
  return retryAt ? new RateLimitedError(retryAt, status) : undefined;
}

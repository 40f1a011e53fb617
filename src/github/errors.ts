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

/** Why GitHub could not be reached at all (no HTTP answer): a metric label and the words of the log and the analysis. */
export type NetworkFailure = "dns" | "refused" | "reset" | "timeout" | "tls" | "network";

const NETWORK_CODES: Record<string, NetworkFailure> = {
  ENOTFOUND: "dns",
  EAI_AGAIN: "dns",
  EAI_FAIL: "dns",
  ECONNREFUSED: "refused",
  EHOSTUNREACH: "refused",
  ENETUNREACH: "refused",
  ECONNRESET: "reset",
  EPIPE: "reset",
  UND_ERR_SOCKET: "reset",
  ETIMEDOUT: "timeout",
  UND_ERR_CONNECT_TIMEOUT: "timeout",
  UND_ERR_HEADERS_TIMEOUT: "timeout",
  EPROTO: "tls",
  CERT_HAS_EXPIRED: "tls",
  DEPTH_ZERO_SELF_SIGNED_CERT: "tls",
  SELF_SIGNED_CERT_IN_CHAIN: "tls",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "tls",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "tls",
  ERR_TLS_CERT_ALTNAME_INVALID: "tls",
  ERR_SSL_WRONG_VERSION_NUMBER: "tls",
};

const NETWORK_WORDS: Record<NetworkFailure, string> = {
  dns: "its host name did not resolve (DNS)",
  refused: "the connection was refused or the host is unreachable",
  reset: "the connection was reset",
  timeout: "it did not answer in time",
  tls: "the TLS handshake failed (certificate or protocol)",
  network: "the request failed before any answer",
};

/**
 * When a GitHub call failed without an HTTP answer, why. Octokit reports such failures as status 500 ("fetch failed")
 * with the socket's error somewhere down the `cause` chain; a 500 GitHub actually sent has a response and is not one.
 * Pure: looks at the error only.
 */
export function networkFailureOf(error: unknown): NetworkFailure | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  if ((error as { response?: unknown }).response !== undefined) return undefined;
  let fetchFailed = false;
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === "object" && current !== null; depth++) {
    const { code, name, message } = current as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === "string" && NETWORK_CODES[code]) return NETWORK_CODES[code];
    if (name === "TimeoutError" || (name === "AbortError" && /timeout|timed out/i.test(String(message))))
      return "timeout";
    if (typeof code === "string" && /^(ERR_TLS|ERR_SSL|CERT_|ERR_OSSL)/.test(code)) return "tls";
    if (message === "fetch failed" || /^(connect|getaddrinfo|read|write) E[A-Z]+/.test(String(message)))
      fetchFailed = true;
    current = (current as { cause?: unknown }).cause;
  }
  return fetchFailed ? "network" : undefined;
}

/** "could not reach GitHub: …", for the log, the job's last error and the analysis's status detail. */
export function describeNetworkFailure(failure: NetworkFailure): string {
  return `could not reach GitHub: ${NETWORK_WORDS[failure]}`;
}

/** A GitHub call that got no answer: its message says so and why, for the job's log line and its last error. */
export class GitHubUnreachableError extends Error {
  constructor(
    readonly reason: NetworkFailure,
    cause: unknown,
  ) {
    super(`${describeNetworkFailure(reason)} (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = "GitHubUnreachableError";
  }
}

/** The error a job should fail with: a network failure named as such, anything else as it is. */
export function asUnreachable(error: unknown): unknown {
  if (error instanceof GitHubUnreachableError) return error;
  const reason = networkFailureOf(error);
  return reason ? new GitHubUnreachableError(reason, error) : error;
}

import type { ProbotOctokit } from "probot";
import { countGitHubErrors } from "../observability/github-metrics.js";
import type { Metrics } from "../observability/metrics.js";
import { type NetworkFailure, networkFailureOf } from "./errors.js";
import { githubOctokit } from "./octokit.js";

// How ci-medic's Probot instances reach GitHub (the server's and the job thread's). Two settings keep an unreachable
// GitHub (DNS failure, refused connection, TLS error, a host that never answers) from holding a job for minutes:
// - every request waits at most GITHUB_ANSWER_TIMEOUT_MS for GitHub's answer to start (a log's body may then take
//   as long as it needs);
// - that includes the installation-token requests Probot's app authentication makes with a request of its own (built
//   from Probot's `request` option, which Probot's run() does not pass on: the server's Probot, where the jobs run
//   with WORKER_MODE=in-process, would otherwise wait for a token for ever);
// - Octokit's retry plugin no longer retries a status 500: that is how Octokit reports a request that got no answer,
//   and retried inside retried token requests it took 16 attempts and 2.5 minutes per call. The job fails at once and
//   the queue retries it on its normal backoff. 502, 503 and 504 (GitHub's own transient answers) are retried once.

export const GITHUB_ANSWER_TIMEOUT_MS = 20_000;

const DO_NOT_RETRY = [400, 401, 403, 404, 410, 422, 451, 500];
/**
 * One retry, not Octokit's three: an installation-token request is retried inside the retried request that needed it,
 * so three became 16 attempts over minutes (measured, for a 502 or a network failure).
 */
const RETRIES = 1;

type Fetch = typeof globalThis.fetch;

/** What Probot passes as `auth` to its Octokit class: the app authentication's options, with the request it uses. */
interface AuthOptions {
  request?: { defaults(options: { request: { fetch: Fetch } }): unknown };
}

/**
 * fetch() that gives up when no answer (status line and headers) has come within `timeoutMs`, and reports each call
 * that got no answer (`onUnreachable`).
 */
export function fetchWithAnswerTimeout(
  timeoutMs: number,
  opts: { base?: Fetch; onUnreachable?: (reason: NetworkFailure) => void } = {},
): Fetch {
  const base = opts.base ?? globalThis.fetch;
  return async (input, init = {}) => {
    const controller = new AbortController();
    const outer = init.signal;
    const forward = () => controller.abort(outer?.reason);
    if (outer?.aborted) forward();
    else outer?.addEventListener("abort", forward, { once: true });
    const timer = setTimeout(
      () => controller.abort(new DOMException(`GitHub did not answer within ${timeoutMs} ms`, "TimeoutError")),
      timeoutMs,
    );
    try {
      return await base(input, { ...init, signal: controller.signal });
    } catch (error) {
      const reason = networkFailureOf(error);
      if (reason && !outer?.aborted) opts.onUnreachable?.(reason);
      throw error;
    } finally {
      clearTimeout(timer); // the caller's own signal still aborts the body
    }
  };
}

/** The Probot options for GitHub: the Octokit class (error hook and metrics, retry settings) and the timed fetch. */
export function githubClientOptions(metrics: Pick<Metrics, "githubApiErrors" | "githubUnreachable">): {
  Octokit: typeof ProbotOctokit;
  request: { fetch: Fetch };
} {
  const fetch = fetchWithAnswerTimeout(GITHUB_ANSWER_TIMEOUT_MS, {
    onUnreachable: (reason) => metrics.githubUnreachable.inc({ reason }),
  });
  // The function form: Probot passes its own options (auth, throttle, log) per instance, and these must survive it.
  const Octokit = githubOctokit(countGitHubErrors(metrics)).defaults(
    (options: { retry?: object; request?: { fetch?: Fetch }; auth?: unknown }) => {
      const timed = options.request?.fetch ?? fetch;
      const auth = options.auth as AuthOptions | undefined;
      return {
        ...options,
        retry: { doNotRetry: DO_NOT_RETRY, retries: RETRIES, ...options.retry },
        request: { ...options.request, fetch: timed },
        ...(typeof auth?.request?.defaults === "function"
          ? { auth: { ...auth, request: auth.request.defaults({ request: { fetch: timed } }) } }
          : {}),
      };
    },
  );
  return { Octokit, request: { fetch } };
}

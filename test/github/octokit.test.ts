import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { RateLimitedError } from "../../src/github/errors.js";
import { githubOctokit } from "../../src/github/octokit.js";
import { countGitHubErrors } from "../../src/observability/github-metrics.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { label } from "../helpers/github-objects.js";

const API = "https://api.github.com";
const LOGS = "GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs";

function client() {
  const metrics = createMetrics({ defaultMetrics: false });
  const Octokit = githubOctokit(countGitHubErrors(metrics)).defaults({
    retry: { enabled: false },
    throttle: { enabled: false },
  });
  return { metrics, octokit: new Octokit({ auth: { token: "ghs_test" } }) };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
  nock.cleanAll();
});

describe("the Octokit error hook", () => {
  it("counts GitHub API errors by status and leaves successes and the errors themselves alone", async () => {
    const { metrics, octokit } = client();
    nock(API)
      .get("/repos/o/r/labels/bug")
      .reply(200, label("bug", { repo: "o/r" }))
      .get("/repos/o/r/actions/jobs/1/logs")
      .reply(404, { message: "Not Found" })
      .get("/repos/o/r/actions/jobs/2/logs")
      .reply(502, { message: "Bad Gateway" })
      .get("/repos/o/r/actions/jobs/3/logs")
      .reply(502, { message: "Bad Gateway" });

    const { data } = await octokit.request("GET /repos/{owner}/{repo}/labels/{name}", {
      owner: "o",
      repo: "r",
      name: "bug",
    });
    expect(data).toEqual(label("bug", { repo: "o/r" }));
    for (const id of [1, 2, 3]) {
      const error = await octokit.request(LOGS, { owner: "o", repo: "r", job_id: id }).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(RateLimitedError);
      expect(error).toMatchObject({ name: "HttpError", status: id === 1 ? 404 : 502 });
    }
    const text = await metrics.render();
    expect(text).toContain('ci_medic_github_api_errors_total{status="404"} 1');
    expect(text).toContain('ci_medic_github_api_errors_total{status="502"} 2');
    expect(text).not.toContain('status="200"');
  });

  it("turns a rate-limit answer into a RateLimitedError on every call, and counts it by its status", async () => {
    const { metrics, octokit } = client();
    const reset = Math.floor(Date.now() / 1000) + 600;
    nock(API)
      .get("/repos/o/r/actions/jobs/1/logs")
      .reply(
        403,
        { message: "API rate limit exceeded" },
        { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
      )
      .get("/repos/o/r/issues")
      .reply(429, { message: "You have exceeded a secondary rate limit" }, { "retry-after": "30" });

    const primary = await octokit.request(LOGS, { owner: "o", repo: "r", job_id: 1 }).catch((e: unknown) => e);
    expect(primary).toBeInstanceOf(RateLimitedError);
    expect(primary).toMatchObject({ status: 403, retryAt: new Date(reset * 1000) });

    const before = Date.now();
    const secondary = await octokit.rest.issues.listForRepo({ owner: "o", repo: "r" }).catch((e: unknown) => e);
    expect(secondary).toBeInstanceOf(RateLimitedError);
    const wait = (secondary as RateLimitedError).retryAt.getTime() - before;
    expect(wait).toBeGreaterThanOrEqual(29_000);
    expect(wait).toBeLessThanOrEqual(31_000);

    const text = await metrics.render();
    expect(text).toContain('ci_medic_github_api_errors_total{status="403"} 1');
    expect(text).toContain('ci_medic_github_api_errors_total{status="429"} 1');
  });

  it("leaves a 403 without rate-limit headers (a missing permission) as GitHub's error", async () => {
    const { octokit } = client();
    nock(API).get("/repos/o/r/actions/jobs/1/logs").reply(403, { message: "Resource not accessible by integration" });
    const error = await octokit.request(LOGS, { owner: "o", repo: "r", job_id: 1 }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ status: 403 });
  });
});

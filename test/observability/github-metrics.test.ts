import nock from "nock";
import { ProbotOctokit } from "probot";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { githubMetricsPlugin } from "../../src/observability/github-metrics.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { basicError, label } from "../helpers/github-objects.js";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("githubMetricsPlugin", () => {
  it("counts GitHub API errors by status and leaves successes and the errors themselves alone", async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const Octokit = ProbotOctokit.plugin(githubMetricsPlugin(metrics)).defaults({
      retry: { enabled: false },
      throttle: { enabled: false },
    });
    const octokit = new Octokit({ auth: { token: "ghs_test" } });
    nock("https://api.github.com")
      .get("/repos/o/r/labels/bug")
      .reply(200, label("bug", { repo: "o/r" }))
      .get("/repos/o/r/actions/jobs/1/logs")
      .reply(404, basicError("Not Found"))
      .get("/repos/o/r/actions/jobs/2/logs")
      .reply(502, basicError("Bad Gateway"))
      .get("/repos/o/r/actions/jobs/3/logs")
      .reply(502, basicError("Bad Gateway"));

    const { data } = await octokit.request("GET /repos/{owner}/{repo}/labels/{name}", {
      owner: "o",
      repo: "r",
      name: "bug",
    });
    expect(data).toEqual(label("bug", { repo: "o/r" }));
    for (const id of [1, 2, 3]) {
      await expect(
        octokit.request("GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs", { owner: "o", repo: "r", job_id: id }),
      ).rejects.toMatchObject({
        status: id === 1 ? 404 : 502,
      });
    }
    const text = await metrics.render();
    expect(text).toContain('ci_medic_github_api_errors_total{status="404"} 1');
    expect(text).toContain('ci_medic_github_api_errors_total{status="502"} 2');
    expect(text).not.toContain('status="200"');
  });
});

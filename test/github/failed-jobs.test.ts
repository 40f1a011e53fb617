import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { RateLimitedError } from "../../src/github/errors.js";
import { listFailedJobs } from "../../src/github/failed-jobs.js";
import { job, mockGitHub, testOctokit } from "../helpers/github-mock.js";

const repo = { owner: "Codertocat", repo: "Hello-World" };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("listFailedJobs", () => {
  it("follows the pages of the attempt and keeps failed and timed-out jobs with their failed steps", async () => {
    const jobs = [
      job({ id: 1, name: "lint" }),
      job({ id: 2, name: "test (ubuntu)", failedStep: "Run npm test" }),
      job({ id: 3, name: "build" }),
      job({
        id: 4,
        name: "e2e",
        conclusion: "timed_out",
        steps: [
          { name: "Set up job", conclusion: "success" },
          { name: "Run playwright", conclusion: "cancelled" },
          { name: "Upload report", conclusion: "skipped" },
        ],
      }),
      job({ id: 5, name: "docs", conclusion: "cancelled" }),
    ];
    const gh = mockGitHub(repo).hasRunJobs(30433642, jobs, { pageSize: 2 });
    const failed = await listFailedJobs(testOctokit(), { ...repo, runId: 30433642, attempt: 1 });
    gh.done();

    expect(gh.requests.map((r) => r.path)).toEqual([
      "/repos/Codertocat/Hello-World/actions/runs/30433642/attempts/1/jobs?per_page=100",
      "/repos/Codertocat/Hello-World/actions/runs/30433642/attempts/1/jobs?per_page=100&page=2",
      "/repos/Codertocat/Hello-World/actions/runs/30433642/attempts/1/jobs?per_page=100&page=3",
    ]);
    expect(failed.map((j) => [j.id, j.name, j.conclusion, j.failedSteps])).toEqual([
      [2, "test (ubuntu)", "failure", ["Run npm test"]],
      [4, "e2e", "timed_out", ["Run playwright"]],
    ]);
    expect(failed[0]!.htmlUrl).toBe("https://github.com/Codertocat/Hello-World/actions/runs/30433642/job/2");
    expect(failed[0]!.steps.map((s) => [s.number, s.name, s.conclusion])).toEqual([
      [1, "Set up job", "success"],
      [2, "Run actions/checkout@v4", "success"],
      [3, "Run npm test", "failure"],
      [4, "Post Run actions/checkout@v4", "success"],
      [5, "Complete job", "success"],
    ]);
  });

  it("lists the jobs of the attempt being diagnosed, not the latest one, and leaves out jobs of another attempt", async () => {
    // Attempt 1 is diagnosed while attempt 2 already runs: GitHub's attempt list is asked for, and a job it reports
    // with another run_attempt (as a partial re-run shows) is not taken for attempt 1's.
    const gh = mockGitHub(repo).hasRunJobs(
      30433642,
      [
        job({ id: 1, name: "test", failedStep: "Run npm test", runAttempt: 1 }),
        job({ id: 2, name: "lint", failedStep: "Run npm run lint", runAttempt: 2 }),
      ],
      { attempt: 1 },
    );
    const failed = await listFailedJobs(testOctokit(), { ...repo, runId: 30433642, attempt: 1 });
    gh.done();
    expect(gh.requests.map((r) => r.path)).toEqual([
      "/repos/Codertocat/Hello-World/actions/runs/30433642/attempts/1/jobs?per_page=100",
    ]);
    expect(failed.map((j) => j.id)).toEqual([1]);
  });

  it("returns an empty list for a run whose jobs all passed (a workflow-level failure)", async () => {
    const gh = mockGitHub(repo).hasRunJobs(9, [job({ id: 1, name: "test" })]);
    await expect(listFailedJobs(testOctokit(), { ...repo, runId: 9, attempt: 1 })).resolves.toEqual([]);
    gh.done();
  });

  it("turns a 429 with retry-after into RateLimitedError", async () => {
    const gh = mockGitHub(repo).isRateLimited("GET", "/actions/runs/9/attempts/1/jobs", { "retry-after": "120" }, 429);
    const before = Date.now();
    const error = await listFailedJobs(testOctokit(), { ...repo, runId: 9, attempt: 1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    const wait = (error as RateLimitedError).retryAt.getTime() - before;
    expect(wait).toBeGreaterThanOrEqual(120_000);
    expect(wait).toBeLessThan(130_000);
    gh.done();
  });

  it("lets a 403 without rate-limit headers (a permission problem) propagate as is", async () => {
    const gh = mockGitHub(repo).isRateLimited("GET", "/actions/runs/9/attempts/1/jobs", {});
    const error = await listFailedJobs(testOctokit(), { ...repo, runId: 9, attempt: 1 }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(RateLimitedError);
    expect((error as { status?: number }).status).toBe(403);
    gh.done();
  });
});

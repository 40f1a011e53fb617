import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { BaselineCache, greenBaselines } from "../../src/jobs/green-baseline.js";
import { analyzeLog } from "../../src/logs/analyze.js";
import { job, mockGitHub, testOctokit } from "../helpers/github-mock.js";
import { workflowRunCompleted } from "../helpers/payloads.js";

const repo = { owner: "octo-org", repo: "octo-repo" };
const WORKFLOW_ID = 2823525;
const GREEN_RUN = 2001;
const GREEN_SHA = "9c5a3c1b2a7f0e6d4c3b2a1908f7e6d5c4b3a291";

/** A successful run as `GET …/actions/workflows/{id}/runs` lists it: the webhook example's run object. */
function greenRun() {
  const run = workflowRunCompleted({ runId: GREEN_RUN, conclusion: "success", branch: "main", headSha: GREEN_SHA })
    .workflow_run as Record<string, unknown>;
  return { ...run, status: "completed", pull_requests: [] };
}

function expectRunsLookup(gh: ReturnType<typeof mockGitHub>, runs: object[]) {
  gh.api
    .get(`/repos/${repo.owner}/${repo.repo}/actions/workflows/${WORKFLOW_ID}/runs`)
    .query({ branch: "main", status: "success", exclude_pull_requests: "true", per_page: "1" })
    .reply(200, { total_count: runs.length, workflow_runs: runs });
}

const passLog = [
  "2026-11-20T08:00:00.1234567Z ##[group]Run npm test",
  "2026-11-20T08:00:00.2234567Z npm test",
  "2026-11-20T08:00:00.3234567Z ##[endgroup]",
  "2026-11-20T08:00:01.0000000Z > vitest run",
  "2026-11-20T08:00:02.0000000Z (node:1234) Warning: an old deprecation error nobody fixed",
  "2026-11-20T08:00:03.0000000Z  ✓ src/sum.test.ts (3 tests) 12ms",
  "2026-11-20T08:00:04.0000000Z  Test Files  1 passed (1) in 1.52s",
].join("\n");

const failLog = [
  "2026-11-23T08:00:00.1234567Z ##[group]Run npm test",
  "2026-11-23T08:00:00.2234567Z npm test",
  "2026-11-23T08:00:00.3234567Z ##[endgroup]",
  "2026-11-23T08:00:01.0000000Z > vitest run",
  "2026-11-23T08:00:02.0000000Z (node:5678) Warning: an old deprecation error nobody fixed",
  "2026-11-23T08:00:03.0000000Z  FAIL src/sum.test.ts > adds",
  "2026-11-23T08:00:03.1000000Z AssertionError: expected 3 to be 4",
  "2026-11-23T08:00:04.0000000Z  Test Files  1 failed (1) in 1.71s",
  "2026-11-23T08:00:04.1000000Z ##[error]Process completed with exit code 1.",
].join("\n");

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("greenBaselines", () => {
  it("finds the last green run on the branch, takes the job of the same name and ranks new lines", async () => {
    const gh = mockGitHub(repo);
    expectRunsLookup(gh, [greenRun()]);
    gh.hasRunJobs(GREEN_RUN, [
      job({ id: 71, name: "lint", runId: GREEN_RUN, ...repo }),
      job({ id: 72, name: "test", runId: GREEN_RUN, ...repo }),
    ]).hasJobLog(72, passLog);
    const cache = new BaselineCache();
    const source = greenBaselines(testOctokit(), { ...repo, workflowId: WORKFLOW_ID, branch: "main" }, { cache });

    const found = await source.forJob("test");
    gh.done();
    expect(typeof found).toBe("object");
    if (typeof found === "string") return;
    expect(found.runUrl).toBe(`https://github.com/${repo.owner}/${repo.repo}/actions/runs/${GREEN_RUN}`);
    expect(gh.requests.map((r) => r.path)).toEqual([
      `/repos/${repo.owner}/${repo.repo}/actions/runs/${GREEN_RUN}/jobs?filter=latest&per_page=100`,
      `/repos/${repo.owner}/${repo.repo}/actions/jobs/72/logs`,
      expect.stringContaining("/signedlogcontent/72"),
    ]);
    // Timestamps, pids and durations are masked: the warning is seen, the failure is new.
    expect(found.baseline.has("(node:5678) Warning: an old deprecation error nobody fixed")).toBe(true);
    expect(found.baseline.has("Test Files  1 passed (1) in 9.99s")).toBe(true);
    expect(found.baseline.has("AssertionError: expected 3 to be 4")).toBe(false);

    const r = await analyzeLog(failLog, { baseline: found.baseline });
    const lines = r.excerpt.split("\n");
    const seen = (text: string) => r.seenInBaseline!.includes(lines.findIndex((l) => l.includes(text)));
    expect(lines.some((l) => l.includes("AssertionError: expected 3 to be 4"))).toBe(true);
    expect(seen("AssertionError")).toBe(false);
    expect(seen("FAIL src/sum.test.ts")).toBe(false);
    expect(seen("> vitest run")).toBe(true);

    // The same job at the same green commit again: from the cache, one runs lookup and nothing else.
    expectRunsLookup(gh, [greenRun()]);
    const again = await greenBaselines(
      testOctokit(),
      { ...repo, workflowId: WORKFLOW_ID, branch: "main" },
      { cache },
    ).forJob("test");
    gh.done();
    expect(typeof again === "object" && again.baseline).toBe(found.baseline);
    expect(cache.size).toBe(1);
  });

  it("looks up the run and its jobs once for all failed jobs of a run", async () => {
    const gh = mockGitHub(repo);
    expectRunsLookup(gh, [greenRun()]);
    gh.hasRunJobs(GREEN_RUN, [
      job({ id: 71, name: "lint", runId: GREEN_RUN, ...repo }),
      job({ id: 72, name: "test", runId: GREEN_RUN, ...repo }),
    ])
      .hasJobLog(71, "lint ok\n")
      .hasJobLog(72, passLog);
    const source = greenBaselines(
      testOctokit(),
      { ...repo, workflowId: WORKFLOW_ID, branch: "main" },
      { cache: new BaselineCache() },
    );
    await source.forJob("lint");
    await source.forJob("test");
    gh.done();
    expect(gh.requests.filter((r) => r.path.includes("/logs")).length).toBe(2);
  });

  it("says so when the workflow never passed on the branch, and downloads nothing", async () => {
    const gh = mockGitHub(repo);
    expectRunsLookup(gh, []);
    const source = greenBaselines(
      testOctokit(),
      { ...repo, workflowId: WORKFLOW_ID, branch: "main" },
      { cache: new BaselineCache() },
    );
    expect(await source.forJob("test")).toBe("no green run");
    gh.done();
    expect(nock.pendingMocks()).toEqual([]);
  });

  it("skips a green log past its retention (404, the only failure GitHub documents there)", async () => {
    const gh = mockGitHub(repo);
    expectRunsLookup(gh, [greenRun()]);
    gh.hasRunJobs(GREEN_RUN, [job({ id: 72, name: "test", runId: GREEN_RUN, ...repo })]).hasExpiredLog(72);
    const cache = new BaselineCache();
    const source = greenBaselines(testOctokit(), { ...repo, workflowId: WORKFLOW_ID, branch: "main" }, { cache });
    expect(await source.forJob("test")).toBe("log expired");
    gh.done();
    expect(cache.size).toBe(0);
  });

  it("matches jobs by exact name: a renamed or failed job of the green run is no baseline", async () => {
    const gh = mockGitHub(repo);
    expectRunsLookup(gh, [greenRun()]);
    gh.hasRunJobs(GREEN_RUN, [
      job({ id: 72, name: "test (ubuntu-22.04)", runId: GREEN_RUN, ...repo }),
      job({ id: 73, name: "build", runId: GREEN_RUN, failedStep: "Run make", ...repo }),
    ]);
    const source = greenBaselines(
      testOctokit(),
      { ...repo, workflowId: WORKFLOW_ID, branch: "main" },
      { cache: new BaselineCache() },
    );
    expect(await source.forJob("test (ubuntu-24.04)")).toBe("no job of that name");
    expect(await source.forJob("build")).toBe("no job of that name");
    gh.done();
    expect(gh.requests.filter((r) => r.path.includes("/logs"))).toEqual([]);
  });
});

describe("BaselineCache", () => {
  it("drops the least recently used baselines beyond its line budget", async () => {
    const { Baseline } = await import("../../src/logs/baseline.js");
    const cache = new BaselineCache(5);
    const three = Baseline.fromText("a\nb\nc");
    cache.set("x", three);
    cache.set("y", Baseline.fromText("d\ne"));
    expect(cache.get("x")).toBe(three);
    cache.set("z", Baseline.fromText("f\ng"));
    expect(cache.get("y")).toBeUndefined();
    expect(cache.get("x")).toBe(three);
    expect(cache.get("z")).toBeDefined();
  });
});

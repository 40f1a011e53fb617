import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { testApp } from "../helpers/app.js";
import { appWithGemini } from "../helpers/diagnosed-pr.js";
import { type GitHubMock, job, mockGitHub } from "../helpers/github-mock.js";
import { VITEST_LOG } from "../helpers/logs.js";
import { HEAD_SHA, OWNER, REPO, workflowRunCompleted } from "../helpers/payloads.js";

// Nothing lost, nothing twice, and no more LLM spend than needed: rate limits, reuse of a known failure, budgets and
// flaky reruns, through the real app.

const GEMINI = "https://generativelanguage.googleapis.com";
const GEMINI_PATH = "/v1beta/models/gemini-2.5-flash:generateContent";

let app: Awaited<ReturnType<typeof testApp>>;
let gh: GitHubMock;

beforeEach(async () => {
  ({ app, gh } = await appWithGemini());
});
afterEach(async () => {
  nock.cleanAll();
  await app.close();
});

function modelAnswersOnce() {
  return nock(GEMINI)
    .post(GEMINI_PATH)
    .reply(200, {
      candidates: [
        {
          content: {
            role: "model",
            parts: [
              {
                text: JSON.stringify({
                  summary: "sum() subtracts",
                  rootCause: "src/sum.ts returns a - b.",
                  category: "test",
                  confidence: 0.8,
                  suggestedFix: "Return a + b.",
                  files: ["src/sum.ts"],
                }),
              },
            ],
          },
        },
      ],
      usageMetadata: { promptTokenCount: 1000, candidatesTokenCount: 50 },
    });
}

function failure(
  mock: GitHubMock,
  runId: number,
  sha: string,
  opts: {
    pr: number;
    checkRunId: number;
    commentId?: number;
    existingComment?: number;
    asksModel?: boolean;
    onComment?: (body: any) => void;
  },
) {
  mock.hasRunJobs(runId, [
    job({ owner: OWNER, repo: REPO, runId, id: runId * 10, name: "test", failedStep: "Run npm test", headSha: sha }),
  ]);
  mock.hasJobLog(runId * 10, VITEST_LOG);
  // The workflow file is read only for the model.
  if (opts.asksModel !== false) mock.hasWorkflowFile(".github/workflows/ci.yml", "name: CI\n", sha);
  mock.expectsCheckRun(undefined, { id: opts.checkRunId });
  if (opts.existingComment) mock.expectsCommentUpdate(opts.existingComment, opts.onComment);
  else mock.hasComments(opts.pr, []).expectsComment(opts.pr, undefined, { id: opts.commentId ?? 8001 });
}

describe("reliability", () => {
  it("a GitHub rate limit puts the job back in the queue until the reset, without spending an attempt", async () => {
    const reset = Math.floor(Date.now() / 1000) + 3600;
    gh.canGetToken().isRateLimited("GET", "/actions/runs/1001/attempts/1/jobs", {
      "x-ratelimit-remaining": "0",
      "x-ratelimit-reset": String(reset),
    });
    gh.hasNoConfig();
    await app.receive("workflow_run", workflowRunCompleted({ runId: 1001, pr: 2 }));
    await app.settle();
    gh.done();
    const row = await app.db.job.findFirstOrThrow();
    expect(row).toMatchObject({ state: "queued", attempts: 0 });
    expect(row.runAt.getTime()).toBe(reset * 1000);
    expect(row.lastError).toContain("rate limit");
    expect(await app.runtime().metrics.render()).toContain("ci_medic_github_rate_limit_waits_total 1");
  });

  it("the same failure on another commit reuses the diagnosis (one LLM call) and says how often it was seen", async () => {
    const model = modelAnswersOnce();
    gh.canGetToken();
    gh.hasNoConfig();
    failure(gh, 1001, HEAD_SHA, { pr: 2, checkRunId: 7001, commentId: 8001 });
    await app.receive("workflow_run", workflowRunCompleted({ runId: 1001, pr: 2 }));
    await app.settle();

    const later = "b".repeat(40);
    gh.hasNoConfig();
    let body = "";
    failure(gh, 1002, later, {
      pr: 2,
      checkRunId: 7002,
      existingComment: 8001,
      asksModel: false,
      onComment: (b) => (body = b.body),
    });
    await app.receive("workflow_run", workflowRunCompleted({ runId: 1002, pr: 2, headSha: later }));
    await app.settle();

    gh.done();
    expect(model.isDone()).toBe(true); // the second run made no call: nock would have refused it
    expect(body).toContain("src/sum.ts returns a - b.");
    expect(body).toMatch(/Seen 2 times since \d{4}-\d{2}-\d{2}/);
    const diagnoses = await app.db.diagnosis.findMany({ orderBy: { id: "asc" } });
    expect(diagnoses.map((d) => d.source)).toEqual(["llm", "reused"]);
    expect(await app.db.llmUsage.findFirstOrThrow()).toMatchObject({ calls: 1, tokens: 1050 });
  });

  it("over the repository's daily LLM call limit (from .github/ci-medic.yml), the deterministic diagnosis is posted with the reason", async () => {
    let body = "";
    gh.canGetToken();
    gh.hasConfig("llm:\n  dailyCallLimit: 0\n");
    gh.hasRunJobs(1001, [
      job({ owner: OWNER, repo: REPO, runId: 1001, id: 10010, name: "test", failedStep: "Run npm test" }),
    ]).hasJobLog(10010, VITEST_LOG);
    gh.expectsCheckRun(undefined, { id: 7001 })
      .hasComments(2, [])
      .expectsComment(2, (b) => (body = b.body));
    await app.receive("workflow_run", workflowRunCompleted({ runId: 1001, pr: 2 }));
    await app.settle();
    gh.done();
    expect(body).toContain("daily LLM call limit");
    expect(await app.db.diagnosis.findFirstOrThrow()).toMatchObject({ source: "deterministic" });
    expect(await app.db.llmUsage.count()).toBe(0);
  });

  it("a failure that passes when the same commit is rerun is marked flaky, and the fix offer and button are withdrawn", async () => {
    modelAnswersOnce();
    gh.canGetToken();
    gh.hasNoConfig();
    failure(gh, 1001, HEAD_SHA, { pr: 2, checkRunId: 7001, commentId: 8001 });
    await app.receive("workflow_run", workflowRunCompleted({ runId: 1001, pr: 2 }));
    await app.settle();
    gh.done();

    const rerun = mockGitHub({ owner: OWNER, repo: REPO });
    rerun.hasNoConfig();
    let check: any;
    let body = "";
    rerun.expectsCheckRunUpdate(7001, (b) => (check = b)).expectsCommentUpdate(8001, (b) => (body = b.body));
    await app.receive("workflow_run", workflowRunCompleted({ runId: 1001, pr: 2, attempt: 2, conclusion: "success" }));
    await app.settle();
    rerun.done();
    expect(body).toContain("flaky");
    expect(body).not.toContain("`/approve`");
    expect(check.actions).toEqual([]);
    expect(await app.db.diagnosis.findFirstOrThrow()).toMatchObject({ flaky: true });
    // Both deliveries queued a job (the diagnosis, then the flaky mark): the passing rerun is counted as enqueued.
    expect((await app.db.job.findMany({ orderBy: { id: "asc" } })).map((j) => [j.kind, j.deliveryId !== null])).toEqual(
      [
        ["diagnose-run", true],
        ["mark-flaky", true],
      ],
    );
    const metrics = await app.runtime().metrics.render();
    expect(metrics).toContain('ci_medic_webhooks_received_total{event="workflow_run",outcome="enqueued"} 2');
    expect(metrics).not.toContain('ci_medic_webhooks_received_total{event="workflow_run",outcome="ignored"}');
  });
});

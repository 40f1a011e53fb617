import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GeminiProvider } from "../../src/diagnosis/llm/gemini.js";
import { testApp } from "../helpers/app.js";
import { type GitHubMock, job, mockGitHub, pull } from "../helpers/github-mock.js";
import { VITEST_LOG } from "../helpers/logs.js";
import { HEAD_SHA, OWNER, REPO, workflowRunCompleted } from "../helpers/payloads.js";

// A failed workflow run, end to end: webhook → queue → logs → diagnosis → check run and sticky comment.

const RUN_ID = 1001;
const JOB_ID = 501;

let app: Awaited<ReturnType<typeof testApp>>;
let gh: GitHubMock;

beforeEach(async () => {
  nock.disableNetConnect();
  app = await testApp();
  gh = mockGitHub({ owner: OWNER, repo: REPO });
});

afterEach(async () => {
  nock.cleanAll();
  await app.close();
});

function failedRun(over: Parameters<typeof job>[0] = { id: JOB_ID, name: "test", failedStep: "Run npm test" }) {
  return job({ owner: OWNER, repo: REPO, runId: RUN_ID, headSha: HEAD_SHA, ...over });
}

describe("workflow_run.completed with a failure", () => {
  it("on a pull request: posts a check run with the annotation at file:line and one PR comment, and stores it", async () => {
    let checkRun: any;
    let commentBody = "";
    gh.canGetToken()
      .hasRunJobs(RUN_ID, [failedRun()])
      .hasJobLog(JOB_ID, VITEST_LOG)
      .expectsCheckRun((body) => (checkRun = body), { id: 7001 })
      .hasComments(2, [])
      .expectsComment(2, (body) => (commentBody = body.body), { id: 8001 });
    gh.hasNoConfig();

    await app.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2 }));
    await app.settle();
    gh.done();

    expect(checkRun).toMatchObject({
      name: "ci-medic",
      head_sha: HEAD_SHA,
      status: "completed",
      conclusion: "neutral",
    });
    expect(checkRun.output.annotations).toContainEqual(
      expect.objectContaining({ path: "src/sum.test.ts", start_line: 6, end_line: 6, annotation_level: "failure" }),
    );
    expect(commentBody).toContain("AssertionError: expected 3 to be 4");
    // Without a model the confidence is too low to offer a fix.
    expect(commentBody).toContain("No automatic fix is offered");
    expect(commentBody).toContain("<!-- ci-medic:diagnosis:2823525 -->");
    expect(commentBody).toContain("deterministic: no LLM configured");

    const analysis = await app.db.runAnalysis.findFirstOrThrow({ include: { jobs: true, diagnosis: true } });
    expect(analysis).toMatchObject({
      status: "diagnosed",
      prNumber: 2,
      checkRunId: 7001n,
      commentId: 8001n,
      runAttempt: 1,
      headSha: HEAD_SHA,
    });
    expect(analysis.jobs).toHaveLength(1);
    expect(analysis.jobs[0]).toMatchObject({ name: "test", category: "test", logStatus: "ok" });
    expect(analysis.diagnosis).toMatchObject({ source: "deterministic", category: "test" });
    expect(analysis.fingerprint).toMatch(/^[0-9a-f]{64}$/);

    const metrics = await app.runtime().metrics.render();
    expect(metrics).toContain('ci_medic_webhooks_received_total{event="workflow_run",outcome="enqueued"} 1');
    expect(metrics).toContain('ci_medic_job_duration_seconds_count{kind="diagnose-run",outcome="done"} 1');
    expect(metrics).toContain('ci_medic_diagnosis_fallbacks_total{reason="no_provider"} 1');
  });

  it("a rerun (attempt 2) gets its own check run and updates the same comment instead of posting a new one", async () => {
    gh.canGetToken()
      .hasRunJobs(RUN_ID, [failedRun()])
      .hasJobLog(JOB_ID, VITEST_LOG)
      .expectsCheckRun(undefined, { id: 7001 })
      .hasComments(2, [])
      .expectsComment(2, undefined, { id: 8001 });
    gh.hasNoConfig();
    await app.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2 }));
    await app.settle();
    gh.done();

    const second = mockGitHub({ owner: OWNER, repo: REPO });
    let updated = "";
    second // the installation token is still cached
      .hasRunJobs(RUN_ID, [failedRun({ id: JOB_ID, name: "test", failedStep: "Run npm test", runAttempt: 2 })], {
        attempt: 2,
      })
      .hasJobLog(JOB_ID, VITEST_LOG.replaceAll("08:00:", "09:30:"))
      .expectsCheckRun(undefined, { id: 7002 })
      .expectsCommentUpdate(8001, (body) => (updated = body.body));
    second.hasNoConfig();
    await app.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2, attempt: 2 }));
    await app.settle();
    second.done();

    expect(updated).toContain("Run attempt 2");
    expect(updated).toContain("Seen 2 times since");
    expect(await app.db.runAnalysis.count()).toBe(2);
  });

  it("a failure on main with no pull request opens a tracking issue, and the next failure updates it", async () => {
    let issueBody: any;
    gh.canGetToken()
      .hasRunJobs(RUN_ID, [failedRun()])
      .hasJobLog(JOB_ID, VITEST_LOG)
      .expectsCheckRun(undefined, { id: 7001 })
      .hasOpenTrackingIssues([])
      .hasLabel("ci-medic", false)
      .expectsIssue((body) => (issueBody = body), { number: 30 })
      .hasComments(30, [])
      .expectsComment(30, undefined, { id: 8002 });
    gh.hasNoConfig();
    await app.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, branch: "main" }));
    await app.settle();
    gh.done();
    expect(issueBody.title).toContain("main");
    expect(issueBody.labels).toEqual(["ci-medic"]);

    const next = mockGitHub({ owner: OWNER, repo: REPO });
    next
      .hasRunJobs(RUN_ID + 1, [
        job({ owner: OWNER, repo: REPO, runId: RUN_ID + 1, id: JOB_ID + 1, name: "test", failedStep: "Run npm test" }),
      ])
      .hasJobLog(JOB_ID + 1, VITEST_LOG)
      .expectsCheckRun(undefined, { id: 7002 })
      .hasIssue(30, "open")
      .expectsCommentUpdate(8002);
    next.hasNoConfig();
    await app.receive(
      "workflow_run",
      workflowRunCompleted({ runId: RUN_ID + 1, branch: "main", headSha: "b".repeat(40) }),
    );
    await app.settle();
    next.done();
    expect(await app.db.trackingIssue.findMany()).toEqual([
      expect.objectContaining({ branch: "main", issueNumber: 30 }),
    ]);
  });

  it("a fork's pull request (empty pull_requests) is found by head SHA and gets the comment", async () => {
    gh.canGetToken()
      .hasRunJobs(RUN_ID, [failedRun()])
      .hasJobLog(JOB_ID, VITEST_LOG)
      .expectsCheckRun(undefined, { id: 7001 })
      .hasOpenPulls("contributor:feature", [
        pull({
          number: 9,
          headSha: HEAD_SHA,
          headRef: "feature",
          headRepo: `contributor/${REPO}`,
          baseRepo: `${OWNER}/${REPO}`,
        }),
      ])
      .hasComments(9, [])
      .expectsComment(9, undefined, { id: 8003 });
    gh.hasNoConfig();
    await app.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, forkOwner: "contributor" }));
    await app.settle();
    gh.done();
    expect(await app.db.runAnalysis.findFirstOrThrow()).toMatchObject({
      prNumber: 9,
      headRepository: `contributor/${REPO}`,
    });
  });

  it("an expired log (404) is reported in the comment, not thrown", async () => {
    let body = "";
    gh.canGetToken()
      .hasRunJobs(RUN_ID, [failedRun()])
      .hasExpiredLog(JOB_ID)
      .expectsCheckRun(undefined, { id: 7001 })
      .hasComments(2, [])
      .expectsComment(2, (b) => (body = b.body));
    gh.hasNoConfig();
    await app.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2 }));
    await app.settle();
    gh.done();
    expect(body).toContain("no longer available");
    expect(await app.db.failedJob.findFirstOrThrow()).toMatchObject({ logStatus: "expired" });
    expect(await app.db.job.findFirstOrThrow()).toMatchObject({ state: "done" });
  });

  it("a log over the cap is cut to its tail, and the cut is said", async () => {
    const capped = await testApp({ settings: { logMaxBytes: 4096 } });
    try {
      const noise = Array.from(
        { length: 500 },
        (_, i) => `2026-11-23T08:00:04.0000000Z downloading package ${i} of 500`,
      ).join("\n");
      let body = "";
      gh.canGetToken()
        .hasRunJobs(RUN_ID, [failedRun()])
        .hasJobLog(JOB_ID, `${noise}\n${VITEST_LOG}`)
        .expectsCheckRun(undefined, { id: 7001 })
        .hasComments(2, [])
        .expectsComment(2, (b) => (body = b.body));
      gh.hasNoConfig();
      await capped.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2 }));
      await capped.settle();
      gh.done();
      expect(body).toContain("AssertionError: expected 3 to be 4");
      expect(body).not.toContain("package 0 of 500");
      expect(await capped.db.failedJob.findFirstOrThrow()).toMatchObject({ logStatus: "truncated" });
    } finally {
      await capped.close();
    }
  });

  it("the same delivery twice is handled once", async () => {
    gh.canGetToken()
      .hasRunJobs(RUN_ID, [failedRun()])
      .hasJobLog(JOB_ID, VITEST_LOG)
      .expectsCheckRun(undefined, { id: 7001 })
      .hasComments(2, [])
      .expectsComment(2);
    gh.hasNoConfig();
    const payload = workflowRunCompleted({ runId: RUN_ID, pr: 2 });
    await app.receive("workflow_run", payload, "delivery-1");
    await app.receive("workflow_run", payload, "delivery-1");
    await app.settle();
    gh.done();
    expect(await app.db.job.count()).toBe(1);
  });

  it("an older attempt arriving after a newer one is skipped", async () => {
    gh.canGetToken()
      .hasRunJobs(RUN_ID, [failedRun({ id: JOB_ID, name: "test", failedStep: "Run npm test", runAttempt: 2 })], {
        attempt: 2,
      })
      .hasJobLog(JOB_ID, VITEST_LOG)
      .expectsCheckRun(undefined, { id: 7001 })
      .hasComments(2, [])
      .expectsComment(2);
    gh.hasNoConfig();
    await app.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2, attempt: 2 }));
    await app.settle();
    gh.done();

    await app.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2, attempt: 1 }));
    await app.settle();
    expect(await app.db.runAnalysis.count()).toBe(1);
    expect(app.logs.text).toContain("a later attempt of this run is already handled");
  });
});

describe("with Gemini configured", () => {
  const GEMINI = "https://generativelanguage.googleapis.com";
  const GEMINI_PATH = "/v1beta/models/gemini-2.5-flash:generateContent";
  const KEY = "AIzaSyTESTKEY-not-a-real-key-000000000";
  let llmApp: Awaited<ReturnType<typeof testApp>>;

  beforeEach(async () => {
    llmApp = await testApp({ llm: new GeminiProvider({ apiKey: KEY }) });
  });
  afterEach(async () => {
    await llmApp.close();
  });

  function mainPath(checks: { checkRun?: (b: any) => void; comment?: (b: any) => void }) {
    gh.canGetToken()
      .hasRunJobs(RUN_ID, [failedRun()])
      .hasJobLog(JOB_ID, VITEST_LOG)
      .hasWorkflowFile(
        ".github/workflows/ci.yml",
        "name: CI\non: pull_request\njobs:\n  test:\n    steps:\n      - run: npm test\n",
        HEAD_SHA,
      )
      .expectsCheckRun(checks.checkRun, { id: 7001 })
      .hasComments(2, [])
      .expectsComment(2, checks.comment, { id: 8001 });
    gh.hasNoConfig();
  }

  it("compares the failed job with its job in the base branch's last green run and tells the model which lines are new", async () => {
    const payload = workflowRunCompleted({ runId: RUN_ID, pr: 2 });
    const base = payload.workflow_run.pull_requests[0].base.ref as string;
    const GREEN_RUN = 990;
    const green = workflowRunCompleted({ runId: GREEN_RUN, conclusion: "success", branch: base }).workflow_run;
    let request: any;
    nock(GEMINI)
      .post(GEMINI_PATH)
      .reply((_uri, body) => {
        request = body;
        return [500, { error: { code: 500, message: "internal", status: "INTERNAL" } }];
      });
    mainPath({});
    gh.api
      .get(`/repos/${OWNER}/${REPO}/actions/workflows/${payload.workflow_run.workflow_id}/runs`)
      .query({ branch: base, status: "success", exclude_pull_requests: "true", per_page: "1" })
      .reply(200, { total_count: 1, workflow_runs: [{ ...green, status: "completed", pull_requests: [] }] });
    // The green run's passing job of the same name: its log lacks the failure, the rest is the same run output.
    const passing = VITEST_LOG.split("\n")
      .filter((l) => !/AssertionError|×|FAIL|failed|##\[error\]/.test(l))
      .join("\n");
    gh.hasRunJobs(GREEN_RUN, [job({ owner: OWNER, repo: REPO, runId: GREEN_RUN, id: 901, name: "test" })]).hasJobLog(
      901,
      passing,
    );
    await llmApp.receive("workflow_run", payload);
    await llmApp.settle();
    gh.done();

    const prompt = JSON.stringify(request);
    expect(prompt).toContain("new since the last successful run of this job");
    expect(prompt).toMatch(/\+ AssertionError: expected 3 to be 4/);
    expect(prompt).toMatch(/\\n {2}> vitest run/);
    expect(llmApp.logs.text).toContain("comparing with the last green run");
  });

  it("the model's structured diagnosis is posted, with the key sent in a header only and the log as delimited data", async () => {
    let request: any;
    let headers: Record<string, unknown> = {};
    nock(GEMINI)
      .post(GEMINI_PATH)
      .reply(function (_uri, body) {
        request = body;
        headers = this.req.headers;
        return [
          200,
          {
            candidates: [
              {
                content: {
                  role: "model",
                  parts: [
                    {
                      text: JSON.stringify({
                        summary: "sum() subtracts",
                        rootCause: "src/sum.ts returns a - b instead of a + b.",
                        category: "test",
                        confidence: 0.86,
                        suggestedFix: "Return a + b.",
                        files: ["src/sum.ts"],
                      }),
                    },
                  ],
                },
                finishReason: "STOP",
              },
            ],
            usageMetadata: { promptTokenCount: 1200, candidatesTokenCount: 80 },
          },
        ];
      });
    let checkRun: any;
    let body = "";
    mainPath({ checkRun: (b) => (checkRun = b), comment: (b) => (body = b.body) });
    await llmApp.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2 }));
    await llmApp.settle();
    gh.done();

    expect(headers["x-goog-api-key"]).toBe(KEY);
    expect(JSON.stringify(request)).toContain("AssertionError: expected 3 to be 4");
    expect(JSON.stringify(request)).toContain("untrusted");
    expect(body).toContain("src/sum.ts returns a - b instead of a + b.");
    expect(body).toContain("confidence: 86%");
    expect(body).toContain("`/approve`");
    expect(checkRun.actions).toEqual([
      { label: "Open fix PR", description: "Ask ci-medic for a fix pull request", identifier: "open-fix-pr" },
    ]);
    expect(await llmApp.db.diagnosis.findFirstOrThrow()).toMatchObject({
      source: "llm",
      model: "gemini-2.5-flash",
      promptTokens: 1200,
      outputTokens: 80,
    });
    expect(await llmApp.db.llmUsage.findFirstOrThrow()).toMatchObject({ calls: 1, tokens: 1280 });
    expect(llmApp.logs.text).not.toContain(KEY);
  });

  it.each([
    [
      "answers invalid JSON twice",
      () =>
        nock(GEMINI)
          .post(GEMINI_PATH)
          .times(2)
          .reply(200, { candidates: [{ content: { parts: [{ text: "{not json" }] } }] }),
    ],
    [
      "fails with a 500",
      () =>
        nock(GEMINI)
          .post(GEMINI_PATH)
          .reply(500, { error: { code: 500, message: "internal" } }),
    ],
    ["answers nothing at all", () => nock(GEMINI).post(GEMINI_PATH).reply(200, {})],
  ])("when the model %s, the deterministic diagnosis is posted", async (_name, setup) => {
    setup();
    let body = "";
    mainPath({ comment: (b) => (body = b.body) });
    await llmApp.receive("workflow_run", workflowRunCompleted({ runId: RUN_ID, pr: 2 }));
    await llmApp.settle();
    gh.done();
    expect(body).toContain("source: deterministic");
    expect(body).toContain("AssertionError: expected 3 to be 4");
    expect(await llmApp.db.diagnosis.findFirstOrThrow()).toMatchObject({ source: "deterministic" });
    expect(llmApp.logs.text).not.toContain(KEY);
  });
});

describe("workflow_run.completed that ci-medic leaves alone", () => {
  it.each(["cancelled", "skipped", "neutral", "action_required", "stale"])(
    "conclusion %s: nothing is queued or posted",
    async (conclusion) => {
      await app.receive("workflow_run", workflowRunCompleted({ conclusion }));
      await app.settle();
      expect(await app.db.job.count()).toBe(0);
      expect(app.logs.text).toContain("skipped: conclusion is not a failure");
    },
  );

  it("a success with nothing diagnosed before: nothing, counted as ignored", async () => {
    await app.receive("workflow_run", workflowRunCompleted({ conclusion: "success" }));
    await app.settle();
    expect(await app.db.job.count()).toBe(0);
    const metrics = await app.runtime().metrics.render();
    expect(metrics).toContain('ci_medic_webhooks_received_total{event="workflow_run",outcome="ignored"} 1');
    expect(metrics).not.toContain('ci_medic_webhooks_received_total{event="workflow_run",outcome="enqueued"}');
  });

  it("runs on ci-medic's own fix branches or by its bot: nothing", async () => {
    await app.receive("workflow_run", workflowRunCompleted({ branch: "ci-medic/fix-1001" }));
    await app.receive(
      "workflow_run",
      workflowRunCompleted({ runId: 2, actor: { login: "ci-medic[bot]", type: "Bot" } }),
    );
    await app.settle();
    expect(await app.db.job.count()).toBe(0);
    expect(app.logs.text).toContain("skipped: a run ci-medic itself caused");
  });
});

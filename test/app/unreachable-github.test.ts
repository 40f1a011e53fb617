import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { testApp } from "../helpers/app.js";
import { mockGitHub } from "../helpers/github-mock.js";
import { OWNER, REPO, workflowRunCompleted } from "../helpers/payloads.js";

// GitHub out of reach in the middle of a job: the attempt fails naming the cause, and the last one leaves the run's
// analysis `failed` ("could not reach GitHub"), never `pending`.

let app: Awaited<ReturnType<typeof testApp>>;
beforeEach(async () => {
  nock.disableNetConnect();
  app = await testApp({ llm: null });
});
afterEach(async () => {
  nock.cleanAll();
  await app.close();
});

describe("an unreachable GitHub", () => {
  it("fails the attempt as 'could not reach GitHub', and the last attempt leaves the analysis failed", async () => {
    const gh = mockGitHub({ owner: OWNER, repo: REPO }).canGetToken().hasNoConfig().hasNoConfig(); // the token is cached
    const refused = Object.assign(new Error("connect ECONNREFUSED 140.82.112.6:443"), { code: "ECONNREFUSED" });
    gh.api.get(`${gh.repoPath}/actions/runs/1101/attempts/1/jobs`).query(true).times(2).replyWithError(refused);
    await app.receive("workflow_run", workflowRunCompleted({ runId: 1101, pr: 3 }));

    // First attempt: retried on the queue's backoff, the analysis still in progress.
    await app.settle();
    const first = await app.db.job.findFirstOrThrow({ where: { kind: "diagnose-run" } });
    expect(first).toMatchObject({ state: "queued", attempts: 1 });
    expect(first.lastError).toMatch(/^GitHubUnreachableError: could not reach GitHub: the connection was refused/);
    expect((await app.db.runAnalysis.findFirstOrThrow()).status).toBe("pending");
    expect(app.logs.text).toContain("could not reach GitHub");

    // Last attempt, due now.
    await app.db.job.update({ where: { id: first.id }, data: { maxAttempts: 2, runAt: new Date() } });
    await app.settle();
    gh.done();
    expect(await app.db.job.findFirstOrThrow({ where: { id: first.id } })).toMatchObject({
      state: "dead",
      attempts: 2,
    });
    const analysis = await app.db.runAnalysis.findFirstOrThrow();
    expect(analysis.status).toBe("failed");
    expect(analysis.statusDetail).toMatch(
      /^could not reach GitHub: the connection was refused or the host is unreachable/,
    );
  });

  it("stores the failed analysis's reason redacted, as Job.lastError is", async () => {
    const token = `ghp_${"a1B2c3".repeat(6)}`;
    const gh = mockGitHub({ owner: OWNER, repo: REPO }).canGetToken().hasNoConfig().hasNoConfig();
    const refused = Object.assign(new Error(`connect ECONNREFUSED https://x:${token}@proxy.example:443`), {
      code: "ECONNREFUSED",
    });
    gh.api.get(`${gh.repoPath}/actions/runs/1102/attempts/1/jobs`).query(true).times(2).replyWithError(refused);
    await app.receive("workflow_run", workflowRunCompleted({ runId: 1102, pr: 3 }));
    await app.settle();
    const first = await app.db.job.findFirstOrThrow({ where: { kind: "diagnose-run" } });
    await app.db.job.update({ where: { id: first.id }, data: { maxAttempts: 2, runAt: new Date() } });
    await app.settle();
    gh.done();
    const analysis = await app.db.runAnalysis.findFirstOrThrow();
    expect(analysis.status).toBe("failed");
    expect(analysis.statusDetail).toMatch(/^could not reach GitHub/);
    expect(analysis.statusDetail).not.toContain(token);
    expect((await app.db.job.findFirstOrThrow({ where: { id: first.id } })).lastError).not.toContain(token);
  });
});

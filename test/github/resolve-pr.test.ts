import examples from "@octokit/webhooks-examples/api.github.com/index.json" with { type: "json" };
import type { WorkflowRun, WorkflowRunCompletedEvent } from "@octokit/webhooks-types";
import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { resolvePullRequest } from "../../src/github/resolve-pr.js";
import { mockGitHub, pull, testOctokit } from "../helpers/github-mock.js";

const repo = { owner: "octo-org", repo: "octo-repo" }; // the example payload's repository

/** The `workflow_run.completed` example payload from @octokit/webhooks-examples, adjusted per test. */
function exampleRun(): WorkflowRun {
  const entry = (examples as { name: string; examples: unknown[] }[]).find((e) => e.name === "workflow_run")!;
  const payload = entry.examples.find(
    (p) => (p as { action: string }).action === "completed",
  ) as WorkflowRunCompletedEvent;
  return structuredClone(payload.workflow_run);
}

function forkRun(): WorkflowRun {
  const run = exampleRun();
  run.event = "pull_request";
  run.pull_requests = [];
  run.head_branch = "fix-typo";
  run.head_sha = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  run.head_repository = {
    ...run.head_repository,
    full_name: "forker/octo-repo",
    owner: { ...run.head_repository.owner, login: "forker" },
  };
  return run;
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("resolvePullRequest", () => {
  it("uses the run's pull_requests when GitHub lists one, without a request", async () => {
    const run = exampleRun();
    run.pull_requests = [
      {
        url: "https://api.github.com/repos/Codertocat/Hello-World/pulls/2",
        id: 2,
        number: 2,
        head: { ref: "feature", sha: run.head_sha, repo: { id: run.repository.id, url: "", name: "octo-repo" } },
        base: { ref: "main", sha: "b", repo: { id: run.repository.id, url: "", name: "octo-repo" } },
      },
    ];
    await expect(resolvePullRequest(testOctokit(), run, "main")).resolves.toEqual({
      number: 2,
      headRepoFullName: "octo-org/octo-repo",
      headRef: "feature",
      baseRef: "main",
      isFork: false,
    });
  });

  it("resolves a fork PR with empty pull_requests by the fork's branch and the head SHA", async () => {
    const run = forkRun();
    const gh = mockGitHub(repo).hasOpenPulls("forker:fix-typo", [
      pull({
        number: 6,
        headSha: "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        headRef: "fix-typo",
        headRepo: "forker/octo-repo",
        baseRepo: "octo-org/octo-repo",
      }),
      pull({
        number: 7,
        headSha: run.head_sha,
        headRef: "fix-typo",
        headRepo: "forker/octo-repo",
        baseRepo: "octo-org/octo-repo",
      }),
    ]);
    await expect(resolvePullRequest(testOctokit(), run, "main")).resolves.toEqual({
      number: 7,
      headRepoFullName: "forker/octo-repo",
      headRef: "fix-typo",
      baseRef: "main",
      isFork: true,
    });
    gh.done();
    expect(gh.requests[0]!.path).toBe("/repos/octo-org/octo-repo/pulls?state=open&head=forker%3Afix-typo&per_page=100");
  });

  it("falls back to the commit's pull requests", async () => {
    const run = forkRun();
    const gh = mockGitHub(repo)
      .hasOpenPulls("forker:fix-typo", [])
      .hasCommitPulls(run.head_sha, [
        pull({
          number: 5,
          state: "closed",
          headSha: run.head_sha,
          headRef: "old",
          headRepo: "forker/octo-repo",
          baseRepo: "octo-org/octo-repo",
        }),
        pull({
          number: 8,
          headSha: run.head_sha,
          headRef: "fix-typo",
          headRepo: "forker/octo-repo",
          baseRepo: "octo-org/octo-repo",
        }),
      ]);
    await expect(resolvePullRequest(testOctokit(), run, "main")).resolves.toMatchObject({ number: 8, isFork: true });
    gh.done();
  });

  it("returns undefined for a push to the default branch (from the event's repository), asking nothing", async () => {
    const run = exampleRun();
    run.event = "push";
    run.pull_requests = [];
    expect(run.repository).not.toHaveProperty("default_branch"); // a "repository lite": the event's repository has it
    await expect(resolvePullRequest(testOctokit(), run, run.head_branch!)).resolves.toBeUndefined();
  });

  it("looks up the pull request of a same-repository push to another branch", async () => {
    const run = exampleRun();
    run.event = "push";
    run.pull_requests = [];
    run.head_branch = "feature";
    const gh = mockGitHub(repo).hasOpenPulls("octo-org:feature", [
      pull({
        number: 9,
        headSha: run.head_sha,
        headRef: "feature",
        headRepo: "octo-org/octo-repo",
        baseRepo: "octo-org/octo-repo",
      }),
    ]);
    await expect(resolvePullRequest(testOctokit(), run, "main")).resolves.toMatchObject({ number: 9, isFork: false });
    gh.done();
  });

  it("takes pull_requests null (REST) or with null items (webhook) as none listed", async () => {
    const run = exampleRun();
    run.event = "pull_request";
    run.head_branch = "feature";
    for (const listed of [null, [null]]) {
      (run as { pull_requests: unknown }).pull_requests = listed;
      const gh = mockGitHub(repo).hasOpenPulls("octo-org:feature", []).hasCommitPulls(run.head_sha, []);
      await expect(resolvePullRequest(testOctokit(), run, "main")).resolves.toBeUndefined();
      gh.done();
    }
  });

  it("returns undefined when no open PR matches", async () => {
    const run = forkRun();
    const gh = mockGitHub(repo).hasOpenPulls("forker:fix-typo", []).hasCommitPulls(run.head_sha, []);
    await expect(resolvePullRequest(testOctokit(), run, "main")).resolves.toBeUndefined();
    gh.done();
  });
});

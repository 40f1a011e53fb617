import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { trackingMarker, upsertTrackingIssue } from "../../src/github/tracking-issue.js";
import { issue, mockGitHub, testOctokit } from "../helpers/github-mock.js";

const repo = { owner: "Codertocat", repo: "Hello-World" };
const args = {
  ...repo,
  workflowName: "CI",
  workflowPath: ".github/workflows/ci.yml",
  branch: "main",
  body: "The workflow **CI** is failing on `main`.",
};
const marker = trackingMarker(".github/workflows/ci.yml", "main");

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("upsertTrackingIssue", () => {
  it("opens one labelled issue, then reuses it while it is open", async () => {
    const gh1 = mockGitHub(repo)
      .hasOpenTrackingIssues([
        issue({ number: 3, body: `other ${trackingMarker(".github/workflows/ci.yml", "dev")}`, labels: ["ci-medic"] }),
      ])
      .hasLabel("ci-medic", false, { check: (body) => expect(body).toMatchObject({ name: "ci-medic" }) })
      .expectsIssue(
        (body) =>
          expect(body).toEqual({
            title: "CI failing: CI on main",
            body: `${args.body}\n\n${marker}`,
            labels: ["ci-medic"],
          }),
        { number: 4 },
      );
    await expect(upsertTrackingIssue(testOctokit(), args)).resolves.toEqual({ issueNumber: 4, created: true });
    gh1.done();
    expect(marker).toBe("<!-- ci-medic:tracking:.github%2Fworkflows%2Fci.yml:main -->");

    const gh2 = mockGitHub(repo).hasIssue(4, "open");
    await expect(upsertTrackingIssue(testOctokit(), { ...args, issueNumber: 4 })).resolves.toEqual({
      issueNumber: 4,
      created: false,
    });
    gh2.done();
    expect(gh2.requests).toHaveLength(1);
  });

  it("finds the open issue by its marker when the known one was closed", async () => {
    const gh = mockGitHub(repo)
      .hasIssue(4, "closed")
      .hasOpenTrackingIssues([issue({ number: 8, body: `${args.body}\n\n${marker}` })]);
    await expect(upsertTrackingIssue(testOctokit(), { ...args, issueNumber: 4 })).resolves.toEqual({
      issueNumber: 8,
      created: false,
    });
    gh.done();
  });

  it("tolerates the label being created concurrently (422)", async () => {
    const gh = mockGitHub(repo)
      .hasIssue(4, "deleted")
      .hasOpenTrackingIssues([])
      .hasLabel("ci-medic", false, { createStatus: 422 })
      .expectsIssue(undefined, { number: 9 });
    await expect(upsertTrackingIssue(testOctokit(), { ...args, issueNumber: 4 })).resolves.toEqual({
      issueNumber: 9,
      created: true,
    });
    gh.done();
  });

  it("treats a transferred issue (301, as GitHub documents) like a deleted one, without following the redirect", async () => {
    const gh = mockGitHub(repo)
      .hasIssue(4, "transferred")
      .hasOpenTrackingIssues([issue({ number: 8, body: `${args.body}\n\n${marker}` })]);
    await expect(upsertTrackingIssue(testOctokit(), { ...args, issueNumber: 4 })).resolves.toEqual({
      issueNumber: 8,
      created: false,
    });
    gh.done();
    expect(gh.requests.map((r) => r.path)).toEqual([
      "/repos/Codertocat/Hello-World/issues/4",
      "/repos/Codertocat/Hello-World/issues?state=open&labels=ci-medic&per_page=100",
    ]);
  });

  it("does not take an issue of another repository (a followed redirect) for its own", async () => {
    const gh = mockGitHub(repo)
      .hasOpenTrackingIssues([])
      .hasLabel("ci-medic", true)
      .expectsIssue(undefined, { number: 9 });
    gh.api.get("/repos/Codertocat/Hello-World/issues/4").reply(200, issue({ number: 4, repo: "elsewhere/other" }));
    await expect(upsertTrackingIssue(testOctokit(), { ...args, issueNumber: 4 })).resolves.toEqual({
      issueNumber: 9,
      created: true,
    });
    gh.done();
  });

  it("cuts a long title at GitHub's limit without splitting an emoji", async () => {
    const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    // "CI failing: " is 12 code units: the 255th unit of the title is the first half of an emoji.
    const workflowName = `${"x".repeat(242)}🚑 and more`;
    let title = "";
    const gh = mockGitHub(repo)
      .hasOpenTrackingIssues([])
      .hasLabel("ci-medic", true)
      .expectsIssue((body) => (title = body.title), { number: 9 });
    await upsertTrackingIssue(testOctokit(), { ...args, workflowName });
    gh.done();
    expect(title).toBe(`CI failing: ${"x".repeat(242)}…`);
    expect(title).not.toMatch(loneSurrogate);
  });

  it("keeps a branch name from breaking or forging the marker", () => {
    expect(trackingMarker("ci.yml", "x-->y <!-- ci-medic:z -->")).toBe(
      "<!-- ci-medic:tracking:ci.yml:x-%3Ey%20%3C_-%20ci-medic%3Az%20-%3E -->",
    );
  });
});

import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { mockGitHub, testOctokit } from "../helpers/github-mock.js";

// The team's helper must fail loudly, or every test built on it could pass without checking anything.

const repo = { owner: "Codertocat", repo: "Hello-World" };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("mockGitHub", () => {
  it("done() rethrows an assertion that failed inside a body check", async () => {
    const gh = mockGitHub(repo).expectsComment(1, (body) => expect(body.body).toBe("expected"));
    await testOctokit().rest.issues.createComment({ ...repo, issue_number: 1, body: "something else" });
    expect(() => gh.done()).toThrow(/expected 'something else' to be 'expected'/);
  });

  it("done() lists expected requests that never came", () => {
    const gh = mockGitHub(repo).expectsCheckRun();
    expect(() => gh.done()).toThrow(/POST https:\/\/api\.github\.com:443\/repos\/Codertocat\/Hello-World\/check-runs/);
  });

  it("records method, path and parsed body of every request, and gets an installation token", async () => {
    const gh = mockGitHub({ ...repo, installationId: 7 })
      .canGetToken()
      .expectsIssue(undefined, { number: 3 });
    const token = await testOctokit().request("POST /app/installations/{installation_id}/access_tokens", {
      installation_id: 7,
    });
    expect(token.data.token).toMatch(/^ghs_/);
    const { data } = await testOctokit().rest.issues.create({ ...repo, title: "t", body: "b" });
    expect(data.number).toBe(3);
    gh.done();
    expect(gh.requests.map(({ method, path, body }) => ({ method, path, body }))).toEqual([
      { method: "POST", path: "/app/installations/7/access_tokens", body: undefined },
      { method: "POST", path: "/repos/Codertocat/Hello-World/issues", body: { title: "t", body: "b" } },
    ]);
  });
});

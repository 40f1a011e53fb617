import { readFileSync } from "node:fs";
import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  checkExchange,
  checkPermission,
  checkWebhook,
  PERMISSIONS,
  readAppPermissions,
  takeViolations,
} from "../helpers/github-conformance.js";
import { checkRun, comment, mockGitHub, testOctokit } from "../helpers/github-mock.js";
import { issueComment } from "../helpers/payloads.js";

// The conformance layer must fail on mocks GitHub could not send, or the suite could drift from GitHub unnoticed.

const repo = { owner: "Codertocat", repo: "Hello-World" };
const R = "/repos/Codertocat/Hello-World";

beforeAll(() => nock.disableNetConnect());
afterEach(() => {
  nock.cleanAll();
  takeViolations();
});

function exchange(over: Partial<Parameters<typeof checkExchange>[0]>) {
  return checkExchange({
    method: "GET",
    path: `${R}/issues/1`,
    requestBody: undefined,
    status: 200,
    responseBody: {},
    ...over,
  });
}

describe("the conformance layer", () => {
  it("fails a check-run mock that echoes the request (annotations and actions are not in GitHub's answer)", async () => {
    const gh = mockGitHub(repo);
    gh.api.post(`${R}/check-runs`).reply(201, (_uri, body: any) => ({ ...checkRun(5, body), actions: body.actions }));
    await testOctokit().rest.checks.create({
      ...repo,
      name: "ci-medic",
      head_sha: "a".repeat(40),
      output: { title: "t", summary: "s", annotations: [] },
      actions: [{ label: "Fix", description: "Open a fix PR", identifier: "fix" }],
    });
    expect(() => gh.done()).toThrow(
      /checks\/create \(POST \/repos\/\{owner\}\/\{repo\}\/check-runs\): response 201 has field "actions" at #\/components\/schemas\/check-run, which the schema does not define/,
    );
  });

  it("fails a comment answer with a field the schema does not define, naming the operation and the schema path", () => {
    const out = exchange({
      method: "POST",
      path: `${R}/issues/2/comments`,
      requestBody: { body: "hi" },
      status: 201,
      responseBody: { ...comment({ id: 1, body: "hi" }), issue: 2 },
    });
    expect(out).toEqual([
      expect.stringMatching(
        /^issues\/create-comment .*: response 201 has field "issue" at #\/components\/schemas\/issue-comment,/,
      ),
    ]);
  });

  it("fails a missing required field, through the $ref it lives in", () => {
    const { node_id: _n, ...partial } = comment({ id: 1, body: "hi" });
    expect(exchange({ path: `${R}/issues/comments/1`, responseBody: partial })).toEqual([
      expect.stringMatching(
        /^issues\/get-comment .*must have required property 'node_id' \(schema #\/paths\/.*comment_id\}\/get\/responses\/200\/content\/application~1json\/schema → \/required\)/,
      ),
    ]);
  });

  it("fails a body on a status the description says has none, and a status it does not document", () => {
    expect(
      exchange({ path: "/orgs/acme/teams/t/memberships/alice", status: 404, responseBody: { message: "Not Found" } }),
    ).toEqual([
      expect.stringMatching(/teams\/get-membership-for-user-in-org .*status 404 has no body in the description/),
    ]);
    expect(exchange({ path: `${R}/actions/jobs/1/logs`, status: 410, responseBody: { message: "Gone" } })).toEqual([
      expect.stringMatching(/actions\/download-job-logs-for-workflow-run .*status 410 is not documented/),
    ]);
  });

  it("fails a request that is no operation, an unknown or invalid query parameter, and an invalid body", () => {
    expect(exchange({ path: `${R}/no-such-thing` })).toEqual([
      expect.stringMatching(/no operation of api\.github\.com/),
    ]);
    expect(
      exchange({
        path: `${R}/actions/runs/1/jobs?filter=bogus&colour=red`,
        responseBody: { total_count: 0, jobs: [] },
      }),
    ).toEqual([
      expect.stringMatching(
        /actions\/list-jobs-for-workflow-run .*query parameter "filter"="bogus" invalid: .*must be equal to one of the allowed values/,
      ),
      expect.stringMatching(/query parameter "colour" is not a parameter of this operation/),
    ]);
    expect(
      exchange({
        method: "POST",
        path: `${R}/check-runs`,
        requestBody: { name: "x", head_sha: "a", conclusion: "sort-of" },
        status: 201,
        responseBody: checkRun(1, { name: "x" }),
      }),
    ).toEqual([expect.stringMatching(/checks\/create .*request body invalid/)]);
  });

  it("checks mocks made with nock directly too, not only the helper's", async () => {
    nock("https://api.github.com").get(`${R}/issues/comments/7`).reply(200, { id: 7, body: "hand-written" });
    await testOctokit().rest.issues.getComment({ ...repo, comment_id: 7 });
    expect(takeViolations()).toEqual([expect.stringMatching(/issues\/get-comment .*must have required property/)]);
  });

  it("fails a call the App's permissions in app.yml do not allow, and one whose permission is unknown", () => {
    expect(
      readAppPermissions("name: x\ndefault_permissions:\n  issues: write # why\n  checks: read\nother: 1\n"),
    ).toEqual({
      issues: "write",
      checks: "read",
    });
    expect(checkPermission("checks/create", { checks: "read" })).toEqual([
      "the App may not call this: it needs checks: write, and app.yml does not grant it",
    ]);
    expect(checkPermission("issues/create-comment", { pull_requests: "write" })).toEqual([]);
    expect(checkPermission("repos/delete")).toEqual([expect.stringMatching(/no permission known for this operation/)]);
  });

  it("checks webhook payloads against GitHub's webhook schemas", () => {
    const payload = issueComment({ body: "/approve" });
    expect(checkWebhook("issue_comment", payload)).toEqual([]);
    delete payload.comment.reactions;
    expect(checkWebhook("issue_comment", payload)).toEqual([
      expect.stringMatching(
        /webhook issue-comment-created: payload invalid: \/comment must have required property 'reactions'/,
      ),
    ]);
  });

  it("app.yml asks for exactly the permissions the README lists, each needed by an operation ci-medic calls", () => {
    const granted = readAppPermissions(readFileSync("app.yml", "utf8"));
    const readme = readFileSync("README.md", "utf8");
    const table = readme.slice(readme.indexOf("## Permissions"), readme.indexOf("## Environment variables"));
    const listed = Object.fromEntries(
      [...table.matchAll(/^\| `([a-z_]+)`[^|]*\| (read|write) +\|/gm)].map((m) => [m[1]!, m[2]!]),
    );
    expect(listed).toEqual(granted);
    for (const [name, level] of Object.entries(granted)) {
      const needed = Object.values(PERMISSIONS).some((alts) =>
        (alts ?? []).some((alt) => alt[name] === level || (level === "read" && alt[name] === "write")),
      );
      expect({ name, level, needed }).toEqual({ name, level, needed: true });
    }
  });
});

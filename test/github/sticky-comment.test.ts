import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { commentMarker, upsertStickyComment } from "../../src/github/sticky-comment.js";
import { comment, mockGitHub, testOctokit } from "../helpers/github-mock.js";

const repo = { owner: "Codertocat", repo: "Hello-World" };
const marker = commentMarker("diagnosis:161335");
const args = { ...repo, issueNumber: 1, marker, appSlug: "ci-medic" };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("commentMarker", () => {
  it("is a hidden HTML comment whose key cannot close it early", () => {
    expect(commentMarker("diagnosis:161335")).toBe("<!-- ci-medic:diagnosis:161335 -->");
    expect(commentMarker("x --> <b>hi</b>")).toBe("<!-- ci-medic:x_-___b_hi_/b_ -->");
  });
});

describe("upsertStickyComment", () => {
  it("creates the comment, then finds it by its marker and updates it", async () => {
    const first = `Diagnosis 1\n\n${marker}`;
    const gh1 = mockGitHub(repo)
      .hasComments(1, [comment({ id: 10, body: "LGTM", login: "octocat" })])
      .expectsComment(1, (body) => expect(body).toEqual({ body: first }), { id: 11 });
    await expect(upsertStickyComment(testOctokit(), { ...args, body: first })).resolves.toEqual({
      commentId: 11,
      created: true,
    });
    gh1.done();

    const second = `Diagnosis 2\n\n${marker}`;
    const gh2 = mockGitHub(repo)
      .hasComments(1, [comment({ id: 10, body: "LGTM", login: "octocat" }), comment({ id: 11, body: first })], {
        pageSize: 1,
      })
      .expectsCommentUpdate(11, (body) => expect(body).toEqual({ body: second }));
    await expect(upsertStickyComment(testOctokit(), { ...args, body: second })).resolves.toEqual({
      commentId: 11,
      created: false,
    });
    gh2.done();
    expect(gh2.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /repos/Codertocat/Hello-World/issues/1/comments?per_page=100",
      "GET /repos/Codertocat/Hello-World/issues/1/comments?per_page=100&page=2",
      "PATCH /repos/Codertocat/Hello-World/issues/comments/11",
    ]);
  });

  it("ignores a marker forged by a user or written by another app", async () => {
    const gh = mockGitHub(repo)
      .hasComments(1, [
        comment({ id: 20, body: `gotcha ${marker}`, login: "mallory", type: "User" }),
        comment({ id: 21, body: `me too ${marker}`, login: "other-bot[bot]" }),
      ])
      .expectsComment(1, (body) => expect(body.body).toBe(`New\n\n${marker}`), { id: 22 });
    await expect(upsertStickyComment(testOctokit(), { ...args, body: `New\n\n${marker}` })).resolves.toEqual({
      commentId: 22,
      created: true,
    });
    gh.done();
  });

  it("updates a known comment id directly, and searches when it was deleted", async () => {
    const gh1 = mockGitHub(repo).expectsCommentUpdate(30, (body) => expect(body.body).toBe(`Body\n\n${marker}`));
    await expect(upsertStickyComment(testOctokit(), { ...args, body: "Body", commentId: 30 })).resolves.toEqual({
      commentId: 30,
      created: false,
    });
    gh1.done();

    const gh2 = mockGitHub(repo)
      .expectsCommentUpdate(30, undefined, { gone: true })
      .hasComments(1, [])
      .expectsComment(1, undefined, { id: 31 });
    await expect(upsertStickyComment(testOctokit(), { ...args, body: "Body", commentId: 30 })).resolves.toEqual({
      commentId: 31,
      created: true,
    });
    gh2.done();
  });
});

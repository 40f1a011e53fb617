import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { publishCheckRun, toGitHubAnnotation } from "../../src/github/check-run.js";
import type { Annotation } from "../../src/logs/types.js";
import { mockGitHub, testOctokit } from "../helpers/github-mock.js";

const repo = { owner: "Codertocat", repo: "Hello-World" };
const headSha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";

const annotation = (i: number): Annotation => ({
  path: `src/file${i}.ts`,
  startLine: i + 1,
  level: "failure",
  title: "TS2322",
  message: `Type 'string' is not assignable to type 'number'. (${i})`,
  tool: "tsc",
});

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("publishCheckRun", () => {
  it("sends 120 annotations in three requests of 50, 50 and 20, in order", async () => {
    const annotations = Array.from({ length: 120 }, (_, i) => annotation(i));
    const expected = annotations.map(toGitHubAnnotation);
    const gh = mockGitHub(repo)
      .expectsCheckRun(undefined, { id: 77 })
      .expectsCheckRunUpdate(77)
      .expectsCheckRunUpdate(77);
    const id = await publishCheckRun(testOctokit(), {
      ...repo,
      headSha,
      name: "ci-medic",
      title: "compile: 120 type errors",
      summary: "**Root cause** …",
      text: "log lines",
      annotations,
      actions: [
        { label: "Open fix PR", description: "Ask ci-medic for a fix pull request", identifier: "open-fix-pr" },
      ],
    });
    gh.done();
    expect(id).toBe(77);
    const [create, second, third] = gh.requests.map((r) => r.body);
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /repos/Codertocat/Hello-World/check-runs",
      "PATCH /repos/Codertocat/Hello-World/check-runs/77",
      "PATCH /repos/Codertocat/Hello-World/check-runs/77",
    ]);
    expect(create).toEqual({
      name: "ci-medic",
      head_sha: headSha,
      status: "completed",
      conclusion: "neutral",
      completed_at: expect.any(String),
      output: {
        title: "compile: 120 type errors",
        summary: "**Root cause** …",
        text: "log lines",
        annotations: expected.slice(0, 50),
      },
      actions: [
        { label: "Open fix PR", description: "Ask ci-medic for a fix pull request", identifier: "open-fix-pr" },
      ],
    });
    expect(second).toEqual({
      output: { title: "compile: 120 type errors", summary: "**Root cause** …", annotations: expected.slice(50, 100) },
    });
    expect(third).toEqual({
      output: { title: "compile: 120 type errors", summary: "**Root cause** …", annotations: expected.slice(100, 120) },
    });
  });

  it("updates the given check run on a rerun instead of creating one", async () => {
    const gh = mockGitHub(repo).expectsCheckRunUpdate(55, (body) => {
      expect(body).toMatchObject({
        status: "completed",
        conclusion: "neutral",
        output: { title: "t", annotations: [] },
      });
      expect(body.name).toBeUndefined();
    });
    const id = await publishCheckRun(testOctokit(), {
      ...repo,
      headSha,
      checkRunId: 55,
      name: "ci-medic",
      title: "t",
      summary: "s",
      text: "",
      annotations: [],
    });
    expect(id).toBe(55);
    gh.done();
  });

  it("creates a new check run when the known one is gone", async () => {
    const gh = mockGitHub(repo)
      .expectsCheckRunUpdate(55, undefined, { status: 404 })
      .expectsCheckRun(undefined, { id: 56 });
    const id = await publishCheckRun(testOctokit(), {
      ...repo,
      headSha,
      checkRunId: 55,
      name: "ci-medic",
      title: "t",
      summary: "s",
      text: "",
      annotations: [],
    });
    expect(id).toBe(56);
    gh.done();
  });

  it("caps summary and text at 65,535 characters with a note", async () => {
    const gh = mockGitHub(repo).expectsCheckRun((body) => {
      expect(body.output.summary).toHaveLength(65_535);
      expect(body.output.summary.endsWith("_… cut by ci-medic to fit GitHub's limit._")).toBe(true);
      expect(body.output.text).toHaveLength(65_535);
      expect(body.output.title).toHaveLength(255);
    });
    await publishCheckRun(testOctokit(), {
      ...repo,
      headSha,
      name: "ci-medic",
      title: "t".repeat(400),
      summary: "s".repeat(70_000),
      text: "x".repeat(100_000),
      annotations: [],
    });
    gh.done();
  });
});

describe("toGitHubAnnotation", () => {
  it("sets columns only on single-line annotations and defaults end_line to start_line", () => {
    expect(
      toGitHubAnnotation({
        path: "a.ts",
        startLine: 3,
        column: 7,
        level: "warning",
        title: "W",
        message: "m",
        tool: "eslint",
      }),
    ).toEqual({
      path: "a.ts",
      start_line: 3,
      end_line: 3,
      start_column: 7,
      end_column: 7,
      annotation_level: "warning",
      title: "W",
      message: "m",
    });
    expect(
      toGitHubAnnotation({
        path: "a.ts",
        startLine: 3,
        endLine: 5,
        column: 7,
        level: "notice",
        title: "N",
        message: "m",
        tool: "x",
      }),
    ).toEqual({
      path: "a.ts",
      start_line: 3,
      end_line: 5,
      annotation_level: "notice",
      title: "N",
      message: "m",
    });
  });

  it("caps messages at 64 KB", () => {
    const out = toGitHubAnnotation({
      path: "a.ts",
      startLine: 1,
      level: "failure",
      title: "T",
      message: "é".repeat(40_000),
      tool: "x",
    });
    expect(Buffer.byteLength(out.message)).toBeLessThanOrEqual(64 * 1024);
    expect(out.message.endsWith("…")).toBe(true);
    expect(out.message).not.toContain("\uFFFD");
  });
});

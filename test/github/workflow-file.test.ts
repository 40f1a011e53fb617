import nock from "nock";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { getWorkflowFile } from "../../src/github/workflow-file.js";
import { mockGitHub, testOctokit } from "../helpers/github-mock.js";

const repo = { owner: "Codertocat", repo: "Hello-World" };
const sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
const yaml =
  "name: CI\non: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: npm test\n";

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());

describe("getWorkflowFile", () => {
  it("returns the decoded file at the head SHA", async () => {
    const gh = mockGitHub(repo).hasWorkflowFile(".github/workflows/ci.yml", yaml, sha);
    await expect(getWorkflowFile(testOctokit(), { ...repo, path: ".github/workflows/ci.yml", ref: sha })).resolves.toBe(
      yaml,
    );
    gh.done();
    expect(decodeURIComponent(gh.requests[0]!.path)).toBe(
      `/repos/Codertocat/Hello-World/contents/.github/workflows/ci.yml?ref=${sha}`,
    );
  });

  it("returns undefined when the file does not exist at that ref", async () => {
    const gh = mockGitHub(repo).hasNoWorkflowFile(".github/workflows/gone.yml", sha);
    await expect(
      getWorkflowFile(testOctokit(), { ...repo, path: ".github/workflows/gone.yml", ref: sha }),
    ).resolves.toBeUndefined();
    gh.done();
  });

  it("caps a large file at 20 KB with a note", async () => {
    const big = `# ${"é".repeat(15_000)}\n`;
    const gh = mockGitHub(repo).hasWorkflowFile(".github/workflows/big.yml", big, sha);
    const text = await getWorkflowFile(testOctokit(), { ...repo, path: ".github/workflows/big.yml", ref: sha });
    gh.done();
    const [body, note] = text!.split("\n");
    expect(Buffer.byteLength(body!)).toBeLessThanOrEqual(20 * 1024);
    expect(big.startsWith(body!)).toBe(true);
    expect(note).toBe(`# [ci-medic: file cut at ${Buffer.byteLength(body!)} of ${Buffer.byteLength(big)} bytes]`);
  });
});

import nock from "nock";
import type { Db } from "../../src/db/client.js";
import { GeminiProvider } from "../../src/diagnosis/llm/gemini.js";
import { testApp } from "./app.js";
import { mockGitHub } from "./github-mock.js";
import { HEAD_SHA, INSTALLATION_ID, OWNER, REPO } from "./payloads.js";

// What the app's tests with a model start from: the real app with Gemini (its answers mocked) and, for maintainers'
// commands and the fix loop, a failed run in pull request #2 that ci-medic already diagnosed and commented on.

export const PR = 2;
export const RUN_ID = 1001;
/** ci-medic's sticky comment in the pull request. */
export const COMMENT_ID = 8001;
export const WORKFLOW_ID = 2823525;
/** The file the diagnosis names, at the failed commit. */
export const SUM_TS = "export function sum(a: number, b: number): number {\n  return a - b;\n}\n";

export const GEMINI = "https://generativelanguage.googleapis.com";
export const GEMINI_PATH = "/v1beta/models/gemini-2.5-flash:generateContent";

/** The app on a fresh database, with Gemini (reached through nock only), and a GitHub mock of the test repository. */
export async function appWithGemini() {
  nock.disableNetConnect();
  const app = await testApp({ llm: new GeminiProvider({ apiKey: "AIzaSyTESTKEY-not-a-real-key-000000000" }) });
  return { app, gh: mockGitHub({ owner: OWNER, repo: REPO }) };
}

/** The model answers the next prompt with `answer` (as JSON text); returns the request bodies it was sent. */
export function modelAnswers(answer: object) {
  const seen: any[] = [];
  nock(GEMINI)
    .post(GEMINI_PATH)
    .reply(200, (_uri, body) => {
      seen.push(body);
      return {
        candidates: [{ content: { parts: [{ text: JSON.stringify(answer) }], role: "model" }, finishReason: "STOP" }],
        usageMetadata: { promptTokenCount: 900, candidatesTokenCount: 120 },
      };
    });
  return seen;
}

const SUM_TEST_ANNOTATION = {
  path: "src/sum.test.ts",
  startLine: 5,
  level: "failure",
  title: "adds two numbers",
  message: "expected -1 to be 3",
  tool: "vitest",
};

/**
 * The failed run RUN_ID in PR #2, diagnosed by the model (sum() subtracts; confidence 0.9 unless told), with its check
 * run (7001) and sticky comment (COMMENT_ID): its RunAnalysis row, job and diagnosis.
 */
export function seedDiagnosedRun(
  db: Db,
  over: { headRepository?: string; confidence?: number; flaky?: boolean; annotations?: object[] } = {},
) {
  return db.runAnalysis.create({
    data: {
      installationId: INSTALLATION_ID,
      repository: `${OWNER}/${REPO}`,
      runId: BigInt(RUN_ID),
      runAttempt: 1,
      workflowId: BigInt(WORKFLOW_ID),
      workflowName: "CI",
      workflowPath: ".github/workflows/ci.yml",
      headSha: HEAD_SHA,
      headBranch: "feature",
      headRepository: over.headRepository ?? `${OWNER}/${REPO}`,
      event: "pull_request",
      runUrl: `https://github.com/${OWNER}/${REPO}/actions/runs/${RUN_ID}`,
      prNumber: PR,
      checkRunId: 7001n,
      commentId: BigInt(COMMENT_ID),
      status: "diagnosed",
      fingerprint: "f".repeat(64),
      jobs: {
        create: {
          jobId: 501n,
          name: "test",
          failedSteps: '["Run npm test"]',
          logStatus: "ok",
          excerpt: "FAIL src/sum.test.ts > adds two numbers\nAssertionError: expected -1 to be 3",
          annotations: JSON.stringify(over.annotations ?? [SUM_TEST_ANNOTATION]),
          category: "test",
          fingerprint: "e".repeat(64),
        },
      },
      diagnosis: {
        create: {
          source: "llm",
          model: "gemini-2.5-flash",
          summary: "sum() subtracts instead of adding",
          rootCause: "src/sum.ts returns a - b.",
          category: "test",
          confidence: over.confidence ?? 0.9,
          suggestedFix: "Return a + b in src/sum.ts.",
          files: '["src/sum.ts"]',
          flaky: over.flaky ?? false,
        },
      },
    },
  });
}

import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenAiProvider } from "../../src/diagnosis/llm/openai.js";
import { FixProposalError, fixProposalSchema, proposeFix } from "../../src/diagnosis/propose-fix.js";
import type { Diagnosis } from "../../src/diagnosis/types.js";
import { GOOD_ANSWER, tscJob } from "./inputs.js";

const KEY = "sk-test-proposefix-0123456789abcdef";
const HOST = "http://llm.local:8080";

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

const diagnosis: Diagnosis = {
  ...(GOOD_ANSWER as Omit<Diagnosis, "source" | "category">),
  category: "compile",
  source: "llm",
  model: "m",
};
const SERVER_TS =
  "import http from 'node:http';\nconst port: number = process.env.PORT ?? '3000';\nhttp.createServer().listen(port);\n";

function script(...contents: Array<string | [number, object]>) {
  const bodies: any[] = [];
  let scope = nock(HOST);
  for (const c of contents) {
    scope = scope.post("/v1/chat/completions").reply((_u, b) => {
      bodies.push(b);
      if (Array.isArray(c)) return c;
      return [
        200,
        {
          choices: [{ index: 0, message: { role: "assistant", content: c }, finish_reason: "stop" }],
          usage: { prompt_tokens: 1, completion_tokens: 1 },
        },
      ];
    });
  }
  return bodies;
}

const provider = () => new OpenAiProvider({ apiKey: KEY, baseURL: `${HOST}/v1`, model: "fixer" });
const fixInput = {
  diagnosis,
  evidence: [tscJob()],
  files: [{ path: "src/server.ts", content: SERVER_TS }],
  note: "keep 3000 as default @octocat",
};

const answer = {
  edits: [
    {
      path: "src/server.ts",
      kind: "replace",
      search: "const port: number = process.env.PORT ?? '3000';",
      replace: "const port = Number(process.env.PORT ?? 3000);",
      content: "",
    },
    { path: "docs/PORT.md", kind: "create", search: "", replace: "", content: "# PORT\n" },
  ],
  explanation: "Parse PORT as a number.",
  testsAreWrong: false,
};

describe("proposeFix", () => {
  it("asks with the files in delimited blocks and the rules, and returns the typed proposal", async () => {
    const bodies = script(JSON.stringify(answer));
    const proposal = await proposeFix(fixInput, { provider: provider() });
    expect(proposal).toEqual({
      edits: [
        {
          path: "src/server.ts",
          search: "const port: number = process.env.PORT ?? '3000';",
          replace: "const port = Number(process.env.PORT ?? 3000);",
        },
        { path: "docs/PORT.md", content: "# PORT\n" },
      ],
      explanation: "Parse PORT as a number.",
      testsAreWrong: false,
    });
    expect(fixProposalSchema.parse(proposal)).toEqual(proposal);
    const [system, user] = bodies[0].messages.map((m: { content: string }) => m.content);
    expect(system).toContain("You hold no token and call no tools");
    expect(system).toMatch(/Never touch \.github\/ \(workflows/);
    expect(system).toMatch(/Never weaken tests/);
    expect(system).toMatch(/exact, verbatim copy/);
    const nonce = /<<<DATA-([0-9a-f]{16})>>>/.exec(system)![1]!;
    expect(user).toContain(`<<<DATA-${nonce}>>> file src/server.ts\n${SERVER_TS}\n<<<END-DATA-${nonce}>>>`);
    expect(user).toContain(`<<<DATA-${nonce}>>> the approving maintainer's hint\nkeep 3000 as default`);
    expect(bodies[0].response_format.json_schema).toMatchObject({ name: "fix_proposal", strict: true });
  });

  it("never sends a file that holds secrets by convention, and redacts the rest, the hint and the diagnosis", async () => {
    const awsKey = `AKIA${"Q7ZX".repeat(4)}`;
    const stripe = `sk_live_${"4eC39Hq".repeat(4)}`;
    const bodies = script(JSON.stringify(answer));
    await proposeFix(
      {
        ...fixInput,
        diagnosis: { ...diagnosis, rootCause: `the key ${awsKey} expired` },
        files: [
          { path: ".env", content: "DB_PASSWORD=visible-in-dotenv" },
          { path: "config/.env.production", content: "X=also-in-dotenv" },
          { path: "certs/server.pem", content: "pem-body-here" },
          { path: "src/server.ts", content: `${SERVER_TS}\nconst stripe = "${stripe}";` },
        ],
        note: `use the token ${`ghp_${"a1B2c3".repeat(6)}`}`,
      },
      { provider: provider() },
    );
    const user = bodies[0].messages[1].content as string;
    expect(user).not.toMatch(/visible-in-dotenv|also-in-dotenv|pem-body-here|file \.env|server\.pem/);
    expect(user).not.toContain(stripe);
    expect(user).not.toContain(awsKey);
    expect(user).not.toContain("ghp_a1B2");
    expect(user).toContain("file src/server.ts");
  });

  it("retries once with the problem, then throws a FixProposalError with a safe message", async () => {
    const bad = { ...answer, edits: [{ path: "a.ts", kind: "replace", search: "", replace: "x", content: "" }] };
    const bodies = script(JSON.stringify(bad), `not json ${KEY}`);
    const usage = { calls: 0, tokens: 0 };
    const error = await proposeFix(fixInput, { provider: provider(), usage }).catch((e: unknown) => e);
    // Both answers count against the daily limits, though neither gave a fix.
    expect(usage).toEqual({ calls: 2, tokens: 4 });
    expect(error).toBeInstanceOf(FixProposalError);
    expect(error).toMatchObject({
      reason: "invalid-output",
      message: "the model's answer was invalid twice (the answer was not valid JSON)",
    });
    expect(bodies[1].messages[1].content).toMatch(
      /previous answer was rejected: the JSON did not match the schema \(edits\.0\.search/,
    );
  });

  it("recovers on the retry, and counts both answers", async () => {
    script("{}", JSON.stringify(answer));
    const usage = { calls: 0, tokens: 0 };
    expect((await proposeFix(fixInput, { provider: provider(), usage })).edits).toHaveLength(2);
    expect(usage).toEqual({ calls: 2, tokens: 4 });
  });

  it("wraps provider errors without the key", async () => {
    script([401, { error: { message: `Incorrect API key provided: ${KEY}` } }]);
    const error = (await proposeFix(fixInput, { provider: provider() }).catch((e: unknown) => e)) as FixProposalError;
    expect(error).toBeInstanceOf(FixProposalError);
    expect(error.reason).toBe("provider");
    expect(error.message).toMatch(/^the LLM call failed \(openai: 401/);
    expect(`${error.message}${error.stack}`).not.toContain(KEY);
  });
});

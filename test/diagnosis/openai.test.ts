import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { OpenAiProvider } from "../../src/diagnosis/llm/openai.js";
import { LlmError } from "../../src/diagnosis/llm/provider.js";
import { diagnosisJsonSchema } from "../../src/diagnosis/schema.js";

const KEY = "sk-test-abcdefghijklmnop0123456789";
const BASE = "http://llm.local:8080/v1";

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

const completion = (content: string | null, extra: object = {}) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  created: 1,
  model: "qwen2.5-coder",
  choices: [{ index: 0, message: { role: "assistant", content, refusal: null, ...extra }, finish_reason: "stop" }],
  usage: { prompt_tokens: 1200, completion_tokens: 80, total_tokens: 1280 },
});

async function caught(p: Promise<unknown>): Promise<LlmError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(LlmError);
    return e as LlmError;
  }
  throw new Error("expected a rejection");
}

const req = {
  system: "SYS",
  prompt: "PROMPT",
  schema: diagnosisJsonSchema,
  schemaName: "diagnosis",
  maxOutputTokens: 500,
};

describe("OpenAiProvider", () => {
  it("posts a strict json_schema chat completion and parses text and usage", async () => {
    let body: any;
    let auth: unknown;
    const scope = nock("http://llm.local:8080")
      .post("/v1/chat/completions")
      .reply(function (_uri, b) {
        body = b;
        auth = this.req.headers.authorization;
        return [200, completion('{"a":1}')];
      });
    const p = new OpenAiProvider({ apiKey: KEY, baseURL: BASE, model: "qwen2.5-coder" });
    const res = await p.generateJson(req);
    scope.done();
    expect(res).toMatchObject({ text: '{"a":1}', promptTokens: 1200, outputTokens: 80 });
    expect(auth).toBe(`Bearer ${KEY}`);
    expect(body).toEqual({
      model: "qwen2.5-coder",
      messages: [
        { role: "system", content: "SYS" },
        { role: "user", content: "PROMPT" },
      ],
      response_format: {
        type: "json_schema",
        json_schema: { name: "diagnosis", schema: diagnosisJsonSchema, strict: true },
      },
      // Not api.openai.com: compatible servers get max_tokens.
      max_tokens: 500,
    });
  });

  it("uses max_completion_tokens against api.openai.com", async () => {
    let body: any;
    nock("https://api.openai.com")
      .post("/v1/chat/completions")
      .reply((_u, b) => {
        body = b;
        return [200, completion("{}")];
      });
    await new OpenAiProvider({ apiKey: KEY }).generateJson(req);
    expect(body.max_completion_tokens).toBe(500);
    expect(body.max_tokens).toBeUndefined();
    expect(body.model).toBe("gpt-4o-mini");
  });

  it("maps 401 to a non-retryable error with the (partly masked) key scrubbed", async () => {
    nock("http://llm.local:8080")
      .post("/v1/chat/completions")
      .reply(401, {
        error: {
          message: `Incorrect API key provided: ${KEY.slice(0, 8)}***********6789. ${KEY}`,
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      });
    const err = await caught(new OpenAiProvider({ apiKey: KEY, baseURL: BASE }).generateJson(req));
    expect(err).toMatchObject({ status: 401, retryable: false });
    expect(err.message).toContain("Incorrect API key provided");
    expect(`${err.message}${err.stack}`).not.toContain(KEY);
    expect(err.message).not.toContain(KEY.slice(0, 8));
  });

  it("maps 429 with retry-after to retryable with the delay, and insufficient_quota to not retryable", async () => {
    nock("http://llm.local:8080")
      .post("/v1/chat/completions")
      .reply(429, { error: { message: "Rate limit reached", code: "rate_limit_exceeded" } }, { "retry-after": "7" });
    expect(await caught(new OpenAiProvider({ apiKey: KEY, baseURL: BASE }).generateJson(req))).toMatchObject({
      status: 429,
      retryable: true,
      retryAfterMs: 7000,
    });
    nock("http://llm.local:8080")
      .post("/v1/chat/completions")
      .reply(429, { error: { message: "You exceeded your current quota", code: "insufficient_quota" } });
    expect(await caught(new OpenAiProvider({ apiKey: KEY, baseURL: BASE }).generateJson(req))).toMatchObject({
      status: 429,
      retryable: false,
    });
  });

  it("maps 500 to retryable and a refusal or empty content to an error", async () => {
    nock("http://llm.local:8080")
      .post("/v1/chat/completions")
      .reply(500, { error: { message: "boom" } });
    expect(await caught(new OpenAiProvider({ baseURL: BASE }).generateJson(req))).toMatchObject({
      status: 500,
      retryable: true,
    });
    nock("http://llm.local:8080")
      .post("/v1/chat/completions")
      .reply(200, completion(null, { refusal: "I can't help with that" }));
    expect((await caught(new OpenAiProvider({ baseURL: BASE }).generateJson(req))).message).toMatch(/refused/);
    nock("http://llm.local:8080")
      .post("/v1/chat/completions")
      .reply(200, { ...completion(""), choices: [] });
    expect((await caught(new OpenAiProvider({ baseURL: BASE }).generateJson(req))).message).toMatch(/empty response/);
  });
});

import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GeminiProvider, toGeminiSchema } from "../../src/diagnosis/llm/gemini.js";
import { LlmError } from "../../src/diagnosis/llm/provider.js";
import { diagnosisJsonSchema } from "../../src/diagnosis/schema.js";

const KEY = "AIzaSyTEST-not-a-real-key-0123456789";
const API = "https://generativelanguage.googleapis.com";
const PATH = "/v1beta/models/gemini-2.5-flash:generateContent";

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
afterEach(() => nock.cleanAll());

const reply = (text: string) => ({
  candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP", index: 0 }],
  usageMetadata: { promptTokenCount: 321, candidatesTokenCount: 45, totalTokenCount: 366 },
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

describe("GeminiProvider", () => {
  const req = { system: "SYSTEM RULES", prompt: "the prompt", schema: diagnosisJsonSchema, maxOutputTokens: 1000 };

  it("sends the key only in x-goog-api-key, with system instruction, JSON mime type and schema in the body", async () => {
    let seen: { path: string; headers: Record<string, unknown>; body: any } | undefined;
    const scope = nock(API)
      .post(PATH)
      .reply(function (uri, body) {
        seen = { path: uri, headers: this.req.headers, body };
        return [200, reply('{"ok":true}')];
      });
    const res = await new GeminiProvider({ apiKey: KEY }).generateJson(req);
    scope.done();
    expect(res).toMatchObject({ text: '{"ok":true}', promptTokens: 321, outputTokens: 45 });
    expect(seen!.headers["x-goog-api-key"]).toBe(KEY);
    expect(seen!.path).toBe(PATH);
    expect(seen!.path).not.toContain(KEY);
    expect(seen!.path).not.toContain("key=");
    expect(seen!.body.systemInstruction).toEqual({ role: "system", parts: [{ text: "SYSTEM RULES" }] });
    expect(seen!.body.contents).toEqual([{ role: "user", parts: [{ text: "the prompt" }] }]);
    expect(seen!.body.generationConfig).toMatchObject({ responseMimeType: "application/json", maxOutputTokens: 1000 });
    expect(seen!.body.generationConfig.responseSchema).toEqual(toGeminiSchema(diagnosisJsonSchema));
    expect(seen!.body.generationConfig.responseSchema.properties.category).toMatchObject({
      type: "string",
      format: "enum",
    });
    expect(JSON.stringify(seen!.body)).not.toContain("additionalProperties");
  });

  it("uses the model given to withModel", async () => {
    const scope = nock(API).post("/v1beta/models/gemini-2.5-pro:generateContent").reply(200, reply("{}"));
    const p = new GeminiProvider({ apiKey: KEY }).withModel("gemini-2.5-pro");
    expect(p.model).toBe("gemini-2.5-pro");
    await p.generateJson(req);
    scope.done();
  });

  it("maps 429 to a retryable LlmError with the RetryInfo delay, and no key anywhere in it", async () => {
    nock(API)
      .post(PATH)
      .reply(429, {
        error: {
          code: 429,
          message: `Quota exceeded for key ${KEY}`,
          status: "RESOURCE_EXHAUSTED",
          details: [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "37s" }],
        },
      });
    const err = await caught(new GeminiProvider({ apiKey: KEY }).generateJson(req));
    expect(err).toMatchObject({ status: 429, retryable: true, retryAfterMs: 37_000 });
    expect(err.message).toContain("429");
    expect(`${err.message}\n${err.stack}\n${JSON.stringify(err)}`).not.toContain(KEY);
    expect(err.message).not.toContain("AIza");
  });

  it("maps 500 to retryable and 400 to not retryable", async () => {
    nock(API)
      .post(PATH)
      .reply(500, { error: { code: 500, message: "internal", status: "INTERNAL" } });
    expect(await caught(new GeminiProvider({ apiKey: KEY }).generateJson(req))).toMatchObject({
      status: 500,
      retryable: true,
    });
    nock(API)
      .post(PATH)
      .reply(400, { error: { code: 400, message: "bad schema", status: "INVALID_ARGUMENT" } });
    expect(await caught(new GeminiProvider({ apiKey: KEY }).generateJson(req))).toMatchObject({
      status: 400,
      retryable: false,
    });
  });

  it("fails with an LlmError on empty candidates and on a blocked prompt", async () => {
    nock(API)
      .post(PATH)
      .reply(200, { candidates: [], usageMetadata: { promptTokenCount: 3 } });
    expect((await caught(new GeminiProvider({ apiKey: KEY }).generateJson(req))).message).toMatch(/empty response/);
    nock(API)
      .post(PATH)
      .reply(200, { promptFeedback: { blockReason: "SAFETY" } });
    expect((await caught(new GeminiProvider({ apiKey: KEY }).generateJson(req))).message).toMatch(/blocked \(SAFETY\)/);
  });

  it("maps a network failure to a retryable error without the key", async () => {
    nock(API).post(PATH).replyWithError(`socket hang up (${KEY})`);
    const err = await caught(new GeminiProvider({ apiKey: KEY }).generateJson(req));
    expect(err.retryable).toBe(true);
    expect(`${err.message}${err.stack}`).not.toContain(KEY);
  });
});

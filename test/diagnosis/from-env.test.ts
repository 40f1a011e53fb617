import { describe, expect, it } from "vitest";
import { createProviderFromEnv } from "../../src/diagnosis/llm/from-env.js";
import { ResilientProvider } from "../../src/diagnosis/llm/resilient.js";

describe("createProviderFromEnv", () => {
  it("is undefined when nothing is configured", () => {
    expect(createProviderFromEnv({})).toBeUndefined();
    expect(createProviderFromEnv({ LLM_PROVIDER: "openai" })).toBeUndefined();
    expect(createProviderFromEnv({ GEMINI_API_KEY: "  " })).toBeUndefined();
  });

  it("builds a resilient Gemini provider by default", () => {
    const p = createProviderFromEnv({ GEMINI_API_KEY: "AIza-test" });
    expect(p).toBeInstanceOf(ResilientProvider);
    expect(p).toMatchObject({ name: "gemini", model: "gemini-2.5-flash" });
    expect(createProviderFromEnv({ GEMINI_API_KEY: "k", GEMINI_MODEL: "gemini-2.5-pro" })?.model).toBe(
      "gemini-2.5-pro",
    );
  });

  it("builds an OpenAI-compatible provider, keyless for a local base URL", () => {
    expect(createProviderFromEnv({ LLM_PROVIDER: "openai", OPENAI_API_KEY: "sk-x" })).toMatchObject({
      name: "openai",
      model: "gpt-4o-mini",
    });
    expect(
      createProviderFromEnv({
        LLM_PROVIDER: "OpenAI",
        OPENAI_BASE_URL: "http://localhost:11434/v1",
        OPENAI_MODEL: "llama3.1:8b",
      }),
    ).toMatchObject({
      name: "openai",
      model: "llama3.1:8b",
    });
  });

  it("rejects malformed settings with a clear error that does not echo secrets", () => {
    expect(() => createProviderFromEnv({ LLM_PROVIDER: "foo", GEMINI_API_KEY: "k" })).toThrow(
      'LLM_PROVIDER must be "gemini" or "openai", got "foo"',
    );
    expect(() => createProviderFromEnv({ GEMINI_API_KEY: "k", LLM_TIMEOUT_MS: "soon" })).toThrow(
      /LLM_TIMEOUT_MS must be/,
    );
    // The app's start-up check caps it at 5 minutes (a job's budget is 10); the command line must not allow more.
    expect(() => createProviderFromEnv({ GEMINI_API_KEY: "k", LLM_TIMEOUT_MS: "300001" })).toThrow(
      "LLM_TIMEOUT_MS must be a whole number of milliseconds between 1000 and 300000",
    );
    expect(createProviderFromEnv({ GEMINI_API_KEY: "k", LLM_TIMEOUT_MS: "300000" })).toBeDefined();
    expect(() => createProviderFromEnv({ GEMINI_API_KEY: "k", GEMINI_MODEL: "bad model; rm" })).toThrow(
      /GEMINI_MODEL must be a model name/,
    );
    expect(() => createProviderFromEnv({ LLM_PROVIDER: "openai", OPENAI_BASE_URL: "ftp://x" })).toThrow(
      /OPENAI_BASE_URL must be an http/,
    );
    let message = "";
    try {
      createProviderFromEnv({
        LLM_PROVIDER: "openai",
        OPENAI_BASE_URL: "https://user:sk-secret-123456@llm.example/v1",
      });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/must not contain credentials/);
    expect(message).not.toContain("sk-secret");
  });
});
